"""The storage driver: one folder per bucket under ROOT, a key's object a file; its URLs are
ROOT served over HTTP at URL (the test adapter starts that server and sets both)."""

import hashlib
import os
from collections.abc import Hashable, Iterator
from pathlib import Path

from storageconfig import failures
from storageconfig.backends.base import STREAM_CHUNK, Backend, Stored, source_opened
from storageconfig.failures import StorageError

ROOT = Path("/nonexistent")
URL = "http://127.0.0.1:0"


class FolderBackend(Backend):
    provider = "folder"
    label = "A folder"
    secret_fields = ("token",)
    read_check = "HeadBucket"
    write_check = "PutObject"

    @classmethod
    def location_of(cls, options: dict) -> dict:
        return {"bucket": options["folder_name"]}

    @classmethod
    def policy(cls, *, options: dict, prefixes: list[str], access_mode: str, **extra) -> dict:
        return {"provider": "folder", "folder": options["folder_name"], "prefixes": prefixes}

    @classmethod
    def forget(cls, revision: Hashable) -> None:
        pass

    def endpoint(self) -> str:
        return URL

    def _path(self, key: str = "") -> Path:
        return ROOT / self.bucket / key

    def _refused(self) -> StorageError | None:
        if self.secrets.get("token") != "let-me-in-please":
            return StorageError("invalid_credentials", "The folder did not accept the token.")
        if not self._path().is_dir():
            return failures.no_bucket(self.bucket)
        return None

    def bucket_read(self, *, diagnose_prefix: str) -> None:
        if failure := self._refused():
            raise failure

    def object_put(self, *, key: str, body: bytes, content_type: str) -> None:
        if failure := self._refused():
            raise failure
        self._path(key).parent.mkdir(parents=True, exist_ok=True)
        self._path(key).write_bytes(body)

    def object_upload(self, *, key: str, source, content_type: str, metadata: dict, started=None):
        if failure := self._refused():
            raise failure
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.md5(usedforsecurity=False)
        with source_opened(source) as stream, open(f"{target}.part", "wb") as out:
            while chunk := stream.read(STREAM_CHUNK):
                digest.update(chunk)
                out.write(chunk)
        os.replace(f"{target}.part", target)
        return Stored(etag=f'"{digest.hexdigest()}"', size=target.stat().st_size)

    def object_head(self, key: str) -> Stored | None:
        path = self._path(key)
        if not path.is_file():
            return None
        etag = hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()
        return Stored(etag=f'"{etag}"', size=path.stat().st_size)

    def presign_gets(self, keys, *, expires_in=3600, filenames=None):
        return [f"{URL}/{self.bucket}/{key}" for key in keys], expires_in

    def object_chunks(self, key: str) -> Iterator[bytes]:
        path = self._path(key)
        if not path.is_file():
            raise failures.no_key(f"{self.bucket}/{key}")
        with open(path, "rb") as stream:
            yield from iter(lambda: stream.read(STREAM_CHUNK), b"")

    def objects_delete(self, keys: list[str]) -> dict[str, StorageError]:
        for key in keys:
            self._path(key).unlink(missing_ok=True)
        return {}
