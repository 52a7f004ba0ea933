"""Recorder files wait in the staging storage (django-storages) until they are uploaded."""

import hashlib
import uuid
from dataclasses import dataclass

from django.core.files import File
from django.core.files.storage import storages

CHUNK = 1024 * 1024


class _HashingReader:
    """Reads a stream through, counting bytes and hashing them on the way."""

    def __init__(self, stream) -> None:
        self._stream = stream
        self.sha256 = hashlib.sha256()
        self.size = 0

    def read(self, size: int = CHUNK) -> bytes:
        data = self._stream.read(CHUNK if size is None or size < 0 else size)
        self.sha256.update(data)
        self.size += len(data)
        return data


@dataclass(frozen=True)
class Staged:
    name: str
    size: int
    sha256: str


def staging_storage():
    return storages["staging"]


def stage(*, bot_id: str, name: str, stream) -> Staged:
    """Stream a file into staging under a fresh name; nothing is held whole in memory."""
    reader = _HashingReader(stream)
    staged_name = f"staging/{bot_id}/{uuid.uuid4().hex}-{name.replace('/', '_')}"
    saved = staging_storage().save(staged_name, File(reader, name=staged_name))
    return Staged(saved, reader.size, reader.sha256.hexdigest())


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
