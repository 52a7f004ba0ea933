"""The S3 operations on buckets and objects, each answering its result or raising an
`StorageError` (`errors`)."""

import io
import logging
import os
import uuid
from collections.abc import Callable, Hashable
from contextlib import nullcontext
from datetime import datetime

from botocore.exceptions import (
    ClientError,
)
from django.conf import settings

from storageconfig import failures
from storageconfig.backends.aws.errors import FAILURES, error_from
from storageconfig.backends.aws.parts import Parts, parts_shared
from storageconfig.backends.aws.s3 import MiB, client, transfer_config
from storageconfig.backends.aws.target import S3Target
from storageconfig.backends.aws.watch import Watch, watches
from storageconfig.backends.base import Stored, source_opened, source_size
from storageconfig.failures import StorageError
from storageconfig.rules import folder_start

# A stream's parts are read into memory before they are sent (a file's, or an ObjectSource's,
# are read as they go): it sends this many at once and holds one more, so memory stays within
# three parts whatever the stream's size (a recorder's body on its way into staging).
STREAM_THREADS = 2

logger = logging.getLogger(__name__)


DELETE_BATCH = 1000  # S3's limit of keys per DeleteObjects call


def bucket_head(s3, target: S3Target, *, diagnose_prefix: str) -> None:
    """HeadBucket; when S3 answers a bare 403, find out why with a read of a missing key."""
    try:
        s3.head_bucket(Bucket=target.bucket)
    except FAILURES as exc:
        failure = error_from(exc, target=target, operation="HeadBucket")
        if failure.reason == "access_denied":
            # A HEAD response has no body, so a bad key id looks like any 403 there.
            failure = _credential_failure(s3, target, diagnose_prefix) or failure
        raise failure from None


def bucket_probe(target: S3Target, *, cache_key: Hashable) -> StorageError | None:
    """One HeadBucket, bounded to PROBE_SECONDS: None when the bucket answers, else why not."""
    try:
        client(target, purpose="probe", cache_key=cache_key).head_bucket(Bucket=target.bucket)
    except FAILURES as exc:
        return error_from(exc, target=target, operation="HeadBucket")
    return None


def _credential_failure(s3, target: S3Target, prefix: str) -> StorageError | None:
    key = f"{folder_start(prefix)}.read_probe_{uuid.uuid4().hex}"
    try:
        s3.get_object(Bucket=target.bucket, Key=key)
    except FAILURES as exc:
        failure = error_from(exc, target=target, operation="GetObject", key=key)
        if failure.reason in {"invalid_access_key_id", "signature_mismatch", "invalid_credentials"}:
            return failure
    return None


def object_put(s3, target: S3Target, *, key: str, body: bytes, content_type: str) -> None:
    try:
        s3.put_object(
            Bucket=target.bucket,
            Key=key,
            Body=body,
            ContentType=content_type,
            **target.write_args(),
        )
    except FAILURES as exc:
        raise error_from(exc, target=target, operation="PutObject", key=key) from None


# botocore's flexible checksums: what it sent with the bytes (CRC32 unless told otherwise),
# and S3 refuses a part or an object whose bytes do not match.
_CHECKSUMS = ("ChecksumCRC32", "ChecksumCRC32C", "ChecksumCRC64NVME", "ChecksumSHA256")


def stored_from(answer: dict) -> Stored:
    """What S3 answered a PutObject, a CompleteMultipartUpload or a HeadObject."""
    checksum = next(
        (
            f"{name.removeprefix('Checksum').lower()}:{answer[name]}"
            for name in _CHECKSUMS
            if answer.get(name)
        ),
        "",
    )
    return Stored(
        etag=answer.get("ETag", ""),
        version_id=answer.get("VersionId") or "",
        checksum=checksum,
        size=answer.get("ContentLength"),
    )


