"""Azure Blob Storage: a container of a storage account, with its account key or a SAS token.

The account URL (`https://<account>.blob.core.windows.net`, or an `endpoint_url` for Azurite
and sovereign clouds) is the tenant's: every connection to it goes through the egress guard.
"""

import base64
import copy
from collections.abc import Hashable, Iterator
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from azure.core import exceptions as azure
from azure.core.pipeline.transport import RequestsTransport
from azure.storage.blob import (
    BlobSasPermissions,
    BlobServiceClient,
    ContentSettings,
    generate_blob_sas,
)
from django.conf import settings

from meetstream.shared import outbound
from storageconfig.backends.azure.blocks import blocks_upload
from storageconfig.backends.azure.errors import error_from
from storageconfig.backends.azure.policy import container_policy
from storageconfig.backends.base import (
    CHECK_TIMEOUT,
    FETCH_TIMEOUT,
    STREAM_CHUNK,
    URL_SECONDS,
    Backend,
    ObjectSource,
    Stored,
    chunks_primed,
    dispositions,
    source_opened,
    source_size,
    upload_connections,
)
from storageconfig.client_cache import ClientCache
from storageconfig.failures import StorageError

DELETE_BATCH = 256  # Blob batch's limit of sub-requests
SECRETS = ("account_key", "sas_token")
MiB = 1024 * 1024


def _account_url(location: dict) -> str:
    return (
        location.get("endpoint_url") or f"https://{location['account_name']}.blob.core.windows.net"
    )


_clients = ClientCache()


def _purposes() -> dict[str, dict]:
    part = settings.UPLOAD_PART_MB * MiB
    return {
        "check": {"timeouts": CHECK_TIMEOUT, "retry_total": 1},
        "fetch": {"timeouts": FETCH_TIMEOUT, "retry_total": 2},
        "transfer": {
            "timeouts": (5.0, float(settings.UPLOAD_READ_TIMEOUT)),
            "retry_total": 3,
            "max_block_size": part,
            "max_single_put_size": part,
        },
    }


