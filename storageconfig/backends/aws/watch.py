"""One managed upload's multipart answers, heard by the transfer client's hooks."""

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Watch:
    """One managed upload's multipart answers, heard by the transfer client's hooks (they run
    in s3transfer's threads): who hears the upload's id, and what completing it answered."""

    started: Callable[[str], None] | None
    completed: dict = field(default_factory=dict)


watches: dict[tuple[str, str], Watch] = {}  # (bucket, key) → its upload's watch


def _watch_of(parsed) -> Watch | None:
    return watches.get((parsed.get("Bucket"), parsed.get("Key"))) if parsed else None


def multipart_begun(parsed=None, **_) -> None:
    watch = _watch_of(parsed)
    if watch is not None and watch.started and (upload_id := parsed.get("UploadId")):
        watch.started(upload_id)


def multipart_completed(parsed=None, **_) -> None:
    if (watch := _watch_of(parsed)) is not None:
        watch.completed = parsed