def object_upload(
    s3,
    target: S3Target,
    *,
    key: str,
    source,
    content_type: str,
    metadata: dict[str, str],
    started: Callable[[str], None] | None = None,
    parts: Parts | None = None,
) -> Stored:
    """Managed upload of a file path, an ObjectSource or a binary stream: streamed, multipart
    when large, its parts sent by `parts` (an upload pass's budget) or by a budget of its own;
    a multipart upload's id goes to `started` as soon as S3 gives it. What S3 answered once the
    object is whole.

    Only PutObject and the multipart calls: write-only credentials suffice.
    """
    extra = {"ContentType": content_type, "Metadata": metadata, **target.write_args()}
    size = source_size(source)
    watch = Watch(started)
    try:
        if size is not None and size < transfer_config().multipart_threshold:
            # One PUT: a transfer manager's threads cost more than a small file takes.
            with source_opened(source) as body:
                answer = s3.put_object(Bucket=target.bucket, Key=key, Body=body, **extra)
            return stored_from(answer)
        watches[(target.bucket, key)] = watch
        threads = STREAM_THREADS if size is None else None
        with nullcontext(parts) if parts else parts_shared(s3, threads=threads) as shared:
            shared.upload(source, target.bucket, key, extra)
    except FAILURES as exc:
        raise error_from(exc, target=target, operation="PutObject", key=key) from None
    finally:
        watches.pop((target.bucket, key), None)
    # A stream of unknown size below one part went up in one PutObject s3transfer answered
    # (the staging bucket's; media has a size).
    return stored_from(watch.completed) if watch.completed else Stored(etag="")


def object_head(s3, target: S3Target, *, key: str) -> Stored | None:
    """HeadObject: None when there is no object at the key."""
    try:
        return stored_from(s3.head_object(Bucket=target.bucket, Key=key))
    except FAILURES as exc:
        failure = error_from(exc, target=target, operation="HeadObject", key=key)
        if failure.reason == "no_such_key":
            return None
        raise failure from None


def multipart_abort(s3, target: S3Target, *, key: str, upload_id: str) -> None:
    """Abort a multipart upload an earlier attempt left open, so its parts stop costing the
    customer. Already gone, or not ours to abort (no s3:AbortMultipartUpload): nothing to do
    here (the lifecycle rule of docs/operations.md catches it). Unreachable: raises, the
    attempt waits."""
    try:
        s3.abort_multipart_upload(Bucket=target.bucket, Key=key, UploadId=upload_id)
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code == "NoSuchUpload":
            return
        failure = error_from(exc, target=target, operation="AbortMultipartUpload", key=key)
        if not failure.retryable:
            logger.warning("Could not abort an unfinished upload of %s: %s", key, failure.reason)
            return
        raise failure from None
    except FAILURES as exc:
        raise error_from(exc, target=target, operation="AbortMultipartUpload", key=key) from None


def object_open(s3, target: S3Target, *, key: str):
    """The object's streaming body, to be read in chunks and closed by the caller."""
    try:
        return s3.get_object(Bucket=target.bucket, Key=key)["Body"]
    except FAILURES as exc:
        raise error_from(exc, target=target, operation="GetObject", key=key) from None


class _ObjectFile(io.RawIOBase):
    """An object as a seekable file, read one window (a part's size) per ranged GET: a part of
    a multipart upload is one whole answer, and its connection goes back to the pool. Only the
    reader's buffer is held in memory."""

    def __init__(self, s3, target: S3Target, key: str, size: int, failure_as) -> None:
        self._s3, self._target, self._key = s3, target, key
        self._failure_as = failure_as
        self.size = size
        self._window = settings.UPLOAD_PART_MB * MiB
        self._at = 0
        self._body, self._body_at, self._body_end = None, 0, 0

    def _open(self, start: int) -> None:
        self._drop()
        end = min(start + self._window, self.size)
        answer = self._s3.get_object(
            Bucket=self._target.bucket, Key=self._key, Range=f"bytes={start}-{end - 1}"
        )
        self._body, self._body_at, self._body_end = answer["Body"], start, end

    def _drop(self) -> None:
        if self._body is not None:
            self._body.close()
            self._body = None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._at

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._at, os.SEEK_END: self.size}[whence]
        self._at = max(0, base + offset)
        return self._at

    def readinto(self, buffer) -> int:
        if self._at >= self.size:
            return 0
        try:
            if self._body is None or self._at != self._body_at or self._at >= self._body_end:
                self._open(self._at)
            data = self._body.read(min(len(buffer), self._body_end - self._at))
        except FAILURES as exc:
            failure = error_from(exc, target=self._target, operation="GetObject", key=self._key)
            raise self._failure_as(failure) from None
        if not data:  # the answer ended early
            raise self._failure_as(failures.unreachable(self._target.endpoint))
        buffer[: len(data)] = data
        self._at += len(data)
        self._body_at = self._at
        return len(data)

    def close(self) -> None:
        self._drop()
        super().close()