class AzureBackend(Backend):
    provider = "azure"
    label = "Azure Blob Storage"
    secret_fields = SECRETS
    read_check = "GetContainerProperties"
    write_check = "PutBlob"

    @classmethod
    def location_of(cls, options: dict) -> dict:
        return {
            "bucket": options["container"],
            "account_name": options["account_name"],
            "endpoint_url": options.get("endpoint_url") or "",
        }

    @classmethod
    def has_credentials(cls, options: dict, secrets: dict) -> bool:
        return any(secrets.get(name) for name in SECRETS)

    @classmethod
    def policy(cls, *, options: dict, prefixes: list[str], access_mode: str, **extra) -> dict:
        allow_delete = extra.get("allow_delete", False)
        return container_policy(options["container"], prefixes, access_mode, allow_delete)

    @classmethod
    def forget(cls, revision: Hashable) -> None:
        _clients.forget(revision)

    def endpoint(self) -> str:
        return _account_url(self.location)

    def _client(self, purpose: str) -> BlobServiceClient:
        return self._client_kept(_clients, purpose, lambda: self._client_build(purpose))

    def _client_build(self, purpose: str) -> BlobServiceClient:
        options = _purposes()[purpose]
        connect, read = options.pop("timeouts")
        transport = RequestsTransport(
            session=outbound.session(connections=max(10, upload_connections())),
            session_owner=False,
            connection_timeout=connect,
            read_timeout=read,
        )
        credential = self.secrets.get("account_key")
        if credential:
            credential = {"account_name": self.location["account_name"], "account_key": credential}
        else:
            credential = self.secrets.get("sas_token")
        # azure-core follows redirects unless told not to: a redirect is an answer, as for S3.
        return BlobServiceClient(
            self.endpoint(),
            credential=credential,
            transport=transport,
            permit_redirects=False,
            **options,
        )

    def _container(self, purpose: str):
        return self._client(purpose).get_container_client(self.bucket)

    def bucket_read(self, *, diagnose_prefix: str) -> None:
        try:
            self._container("check").get_container_properties()
        except Exception as exc:
            raise self._error(exc, "GetContainerProperties") from None

    def object_put(self, *, key: str, body: bytes, content_type: str) -> None:
        try:
            self._container("check").upload_blob(
                key, body, overwrite=True, content_settings=ContentSettings(content_type)
            )
        except Exception as exc:
            raise self._error(exc, "PutBlob", key) from None

    _blocks: Executor | None = None  # an upload pass's part threads, inside upload_pass()

    @contextmanager
    def upload_pass(self) -> Iterator["AzureBackend"]:
        with ThreadPoolExecutor(settings.UPLOAD_THREADS, thread_name_prefix="blocks") as pool:
            shared = copy.copy(self)
            shared._blocks = pool
            yield shared

    def object_upload(
        self, *, key: str, source, content_type: str, metadata: dict, started=None
    ) -> Stored:
        """A block blob: a file or a staged object above one part is sent in blocks of
        UPLOAD_PART_MB by the pass's part threads (`blocks`), anything else in one request,
        each block or blob with its Content-MD5, which Azure checks before it keeps the bytes
        (`validate_content`).

        Blocks an interrupted attempt staged stay uncommitted: the next attempt's commit of the
        same blob discards them, and Azure deletes them after a week in any case."""
        blob = self._container("transfer").get_blob_client(key)
        part, size = settings.UPLOAD_PART_MB * MiB, source_size(source)
        content_settings = ContentSettings(content_type)
        try:
            if isinstance(source, str | ObjectSource) and size > part:
                threads = settings.UPLOAD_THREADS
                pool = nullcontext(self._blocks) if self._blocks else ThreadPoolExecutor(threads)
                with pool as blocks:
                    answer = blocks_upload(
                        blob,
                        source,
                        size=size,
                        part=part,
                        pool=blocks,
                        content_settings=content_settings,
                        metadata=metadata,
                    )
            else:
                with source_opened(source) as stream:
                    answer = blob.upload_blob(
                        stream,
                        overwrite=True,
                        content_settings=content_settings,
                        metadata=metadata,
                        validate_content=True,
                    )
        except Exception as exc:
            raise self._error(exc, "PutBlob", key) from None
        md5 = answer.get("content_md5")
        return Stored(
            etag=answer.get("etag") or "",
            version_id=answer.get("version_id") or "",
            checksum=f"md5:{base64.b64encode(md5).decode()}" if md5 else "",
        )

    def object_head(self, key: str) -> Stored | None:
        try:
            properties = self._container("fetch").get_blob_client(key).get_blob_properties()
        except azure.ResourceNotFoundError as missing:
            if getattr(missing, "error_code", None) == "ContainerNotFound":
                raise self._error(missing, "GetBlobProperties", key) from None
            return None
        except Exception as exc:
            raise self._error(exc, "GetBlobProperties", key) from None
        return Stored(
            etag=properties.etag or "",
            version_id=properties.version_id or "",
            size=properties.size,
        )

    def presign_gets(self, keys, *, expires_in=URL_SECONDS, filenames=None):
        """Read-only SAS links, signed here with the account key: no call to Azure."""
        account_key = self.secrets.get("account_key")
        if not account_key:
            raise StorageError(
                "access_denied", "A SAS token cannot sign download links: give an account key."
            )
        now = datetime.now(UTC)
        expiry, start = now + timedelta(seconds=expires_in), now - timedelta(minutes=5)
        folder = f"{self.endpoint().rstrip('/')}/{self.bucket}/"
        urls = []
        for key, disposition in zip(keys, dispositions(keys, filenames), strict=True):
            sas = generate_blob_sas(
                self.location["account_name"],
                self.bucket,
                key,
                account_key=account_key,
                permission=BlobSasPermissions(read=True),
                expiry=expiry,
                start=start,
                content_disposition=disposition,
            )
            urls.append(f"{folder}{quote(key, safe='/~')}?{sas}")
        return urls, expires_in

    def object_chunks(self, key: str) -> Iterator[bytes]:
        def read():
            try:
                download = self._container("fetch").download_blob(key)
                for chunk in download.chunks():
                    for start in range(0, len(chunk), STREAM_CHUNK):
                        yield chunk[start : start + STREAM_CHUNK]
            except Exception as exc:
                raise self._error(exc, "GetBlob", key) from None

        return chunks_primed(read())

    def objects_delete(self, keys: list[str]) -> dict[str, StorageError]:
        refused: dict[str, StorageError] = {}
        container = self._container("fetch")
        for start in range(0, len(keys), DELETE_BATCH):
            batch = keys[start : start + DELETE_BATCH]
            try:
                answers = list(container.delete_blobs(*batch, raise_on_any_failure=False))
            except Exception as exc:
                refused |= dict.fromkeys(batch, self._error(exc, "DeleteBlobs"))
                continue
            for key, answer in zip(batch, answers, strict=False):
                if answer.status_code not in (200, 202, 404):  # 404: gone already
                    error = azure.HttpResponseError(response=answer)
                    refused[key] = self._error(error, "DeleteBlob", key)
        return refused

    def _error(self, exc: Exception, operation: str, key: str | None = None) -> StorageError:
        return error_from(exc, operation, bucket=self.bucket, endpoint=self.endpoint(), key=key)
