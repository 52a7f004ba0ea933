"""Recorder files wait in the staging storage (django-storages) until they are uploaded."""

import fcntl
import glob
import logging
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.core.files import File
from django.core.files.storage import storages

from bots.intake import CHUNK, Intake
from bots.models import BotArtifact
from bots.upload_lifecycle import COPY_DONE
from meetstream import timing

logger = logging.getLogger(__name__)
SWEEP_BATCH = 500
PARTIAL = ".part"


@dataclass(frozen=True)
class Staged:
    name: str
    size: int
    sha256: str


def staging_storage():
    return storages["staging"]


def stage(*, bot_id: str, name: str, stream) -> Staged:
    """Stream a file into staging under a fresh name; nothing is held whole in memory.

    On disk it is written under a temporary name and renamed only once complete, so a body
    refused halfway leaves nothing. In an S3 staging bucket the object appears only when its
    upload completes, which a refused body stops first (bots.intake)."""
    reader = stream if isinstance(stream, Intake) else Intake(stream, length=None, digests=[])
    staged_name = f"staging/{bot_id}/{uuid.uuid4().hex}-{name.replace('/', '_')}"
    storage = staging_storage()
    try:
        path = Path(storage.path(staged_name))
    except NotImplementedError:
        saved = storage.save(staged_name, File(reader, name=staged_name))
        return Staged(saved, reader.size, reader.sha256)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}{PARTIAL}")
    try:
        with open(partial, "xb") as out:
            fcntl.flock(out, fcntl.LOCK_EX)  # held while this process lives: see partials_sweep
            while data := reader.read(CHUNK):
                out.write(data)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return Staged(staged_name, reader.size, reader.sha256)


def staged_source(name: str):
    """A local path when staging is on disk (uploads read it lazily), else an open stream."""
    storage = staging_storage()
    try:
        return storage.path(name)
    except NotImplementedError:
        return storage.open(name, "rb")


def staged_read(name: str, *, limit: int) -> bytes:
    with staging_storage().open(name, "rb") as handle:
        return handle.read(limit + 1)


def staged_exists(name: str) -> bool:
    return bool(name) and staging_storage().exists(name)


def staged_delete(name: str) -> None:
    if name:
        staging_storage().delete(name)


def staged_copies_discard(names: list[str]) -> None:
    """Delete these staged copies of files that no longer need them (COPY_DONE), then forget
    their names; a copy that could not be deleted keeps its name, for the next sweep."""
    gone = []
    for name in names:
        try:
            staged_delete(name)
            gone.append(name)
        except Exception:  # the disk or the staging bucket: the sweep tries again
            logger.warning("Could not delete staged file %s", name, exc_info=True)
    BotArtifact.objects.filter(staged_name__in=gone, state__in=COPY_DONE).update(staged_name="")


def staged_copies_sweep() -> int:
    """Delete the staged copies recorded files no longer need, however the worker that recorded
    them died before deleting; how many it found (SWEEP_BATCH at most a call)."""
    names = list(
        BotArtifact.objects.filter(state__in=COPY_DONE)
        .exclude(staged_name="")
        .values_list("staged_name", flat=True)[:SWEEP_BATCH]
    )
    if names:
        staged_copies_discard(names)
    return len(names)


def staged_partials_sweep(
    *, bot_id: str | None = None, grace: float = timing.PARTIAL_FILE_GRACE.total_seconds()
) -> int:
    """Delete the partial files of staging on disk that nobody writes any more (the web worker
    writing one was killed): a writer holds a lock on its file for as long as it lives, and the
    kernel drops the lock with the process. How many were deleted."""
    try:
        root = Path(staging_storage().path("staging"))
    except NotImplementedError:
        return 0  # a staging bucket: an unfinished upload is no object
    cutoff = time.time() - grace
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
