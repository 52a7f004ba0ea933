"""Azure Blob Storage: a container of a storage account, with its account key or a SAS token.

The account URL (`https://<account>.blob.core.windows.net`, or an `endpoint_url` for Azurite
and sovereign clouds) is the tenant's: every connection to it goes through the egress guard.
"""

import base64
import binascii
import re
from collections.abc import Hashable, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from urllib.parse import quote, urlsplit

from azure.core import exceptions as azure
from azure.core.pipeline.transport import RequestsTransport
from azure.storage.blob import (
    BlobSasPermissions,
    BlobServiceClient,
    ContentSettings,
    generate_blob_sas,
)
from django.conf import settings
from rest_framework import serializers

from meetstream import outbound
from meetstream.serializers import StrictCharField
from storageconfig import failures
from storageconfig.backends.base import (
    CHECK_TIMEOUT,
    FETCH_TIMEOUT,
    STREAM_CHUNK,
    URL_SECONDS,
    Backend,
    Stored,
    chunks_first_read,
    source_opened,
)
from storageconfig.client_cache import ClientCache
from storageconfig.failures import StorageError
from storageconfig.fields import ProviderFields, credential, rule
from storageconfig.rules import endpoint_url_normalize

DELETE_BATCH = 256  # Blob batch's limit of sub-requests
_ACCOUNT = re.compile(r"^[a-z0-9]{3,24}$")
_CONTAINER = re.compile(r"^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
_SAS_PART = re.compile(r"^[A-Za-z0-9%=&._~:+/-]+$")
SECRETS = ("account_key", "sas_token")
MiB = 1024 * 1024


def _account_key_check(value: str) -> str:
    try:
        if not value.isascii() or not base64.b64decode(value, validate=True):
            raise ValueError
    except (ValueError, binascii.Error):
        raise serializers.ValidationError(
            "An account key is base64, as the portal shows it."
        ) from None
    return value


def _sas_token_check(value: str) -> str:
    token = value.removeprefix("?")
    if not _SAS_PART.fullmatch(token) or "sig=" not in token:
        raise serializers.ValidationError("A SAS token is the query string the portal gives.")
    return token


class AzureFields(ProviderFields):
    account_name = StrictCharField(max_length=24)
    container = StrictCharField(max_length=63)
    account_key = credential("The account key", 128, required=False)
    sas_token = credential("The SAS token", 2048, required=False)
    endpoint_url = StrictCharField(
        max_length=2048,
        required=False,
        allow_null=True,
        help_text="The account URL, for Azurite or a sovereign cloud.",
    )

    def validate_account_name(self, value):
        if not _ACCOUNT.fullmatch(value):
            raise serializers.ValidationError(
                "An account name is 3-24 lowercase letters or digits."
            )
        return value

    def validate_container(self, value):
        if not _CONTAINER.fullmatch(value):
            raise serializers.ValidationError(
                "A container name is 3-63 lowercase letters, digits or single hyphens, starting "
                "and ending with a letter or digit."
            )
        return value

    def validate_account_key(self, value):
        return _account_key_check(value)

    def validate_sas_token(self, value):
        return _sas_token_check(value)

    def validate_endpoint_url(self, value):
        if value in (None, ""):
            return None
        return rule(partial(endpoint_url_normalize, account_path=True))(self, value)

    def problems_together(self, data: dict) -> dict[str, str]:
        endpoint_url, account = data.get("endpoint_url"), data.get("account_name")
        path = urlsplit(endpoint_url).path if isinstance(endpoint_url, str) else ""
        if path and account and path != f"/{account}":
            return {"endpoint_url": "The endpoint URL's path, when it has one, is the account."}
        given = [name for name in SECRETS if name in data]
        if len(given) == 2:
            return {"sas_token": "Give either account_key or sas_token, not both."}
        if not given:
            neither = "Give account_key or sas_token."
            return {"account_key": neither, "sas_token": neither}
        if given == ["sas_token"] and data.get("access_mode", "read_write") == "read_write":
            return {
                "sas_token": "A SAS token cannot sign download links: give account_key for "
                "read_write, or use access_mode write_only."
            }
        return {}


class AzureShown(serializers.Serializer):
    account_name = serializers.CharField()
    container = serializers.CharField()
    endpoint_url = serializers.CharField(allow_null=True)


def _account_url(location: dict) -> str:
    return (
        location.get("endpoint_url") or f"https://{location['account_name']}.blob.core.windows.net"
    )


_clients = ClientCache()


def _purposes() -> dict[str, dict]:
    part = settings.S3_UPLOAD_PART_MB * MiB
    return {
        "check": {"timeouts": CHECK_TIMEOUT, "retry_total": 1},
        "fetch": {"timeouts": FETCH_TIMEOUT, "retry_total": 2},
        "transfer": {
            "timeouts": (5.0, float(settings.S3_TRANSFER_READ_TIMEOUT)),
            "retry_total": 3,
            "max_block_size": part,
            "max_single_put_size": part,
        },
    }


class AzureBackend(Backend):
    provider = "azure"
    label = "Azure Blob Storage"
    Fields = AzureFields
    Shown = AzureShown
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
        """The SAS permissions (or the data role) the credentials need on the container."""
        permissions = "cw" + ("r" if access_mode == "read_write" else "")
        permissions += "d" if extra.get("allow_delete") else ""
        return {
            "provider": cls.provider,
            "container": options["container"],
            "sas_permissions": "".join(sorted(permissions, key="rcwd".index)),
            "sas_resource": "c",
            "prefixes": prefixes,
            "role": "Storage Blob Data Contributor"
            if access_mode == "read_write"
            else "A custom role with Microsoft.Storage/storageAccounts/blobServices/containers/"
            "blobs/write only",
        }

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
            session=outbound.session(),
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

    def object_upload(
        self, *, key: str, source, content_type: str, metadata: dict, started=None
    ) -> Stored:
        """A block blob, sent in blocks of S3_UPLOAD_PART_MB, S3_UPLOAD_THREADS at a time,
        each block with its Content-MD5, which Azure checks before it keeps the block
        (`validate_content`).

        Blocks an interrupted attempt staged stay uncommitted: the next attempt's commit of the
        same blob discards them, and Azure deletes them after a week in any case."""
        blob = self._container("transfer").get_blob_client(key)
        try:
            with source_opened(source) as stream:
                answer = blob.upload_blob(
                    stream,
                    overwrite=True,
                    content_settings=ContentSettings(content_type),
                    metadata=metadata,
                    max_concurrency=settings.S3_UPLOAD_THREADS,
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

    def presign_gets(self, keys: list[str]) -> tuple[list[str], int]:
        """Read-only SAS links, signed here with the account key: no call to Azure."""
        account_key = self.secrets.get("account_key")
        if not account_key:
            raise StorageError(
                "access_denied", "A SAS token cannot sign download links: give an account key."
            )
        now = datetime.now(UTC)
        expiry, start = now + timedelta(seconds=URL_SECONDS), now - timedelta(minutes=5)
        folder = f"{self.endpoint().rstrip('/')}/{self.bucket}/"
        urls = []
        for key in keys:
            sas = generate_blob_sas(
                self.location["account_name"],
                self.bucket,
                key,
                account_key=account_key,
                permission=BlobSasPermissions(read=True),
                expiry=expiry,
                start=start,
            )
            urls.append(f"{folder}{quote(key, safe='/~')}?{sas}")
        return urls, URL_SECONDS

    def object_chunks(self, key: str) -> Iterator[bytes]:
        def read():
            try:
                download = self._container("fetch").download_blob(key)
                for chunk in download.chunks():
                    for start in range(0, len(chunk), STREAM_CHUNK):
                        yield chunk[start : start + STREAM_CHUNK]
            except Exception as exc:
                raise self._error(exc, "GetBlob", key) from None

        return chunks_first_read(read())

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
        """An Azure failure in words a customer can act on; never the service's raw text."""
        if isinstance(exc, StorageError):
            return exc
        where = f"{self.bucket}/{key}" if key else f"container '{self.bucket}'"
        if (refused := outbound.refusal_in(exc)) is not None:
            return failures.egress_refused(refused)
        if isinstance(exc, azure.ServiceResponseTimeoutError | azure.ServiceRequestTimeoutError):
            return failures.timed_out(self.endpoint())
        if isinstance(exc, azure.ServiceRequestError | azure.ServiceResponseError):
            return failures.unreachable(self.endpoint())
        code = getattr(exc, "error_code", None) or ""
        code = str(getattr(code, "value", code))  # the SDK's enum, or the header's text
        status = getattr(exc, "status_code", None) or 0
        if code == "ContainerNotFound" or (status == 404 and key is None):
            return failures.no_bucket(self.bucket, kind="container")
        if status == 404:
            return failures.no_key(where)
        if code in {"AuthenticationFailed", "AuthorizationFailure"} or isinstance(
            exc, azure.ClientAuthenticationError
        ):
            return StorageError(
                "invalid_credentials", "Azure did not accept the account key or the SAS token."
            )
        if status == 403:
            return failures.denied(operation, where)
        if status == 429 or status >= 500:
            return failures.unavailable("Azure", operation, where, status)
        return StorageError("storage_error", f"{operation} on {where} failed ({code or status}).")
