"""Google Cloud Storage, with a service account's JSON key.

Google's own endpoints only (the emulator through the libraries' `STORAGE_EMULATOR_HOST`):
no tenant names a host here, so nothing needs the egress guard. The key's `token_uri` is
refused unless it is Google's, or its JWT would be posted wherever a tenant pointed it.
"""

import json
import os
from collections.abc import Hashable, Iterator
from datetime import timedelta

from django.conf import settings
from google.api_core import exceptions as google
from google.api_core.retry import Retry, if_transient_error
from google.auth.credentials import AnonymousCredentials
from google.auth.transport.requests import AuthorizedSession
from google.cloud import storage
from google.oauth2 import service_account

from storageconfig.backends.base import (
    CHECK_TIMEOUT,
    FETCH_TIMEOUT,
    STREAM_CHUNK,
    URL_SECONDS,
    Backend,
    Stored,
    chunks_primed,
    dispositions,
    source_opened,
    source_size,
)
from storageconfig.backends.gcs.errors import error_from
from storageconfig.backends.gcs.policy import bucket_policy
from storageconfig.client_cache import ClientCache
from storageconfig.failures import StorageError

TOKEN_URI = "https://oauth2.googleapis.com/token"  # noqa: S105 (an address)
SCOPE = "https://www.googleapis.com/auth/devstorage.read_write"
API = "https://storage.googleapis.com"
DELETE_BATCH = 100  # the JSON API's limit of calls per batch request
MiB = 1024 * 1024


def key_signer(info: dict) -> service_account.Credentials:
    return service_account.Credentials.from_service_account_info(
        {**info, "token_uri": TOKEN_URI}, scopes=[SCOPE]
    )


def _emulator() -> str | None:
    return os.environ.get("STORAGE_EMULATOR_HOST") or None


def _retry(seconds: float) -> Retry:
    return Retry(predicate=if_transient_error, initial=0.25, maximum=2.0, timeout=seconds)


_TIMEOUTS = {
    "check": (CHECK_TIMEOUT, _retry(4.0)),
    "fetch": (FETCH_TIMEOUT, _retry(20.0)),
}
_clients = ClientCache()
_signers = ClientCache()  # reading a private key costs a millisecond: once per revision


def _transfer() -> tuple[tuple[float, float], Retry]:
    return (5.0, float(settings.UPLOAD_READ_TIMEOUT)), _retry(120.0)


