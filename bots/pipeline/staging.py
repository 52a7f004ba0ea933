"""Recorder files wait in staging until they are uploaded: on a disk every process shares
(MEDIA_ROOT, through the "staging" storage), or across machines in the platform's
STAGING_S3_BUCKET. Either way a file appears whole or not at all, read and written as a stream.
"""

import fcntl
import glob
import logging
import os
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.files.storage import storages
from django.db.models import Q
from django.utils import timezone

from bots.models import BotArtifact
from bots.pipeline.upload_lifecycle import COPY_DONE, UploadState
from bots.recorder.intake import CHUNK, Intake
from meetstream.shared import timing
from meetstream.shared.errors import Unavailable
from storageconfig.backends import platform_backend
from storageconfig.backends.base import Backend, ObjectSource
from storageconfig.failures import StorageError

logger = logging.getLogger(__name__)
SWEEP_BATCH = 500
PARTIAL = ".part"
FOLDER = "staging"


@dataclass(frozen=True)
class Staged:
    name: str
    size: int
    sha256: str


class StagedMissing(FileNotFoundError):
    """The staged copy is gone (deleted by hand, a lost disk): it cannot be uploaded."""


def staging_storage():
    return storages["staging"]


def staging_bucket() -> Backend | None:
    """The staging bucket, when STAGING_S3_BUCKET names one; else staging is on disk."""
    name = settings.STAGING_S3_BUCKET
    return platform_backend(name) if name else None


def _unreadable(failure: StorageError) -> StorageError:
    """A staged copy that could not be read, in the words of the upload it failed: retried,
    and never naming the platform's own endpoint."""
    return StorageError(
        "unavailable",
        f"The file's staged copy could not be read ({failure.reason}); it will be tried again.",
        retryable=True,
    )


def _staging_down(failure: StorageError) -> Unavailable:
    logger.warning("The staging bucket failed: %s (%s)", failure.reason, failure.message)
    return Unavailable("Staging is unavailable: nothing was stored. Send the file again.")


def stage(*, bot_id: str, name: str, stream) -> Staged:
    """Stream a file into staging under a fresh name; nothing is held whole in memory.

    On disk it is written under a temporary name and renamed only once complete; in the bucket
    it is a multipart upload, which S3 makes an object only once complete. A body refused
    halfway (bots.recorder.intake raises before its last bytes) leaves nothing: the partial file is
    deleted, the multipart upload aborted."""
    reader = stream if isinstance(stream, Intake) else Intake(stream, length=None, digests=[])
    # Fresh, and saying when it began: an unfinished upload's age, whatever the server reports.
    began = int(time.time())
    staged_name = f"{FOLDER}/{bot_id}/{began}-{uuid.uuid4().hex}-{name.replace('/', '_')}"
    if (bucket := staging_bucket()) is not None:
        try:
            bucket.object_upload(
                key=staged_name,
                source=reader,
                content_type="application/octet-stream",
                metadata={},
            )
        except StorageError as failure:
            raise _staging_down(failure) from None
    else:
        _disk_stage(Path(staging_storage().path(staged_name)), reader)
    return Staged(staged_name, reader.size, reader.sha256)


def _disk_stage(path: Path, reader: Intake) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}{PARTIAL}")
    try:
        with open(partial, "xb") as out:
            fcntl.flock(out, fcntl.LOCK_EX)  # held while this process lives (the sweep)
            while data := reader.read(CHUNK):
                out.write(data)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def staged_source(name: str):
    """What an upload reads: a local path on disk, else the staged object (each part of it read
    as it is sent). Raises StagedMissing when the copy is gone."""
    if not name:
        raise StagedMissing(name)
    if (bucket := staging_bucket()) is None:
        path = staging_storage().path(name)
        if not os.path.exists(path):
            raise StagedMissing(name)
        return path
    return _object_source(bucket, name)


def fallback_source(key: str) -> ObjectSource:
    """A file that fell back: its copy in the platform bucket, read as a staged object is."""
    return _object_source(platform_backend(), key)


def _object_source(bucket: Backend, name: str) -> ObjectSource:
    try:
        size = bucket.object_size(name)
    except StorageError as failure:
        if failure.reason == "no_such_key":
            raise StagedMissing(name) from None
        raise _unreadable(failure) from None
    return ObjectSource(size, lambda: bucket.object_reader(name, size=size, failure_as=_unreadable))


