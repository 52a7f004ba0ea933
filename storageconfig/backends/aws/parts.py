"""An upload's parts sent by a budget of part threads: one s3transfer manager, which an upload
pass's files share (`objects.object_upload` takes it) or one upload has to itself."""

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from boto3.s3.transfer import create_transfer_manager
from s3transfer.manager import TransferManager
from s3transfer.utils import OSUtils

from storageconfig.backends.aws.s3 import transfer_config
from storageconfig.backends.base import ObjectSource


class _Sources(OSUtils):
    """s3transfer's file access: a path is a file, and an ObjectSource is named by a name of
    its own, as if a file: each of its parts opens its own reader and seeks to its range
    (s3transfer closes it once the part is sent)."""

    def __init__(self) -> None:
        self.objects: dict[str, ObjectSource] = {}

    def get_file_size(self, filename: str) -> int:
        if (source := self.objects.get(filename)) is not None:
            return source.size
        return super().get_file_size(filename)

    def open(self, filename: str, mode: str):
        if (source := self.objects.get(filename)) is not None:
            return source.open()
        return super().open(filename, mode)


@dataclass
class Parts:
    """A budget of part threads (one s3transfer manager) that the uploads given it share: a
    lone file sends as many parts at once as the budget allows, many files share it, and a
    stream's parts held in memory are counted against the same budget."""

    manager: TransferManager
    sources: _Sources
    _submitting: threading.Lock = field(default_factory=threading.Lock)

    def upload(self, source, bucket: str, key: str, extra: dict) -> None:
        """Send the source's parts through the budget; returns once the object is whole."""
        name = source
        if isinstance(source, ObjectSource):
            name = f"object {uuid.uuid4().hex}"
            self.sources.objects[name] = source
        try:
            # s3transfer numbers its transfers without a lock; the files' threads submit here.
            with self._submitting:
                future = self.manager.upload(name, bucket, key, extra_args=extra)
            future.result()
        finally:
            self.sources.objects.pop(name, None)


@contextmanager
def parts_shared(s3, *, threads: int | None = None) -> Iterator[Parts]:
    """A budget of `threads` (UPLOAD_THREADS) part threads for the uploads made while inside;
    on leaving, it waits for those still sending."""
    sources = _Sources()
    with create_transfer_manager(s3, transfer_config(threads), osutil=sources) as manager:
        yield Parts(manager, sources)