class GcsBackend(Backend):
    provider = "gcs"
    label = "Google Cloud Storage"
    secret_fields = ("service_account_json",)
    read_check = "GetBucket"
    write_check = "PutObject"

    @classmethod
    def location_of(cls, options: dict) -> dict:
        return {"bucket": options["bucket_name"]}

    @classmethod
    def policy(cls, *, options: dict, prefixes: list[str], access_mode: str, **extra) -> dict:
        allow_delete = extra.get("allow_delete", False)
        return bucket_policy(options["bucket_name"], prefixes, access_mode, allow_delete)

    @classmethod
    def forget(cls, revision: Hashable) -> None:
        _clients.forget(revision)
        _signers.forget(revision)

    def endpoint(self) -> str:
        return _emulator() or API

    def _info(self) -> dict:
        return json.loads(self.secrets["service_account_json"])

    def _client(self) -> storage.Client:
        return self._client_kept(_clients, "storage", self._client_build)

    def _client_build(self) -> storage.Client:
        info = self._info()
        if _emulator():
            # The emulator takes no tokens; URLs are still signed with the key.
            credentials, project = AnonymousCredentials(), info.get("project_id") or "emulator"
        else:
            credentials, project = key_signer(info), info.get("project_id")
        # A token is fetched within the check's time, whatever google-auth's default.
        session = AuthorizedSession(credentials, refresh_timeout=sum(CHECK_TIMEOUT))
        return storage.Client(project=project, credentials=credentials, _http=session)

    def _bucket(self) -> storage.Bucket:
        return self._client().bucket(self.bucket)

    def bucket_read(self, *, diagnose_prefix: str) -> None:
        timeout, retry = _TIMEOUTS["check"]
        try:
            self._bucket().reload(timeout=timeout, retry=retry)
        except Exception as exc:
            raise self._error(exc, "GetBucket") from None

    def object_put(self, *, key: str, body: bytes, content_type: str) -> None:
        timeout, retry = _TIMEOUTS["check"]
        try:
            self._bucket().blob(key).upload_from_string(
                body, content_type=content_type, timeout=timeout, retry=retry
            )
        except Exception as exc:
            raise self._error(exc, "PutObject", key) from None

    def object_upload(
        self, *, key: str, source, content_type: str, metadata: dict, started=None
    ) -> Stored:
        # Above one part, resumable, one part at a time: memory holds one part, whatever the
        # file's size. Below, one request (a resumable upload would cost two). An interrupted
        # resumable upload is no object and its session lapses after a week: nothing to abort.
        # The client computes the CRC32C of what it sends and fails the upload when Google's
        # answer names another (google-resumable-media's `checksum`).
        part = settings.UPLOAD_PART_MB * MiB
        size = source_size(source)
        small = size <= part
        blob = self._bucket().blob(key, chunk_size=None if small else part)
        blob.metadata = metadata
        timeout, retry = _transfer()
        try:
            if isinstance(source, str):
                blob.upload_from_filename(
                    source,
                    content_type=content_type,
                    timeout=timeout,
                    retry=retry,
                    checksum="crc32c",
                )
            else:
                with source_opened(source) as stream:
                    blob.upload_from_file(
                        stream,
                        size=size,
                        content_type=content_type,
                        timeout=timeout,
                        retry=retry,
                        checksum="crc32c",
                    )
        except Exception as exc:
            raise self._error(exc, "PutObject", key) from None
        return _stored(blob)

    def object_head(self, key: str) -> Stored | None:
        timeout, retry = _TIMEOUTS["fetch"]
        try:
            blob = self._bucket().get_blob(key, timeout=timeout, retry=retry)
        except Exception as exc:
            raise self._error(exc, "GetObject", key) from None
        return None if blob is None else _stored(blob)

    def presign_gets(self, keys, *, expires_in=URL_SECONDS, filenames=None):
        """V4 signed URLs, signed here with the key: no call to Google."""
        try:
            signer = self._client_kept(_signers, "signer", lambda: key_signer(self._info()))
        except (ValueError, TypeError, KeyError):
            raise StorageError(
                "invalid_credentials", "The service account key cannot sign."
            ) from None
        bucket = self._bucket()
        expires = timedelta(seconds=expires_in)
        urls = [
            bucket.blob(key).generate_signed_url(
                version="v4",
                expiration=expires,
                method="GET",
                credentials=signer,
                api_access_endpoint=self.endpoint(),
                response_disposition=disposition,
            )
            for key, disposition in zip(keys, dispositions(keys, filenames), strict=True)
        ]
        return urls, expires_in

    def object_chunks(self, key: str) -> Iterator[bytes]:
        timeout, retry = _TIMEOUTS["fetch"]

        def read():
            try:
                with (
                    self._bucket()
                    .blob(key)
                    .open("rb", chunk_size=MiB, timeout=timeout, retry=retry) as reader
                ):
                    while chunk := reader.read(STREAM_CHUNK):
                        yield chunk
            except Exception as exc:
                raise self._error(exc, "GetObject", key) from None

        return chunks_primed(read())

    def objects_delete(self, keys: list[str]) -> dict[str, StorageError]:
        refused: dict[str, StorageError] = {}
        client, bucket = self._client(), self._bucket()
        timeout, retry = _TIMEOUTS["fetch"]
        for start in range(0, len(keys), DELETE_BATCH):
            batch_keys = keys[start : start + DELETE_BATCH]
            try:
                with client.batch(raise_exception=False) as batch:
                    for key in batch_keys:
                        bucket.blob(key).delete(timeout=timeout, retry=retry)
            except Exception as exc:
                failure = self._error(exc, "DeleteObjects")
                refused |= dict.fromkeys(batch_keys, failure)
                continue
            for key, answer in zip(batch_keys, batch._responses, strict=False):
                if answer.status_code not in (200, 204, 404):  # 404: gone already
                    error = google.from_http_status(answer.status_code, answer.reason or "")
                    refused[key] = self._error(error, "DeleteObjects", key)
        return refused

    def _error(self, exc: Exception, operation: str, key: str | None = None) -> StorageError:
        return error_from(exc, operation, bucket=self.bucket, endpoint=self.endpoint(), key=key)


def _stored(blob: storage.Blob) -> Stored:
    """A blob's generation is its version: every GCS object has one."""
    return Stored(
        etag=blob.etag or "",
        version_id=str(blob.generation or ""),
        checksum=f"crc32c:{blob.crc32c}" if blob.crc32c else "",
        size=blob.size,
    )
