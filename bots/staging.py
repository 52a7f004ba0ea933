"""Recorder files wait in the staging storage (django-storages) until they are uploaded."""

import logging
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.core.files import File
from django.core.files.storage import storages

from bots.intake import CHUNK, Intake
from bots.models import BotArtifact
from bots.upload_lifecycle import COPY_DONE

logger = logging.getLogger(__name__)
SWEEP_BATCH = 500


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
    partial = path.with_name(f"{path.name}.part")
    try:
        with open(partial, "xb") as out:
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
