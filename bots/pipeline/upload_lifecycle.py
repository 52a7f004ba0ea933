"""A file's upload as one table: which event moves it from which states to which.

    staged → uploading → uploaded
    uploading → retry_wait (a transient error; `next_attempt_at`) → uploading
    uploading, retry_wait → gave_up (a permanent error, or the attempts are used up)
    gave_up → staged (only a person asks: the admin's Retry or `upload_media --retry`)
    uploaded, gave_up, staged → expired (the bot's retention ran out; the platform held it)
    uploaded, gave_up, staged, expired, kept → deleted (deleted on request)
    uploaded, kept → kept (deletion was asked, but the object stays in the customer's bucket)

A transition is one conditional UPDATE on the rows still in a source state
(meetstream.shared.due_work), so two workers can never both move the same file.
"""

from django.db import models
from django.db.models import QuerySet

from meetstream.shared.due_work import Transitions


class UploadState(models.TextChoices):
    STAGED = "staged"
    UPLOADING = "uploading"
    RETRY_WAIT = "retry_wait"
    UPLOADED = "uploaded"
    GAVE_UP = "gave_up"
    EXPIRED = "expired"
    DELETED = "deleted"
    KEPT = "kept"


class UploadEvent(models.TextChoices):
    CLAIMED = "claimed"
    SUCCEEDED = "succeeded"
    DEFERRED = "deferred"
    GAVE_UP = "gave_up"
    RETRIED = "retried"
    EXPIRED = "expired"
    DELETED = "deleted"
    KEPT = "kept"


S, U = UploadState, UploadEvent
UPLOAD_TRANSITIONS = {
    # uploading → uploading: a lapsed lease (its worker died) or the same task redelivered.
    U.CLAIMED: (frozenset({S.STAGED, S.RETRY_WAIT, S.UPLOADING}), S.UPLOADING),
    U.SUCCEEDED: (frozenset({S.UPLOADING}), S.UPLOADED),
    U.DEFERRED: (frozenset({S.UPLOADING}), S.RETRY_WAIT),
    U.GAVE_UP: (frozenset({S.UPLOADING, S.RETRY_WAIT}), S.GAVE_UP),
    U.RETRIED: (frozenset({S.GAVE_UP}), S.STAGED),
    U.EXPIRED: (frozenset({S.UPLOADED, S.GAVE_UP, S.STAGED}), S.EXPIRED),
    U.DELETED: (frozenset({S.UPLOADED, S.GAVE_UP, S.STAGED, S.EXPIRED, S.KEPT}), S.DELETED),
    U.KEPT: (frozenset({S.UPLOADED, S.KEPT}), S.KEPT),
}
UPLOADS = Transitions("upload", UPLOAD_TRANSITIONS)
UNFINISHED = frozenset({S.STAGED, S.UPLOADING, S.RETRY_WAIT})
# The object is in its bucket: served, and what a deletion must remove.
STORED = frozenset({S.UPLOADED, S.KEPT})
GONE = frozenset({S.EXPIRED, S.DELETED})
# Nothing will read the staged copy again: the engine deletes any left (bots.pipeline.uploads).
COPY_DONE = frozenset({S.UPLOADED, S.KEPT, S.EXPIRED, S.DELETED})


def upload_move(rows: QuerySet, event: str, **fields) -> int:
    """Move those of `rows` that are in a source state of `event` to its target; how many moved."""
    return UPLOADS.move(rows, event, **fields)
