"""One face for each storage provider under test: a fresh bucket, a valid configuration body
for it, and the provider's own SDK to read back what landed (never our backend's code)."""

import json
import uuid
from dataclasses import dataclass, field
from functools import cache

from azure.storage.blob import BlobServiceClient
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

from meetstream.demo.emulators import AZURITE_ACCOUNT, AZURITE_KEY
from meetstream.demo.emulators import service_account_key as emulated_key
from tests.support.leaks import watch
from tests.support.s3 import S3Server


def _name() -> str:
    return f"bucket-{uuid.uuid4().hex[:16]}"


@cache
def service_account_key() -> dict:
    return emulated_key("meetstream-tests")


@dataclass
class S3Provider:
    server: S3Server
    name: str = "aws"

    @property
    def url(self) -> str:
        return self.server.url

    def bucket(self) -> str:
        return self.server.bucket()

    def body(self, bucket: str, **overrides) -> dict:
        return {
            "provider": "aws",
            "bucket_name": bucket,
            "region": "us-east-1",
            "access_key_id": "AKIAEXAMPLEKEY123456",
            "secret_key": "s3cr3t/Example+Secret-Key-0123456789abcd",
            "endpoint_url": self.server.url,
            **overrides,
        }

    def secrets(self, body: dict) -> list[str]:
        return [body["access_key_id"], body["secret_key"]]

    def read(self, bucket: str, key: str) -> bytes:
        return self.server.client().get_object(Bucket=bucket, Key=key)["Body"].read()

    def keys(self, bucket: str) -> list[str]:
        return self.server.keys(bucket)

    def drop(self, bucket: str) -> None:
        """Delete the bucket and all it holds, behind the platform's back."""
        client = self.server.client()
        for key in self.keys(bucket):
            client.delete_object(Bucket=bucket, Key=key)
        client.delete_bucket(Bucket=bucket)

    def restore(self, bucket: str) -> None:
        self.server.client().create_bucket(Bucket=bucket)

    def remove(self, bucket: str, key: str) -> None:
        self.server.client().delete_object(Bucket=bucket, Key=key)

    def write(self, bucket: str, key: str, data: bytes) -> None:
        self.server.client().put_object(Bucket=bucket, Key=key, Body=data)

    def etag(self, bucket: str, key: str) -> str:
        return self.server.client().head_object(Bucket=bucket, Key=key)["ETag"]


@dataclass
class GcsProvider:
    url: str
    name: str = "gcs"
    _client: storage.Client = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._client = storage.Client(
            project="meetstream-tests", credentials=AnonymousCredentials()
        )

    def bucket(self) -> str:
        return self._client.create_bucket(_name()).name

    def body(self, bucket: str, **overrides) -> dict:
        key = service_account_key()
        watch(key["private_key"].splitlines()[1])
        return {
            "provider": "gcs",
            "bucket_name": bucket,
            "service_account_json": json.dumps(key),
            **overrides,
        }

    def secrets(self, body: dict) -> list[str]:
        return [service_account_key()["private_key"].splitlines()[1]]

    def read(self, bucket: str, key: str) -> bytes:
        return self._client.bucket(bucket).blob(key).download_as_bytes()

    def keys(self, bucket: str) -> list[str]:
        return sorted(blob.name for blob in self._client.list_blobs(bucket))

    def drop(self, bucket: str) -> None:
        self._client.bucket(bucket).delete(force=True)

    def restore(self, bucket: str) -> None:
        self._client.create_bucket(bucket)

    def remove(self, bucket: str, key: str) -> None:
        self._client.bucket(bucket).blob(key).delete()

    def write(self, bucket: str, key: str, data: bytes) -> None:
        self._client.bucket(bucket).blob(key).upload_from_string(data)

    def etag(self, bucket: str, key: str) -> str:
        return self._client.bucket(bucket).get_blob(key).etag


@dataclass
class AzureProvider:
    url: str
    name: str = "azure"
    _client: BlobServiceClient = field(init=False, repr=False)

    def __post_init__(self) -> None:
        credential = {"account_name": AZURITE_ACCOUNT, "account_key": AZURITE_KEY}
        self._client = BlobServiceClient(self.url, credential=credential)

    def bucket(self) -> str:
        name = _name()
        self._client.create_container(name)
        return name

    def body(self, bucket: str, **overrides) -> dict:
        watch(AZURITE_KEY)
        return {
            "provider": "azure",
            "account_name": AZURITE_ACCOUNT,
            "container": bucket,
            "account_key": AZURITE_KEY,
            "endpoint_url": self.url,
            **overrides,
        }

    def secrets(self, body: dict) -> list[str]:
        return [body["account_key"]]

    def read(self, bucket: str, key: str) -> bytes:
        return self._client.get_blob_client(bucket, key).download_blob().readall()

    def keys(self, bucket: str) -> list[str]:
        return sorted(self._client.get_container_client(bucket).list_blob_names())

    def drop(self, bucket: str) -> None:
        self._client.delete_container(bucket)

    def restore(self, bucket: str) -> None:
        # Azure keeps a deleted container's name a while; Azurite frees it at once.
        self._client.create_container(bucket)

    def remove(self, bucket: str, key: str) -> None:
        self._client.get_blob_client(bucket, key).delete_blob()

    def write(self, bucket: str, key: str, data: bytes) -> None:
        self._client.get_blob_client(bucket, key).upload_blob(data, overwrite=True)

    def etag(self, bucket: str, key: str) -> str:
        return self._client.get_blob_client(bucket, key).get_blob_properties().etag


@dataclass
class FolderProvider:
    """The fake fourth provider (tests/support/folder_provider): folders under `root`, served
    over HTTP for its URLs."""

    root: object
    url: str
    name: str = "folder"

    def bucket(self) -> str:
        name = _name()
        (self.root / name).mkdir()
        return name

    def body(self, bucket: str, **overrides) -> dict:
        watch("let-me-in-please")
        return {
            "provider": "folder",
            "folder_name": bucket,
            "token": "let-me-in-please",
            **overrides,
        }

    def secrets(self, body: dict) -> list[str]:
        return [body["token"]]

    def read(self, bucket: str, key: str) -> bytes:
        return (self.root / bucket / key).read_bytes()

    def keys(self, bucket: str) -> list[str]:
        folder = self.root / bucket
        return sorted(str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file())