def object_reader(
    s3, target: S3Target, *, key: str, size: int, failure_as=lambda failure: failure
) -> io.BufferedReader:
    """The object (of this `size`, object_size's) as a seekable binary file whose reads return
    all they ask for, until the end; nothing is asked of S3 before the first read. A read that
    fails raises `failure_as(the StorageError)`, as its reader may be another bucket's upload."""
    return io.BufferedReader(_ObjectFile(s3, target, key, size, failure_as), buffer_size=MiB)


def object_start(s3, target: S3Target, *, key: str, limit: int) -> bytes:
    """The object's first `limit` bytes (all of it when shorter)."""
    try:
        answer = s3.get_object(Bucket=target.bucket, Key=key, Range=f"bytes=0-{limit - 1}")
        with answer["Body"] as body:
            return body.read()
    except FAILURES as exc:
        raise error_from(exc, target=target, operation="GetObject", key=key) from None


def object_size(s3, target: S3Target, *, key: str) -> int:
    try:
        return s3.head_object(Bucket=target.bucket, Key=key)["ContentLength"]
    except FAILURES as exc:
        raise error_from(exc, target=target, operation="HeadObject", key=key) from None


def multipart_uploads(s3, target: S3Target, *, prefix: str) -> list[tuple[str, str, datetime]]:
    """The multipart uploads begun under the prefix and neither completed nor aborted: each
    one's key, upload id and when it began (S3 lists up to 1,000 a call)."""
    try:
        pages = s3.get_paginator("list_multipart_uploads").paginate(
            Bucket=target.bucket, Prefix=prefix
        )
        return [
            (upload["Key"], upload["UploadId"], upload["Initiated"])
            for page in pages
            for upload in page.get("Uploads", [])
        ]
    except FAILURES as exc:
        raise error_from(exc, target=target, operation="ListMultipartUploads") from None


def objects_delete(s3, target: S3Target, *, keys: list[str]) -> dict[str, StorageError]:
    """Delete the keys, DELETE_BATCH per DeleteObjects call; the keys S3 refused, with why.

    A key refused for access, or for a passing fault botocore did not retry (a per-key error
    in a successful answer), is tried once more alone with DeleteObject: some S3-compatible
    servers authorise a batch against the bucket rather than each key, as AWS does. Deleting
    a key that is already gone succeeds, so running this again is harmless."""
    refused: dict[str, StorageError] = {}
    for start in range(0, len(keys), DELETE_BATCH):
        batch = keys[start : start + DELETE_BATCH]
        refused |= _batch_delete(s3, target, batch)
    again = [key for key, why in refused.items() if why.reason == "access_denied" or why.retryable]
    for key in again:
        try:
            s3.delete_object(Bucket=target.bucket, Key=key)
        except FAILURES as exc:
            refused[key] = error_from(exc, target=target, operation="DeleteObjects", key=key)
        else:
            del refused[key]
    return refused


def _batch_delete(s3, target: S3Target, keys: list[str]) -> dict[str, StorageError]:
    try:
        answer = s3.delete_objects(
            Bucket=target.bucket,
            Delete={"Objects": [{"Key": key} for key in keys], "Quiet": True},
        )
    except FAILURES as exc:
        failure = error_from(exc, target=target, operation="DeleteObjects")
        return dict.fromkeys(keys, failure)
    refused = {}
    for error in answer.get("Errors", []):
        key, code = error.get("Key", ""), str(error.get("Code", ""))
        response = {"Error": {"Code": code}, "ResponseMetadata": {}}
        refused[key] = error_from(
            ClientError(response, "DeleteObjects"),
            target=target,
            operation="DeleteObjects",
            key=key,
        )
    return refused