def staged_read(name: str, *, limit: int) -> bytes:
    """At most `limit` + 1 bytes of a staged file (to tell one over the limit)."""
    if (bucket := staging_bucket()) is None:
        with staging_storage().open(name, "rb") as handle:
            return handle.read(limit + 1)
    try:
        return bucket.object_start(name, limit + 1)
    except StorageError as failure:
        raise _staging_down(failure) from None


def staged_delete(name: str) -> None:
    if name:
        _staged_delete([name])


def _staged_delete(names: list[str]) -> list[str]:
    """Delete staged copies; the names deleted (a copy that could not be, is logged)."""
    if (bucket := staging_bucket()) is not None:
        refused = bucket.objects_delete(names)
        for name, failure in refused.items():
            logger.warning("Could not delete staged file %s: %s", name, failure.reason)
        return [name for name in names if name not in refused]
    storage, gone = staging_storage(), []
    for name in names:
        try:
            storage.delete(name)
            gone.append(name)
        except OSError:
            logger.warning("Could not delete staged file %s", name, exc_info=True)
    return gone


def _unneeded() -> Q:
    """Files whose staged copy nothing will read again: recorded ones (COPY_DONE), and given-up
    ones whose hold ended (MEDIA_HOLD_HOURS) or whose bytes the platform bucket holds."""
    released = Q(fallback=True) | Q(held_until__lt=timezone.now())
    return Q(state__in=COPY_DONE) | (Q(state=UploadState.GAVE_UP) & released)


def staged_copies_discard(names: list[str]) -> None:
    """Delete these staged copies of files that no longer need them, then forget their names;
    a copy that could not be deleted keeps its name, for the next sweep."""
    gone = _staged_delete(names)
    BotArtifact.objects.filter(_unneeded(), staged_name__in=gone).update(staged_name="")


def staged_copies_sweep() -> int:
    """Delete the staged copies files no longer need, however the worker that recorded them
    died before deleting, and those whose hold ended; how many it found (SWEEP_BATCH at most a
    call)."""
    names = list(
        BotArtifact.objects.filter(_unneeded())
        .exclude(staged_name="")
        .values_list("staged_name", flat=True)[:SWEEP_BATCH]
    )
    if names:
        staged_copies_discard(names)
    return len(names)


def staged_partials_sweep(*, bot_id: str | None = None, grace: float | None = None) -> int:
    """Delete what interrupted recorder uploads left in staging (their web worker was killed);
    how many. On disk, partial files nobody writes any more: a writer holds a lock on its file
    for as long as it lives, and the kernel drops the lock with the process. In the bucket,
    multipart uploads begun over `grace` ago (an upload holds no lock to tell by)."""
    if (bucket := staging_bucket()) is not None:
        default = timing.STAGED_UPLOAD_GRACE.total_seconds()
        return _unfinished_uploads_abort(bucket, bot_id, default if grace is None else grace)
    default = timing.PARTIAL_FILE_GRACE.total_seconds()
    root = Path(staging_storage().path(FOLDER))
    cutoff = time.time() - (default if grace is None else grace)
    deleted = 0
    folders = glob.escape(bot_id) if bot_id else "*"
    for partial in root.glob(f"{folders}/*{PARTIAL}"):
        try:
            with open(partial, "rb") as held:
                if os.fstat(held.fileno()).st_mtime > cutoff:
                    continue
                fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
                partial.unlink()
                deleted += 1
        except (BlockingIOError, FileNotFoundError):
            continue  # being written, or gone already
    if deleted:
        logger.info("Deleted %d partial staged file(s) left by interrupted requests", deleted)
    return deleted


def _began(staged_name: str) -> datetime | None:
    """When the upload of a staged name began, as the name says (older names do not)."""
    stamp = staged_name.rpartition("/")[2].partition("-")[0]
    if stamp.isdigit() and len(stamp) <= 11:
        return datetime.fromtimestamp(int(stamp), UTC)
    return None


def _unfinished_uploads_abort(bucket: Backend, bot_id: str | None, grace: float) -> int:
    cutoff = timezone.now() - timedelta(seconds=grace)
    prefix = f"{FOLDER}/{bot_id}/" if bot_id else f"{FOLDER}/"
    aborted = 0
    try:
        for key, upload_id, initiated in bucket.uploads_unfinished(prefix):
            if (_began(key) or initiated) <= cutoff:
                bucket.upload_abort(key=key, upload_id=upload_id)
                aborted += 1
    except StorageError as failure:  # the next sweep tries again
        logger.warning("Could not sweep the staging bucket's uploads: %s", failure.reason)
    if aborted:
        logger.info("Aborted %d staging upload(s) left by interrupted requests", aborted)
    return aborted
