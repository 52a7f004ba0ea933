"""One file's transfer to its bucket, in a worker thread: storage only, no database. What
happened is an `Attempt`, which the upload pass records."""

import io
import logging
import time
from dataclasses import dataclass

from django.conf import settings

from bots.models import BotArtifact
from bots.pipeline.staging import fallback_source, staged_source
from meetstream.shared import metrics
from storageconfig.backends.base import Backend, Stored
from storageconfig.failures import StorageError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Attempt:
    """How one try at a file ended: stored (with what the bucket answered), or failed; a file
    that gave up at the tenant's bucket may lie in the platform bucket instead (`fell_back`)."""

    failure: StorageError | None = None
    stored: Stored | None = None
    fell_back: bool = False


STAGED_MISSING = "The staged file is missing; it cannot be uploaded."


def gives_up(artifact: BotArtifact, failure: StorageError) -> bool:
    return not failure.retryable or artifact.attempts + 1 >= settings.MEDIA_UPLOAD_MAX_ATTEMPTS


def file_transfer(
    backend: Backend, artifact: BotArtifact, body: bytes | None, started, fallback=None
) -> Attempt:
    """Runs in a worker thread: storage only, no database. Any exception fails this file
    alone, never the pass. `started` hears the id of a multipart upload it begins (recorded
    by the pass, aborted by the next attempt should this one die). A file that gives up goes
    to `fallback` (the platform bucket) when there is one."""
    attempt = _attempt(backend, artifact, body, started)
    failure = attempt.failure
    if failure is None or fallback is None or not gives_up(artifact, failure):
        return attempt
    if failure.reason == "staged_file_missing":
        return attempt
    if artifact.fallback:  # a redelivery that failed: its copy is in the platform bucket still
        return Attempt(failure, fell_back=True)
    fallen = _attempt(fallback, artifact, body, None)
    if fallen.failure is not None:
        logger.warning("Fallback of %s failed too: %s", artifact.name, fallen.failure.reason)
        return attempt
    return Attempt(failure, fell_back=True)


def _attempt(backend: Backend, artifact: BotArtifact, body: bytes | None, started) -> Attempt:
    try:
        return _transfer_once(backend, artifact, body, started)
    except FileNotFoundError:  # StagedMissing, or a disk's copy gone since
        return Attempt(StorageError("staged_file_missing", STAGED_MISSING))
    except Exception as unexpected:  # an SDK's or the disk's surprise: this file gives up
        logger.exception("Upload of %s failed unexpectedly", artifact.name)
        return Attempt(
            StorageError(
                "storage_error", f"The upload failed unexpectedly ({type(unexpected).__name__})."
            )
        )


def _source(artifact: BotArtifact, body: bytes | None):
    """What the upload reads: the manifest's bytes, the staged copy, or (a redelivery of a file
    that fell back) its copy in the platform bucket."""
    if body is not None:
        return io.BytesIO(body)
    if artifact.fallback and not artifact.staged_name:
        return fallback_source(artifact.key)
    return staged_source(artifact.staged_name)


def _transfer_once(backend: Backend, artifact: BotArtifact, body: bytes | None, started):
    try:
        source = _source(artifact, body)
    except StorageError as failure:  # the staging bucket did not answer
        return Attempt(failure)
    try:
        if artifact.multipart_upload_id and started is not None:
            backend.upload_abort(key=artifact.key, upload_id=artifact.multipart_upload_id)
        began = time.perf_counter()
        stored = backend.object_upload(
            key=artifact.key,
            source=source,
            content_type=artifact.content_type,
            metadata={"sha256": artifact.sha256},
            started=started,
        )
    except StorageError as failure:
        return Attempt(failure)
    metrics.UPLOAD_SECONDS.labels(category=artifact.category).observe(time.perf_counter() - began)
    return Attempt(stored=stored)
