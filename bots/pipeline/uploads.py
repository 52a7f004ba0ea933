"""Moving a bot's staged files into its pinned bucket, and recording where each one went.

Each file moves through bots.pipeline.upload_lifecycle; the delays are meetstream.shared.timing's.
"""

import logging
import queue
import threading
from collections import Counter
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone

from bots.bot.deletion import platform_objects_delete
from bots.bot.lifecycle import BotEventType, BotStatus
from bots.bot.selectors import pin_storage
from bots.bot.services import bot_transition
from bots.models import Bot, BotArtifact, Pin
from bots.pipeline.artifacts import MANIFEST
from bots.pipeline.manifest import manifest_body, manifest_stage
from bots.pipeline.pinning import bot_pin
from bots.pipeline.receipts import delivery_report
from bots.pipeline.staging import staged_copies_discard
from bots.pipeline.transfer import Attempt, file_transfer, gives_up
from bots.pipeline.upload_lifecycle import (
    UPLOADS,
    UploadEvent,
    UploadState,
    upload_move,
)
from bots.webhooks.delivery import webhook_emit
from meetstream.shared import due_work, metrics, timing
from storageconfig.failures import StorageError
from storageconfig.models import Fallback
from storageconfig.selectors import CredentialsErased, platform_storage

logger = logging.getLogger(__name__)


def _claim(bot: Bot, owner: str) -> list[BotArtifact]:
    """Lease the bot's due files to this upload; files another live lease holds stay its own.

    A redelivered task has the same owner, so it takes its own files back at once."""
    rows = BotArtifact.objects.filter(bot=bot)
    due_work.claim_due(UPLOADS, rows, owner=owner, lease=timing.LEASE)
    return list(BotArtifact.objects.filter(bot=bot, state=UploadState.UPLOADING, claimed_by=owner))


@contextmanager
def _lease_kept(bot: Bot, owner: str):
    """Renew the lease on this upload's files while it runs, however long that takes."""
    stop = threading.Event()

    def renew() -> None:
        try:
            while not stop.wait(timing.LEASE_RENEW_EVERY.total_seconds()):
                BotArtifact.objects.filter(
                    bot=bot, state=UploadState.UPLOADING, claimed_by=owner
                ).update(claimed_until=timezone.now() + timing.LEASE)
        finally:
            connection.close()

    renewer = threading.Thread(target=renew, name=f"lease-{owner}", daemon=True)
    renewer.start()
    try:
        yield
    finally:
        stop.set()
        renewer.join()


# Webhook events for files whose upload says something to the customer.
_PROCESSED = {"audio": "audio.processed", "video": "video.processed"}


def _processed_event(artifact: BotArtifact) -> str | None:
    if artifact.name == MANIFEST:
        return "manifest.completed"
    if artifact.name.endswith("processed_transcript.json"):
        return "transcription.processed"
    return _PROCESSED.get(artifact.category)


def _announce(bot: Bot, artifact: BotArtifact, failure: StorageError | None) -> None:
    """Stored: its event. First wait of a round: `upload_retrying`. Given up: `upload_failed`."""
    where = {"file": artifact.name, "bucket": artifact.bucket, "key": artifact.key}
    if artifact.state == UploadState.UPLOADED and (event := _processed_event(artifact)):
        webhook_emit(bot=bot, event=event, message=f"{artifact.name} is stored.", data=where)
    elif artifact.state == UploadState.RETRY_WAIT and artifact.attempts == 1:
        webhook_emit(
            bot=bot,
            event="storage.upload_retrying",
            message=f"{failure.message} It will be tried again.",
            data={
                **where,
                "reason": failure.reason,
                "attempts": artifact.attempts,
                "next_attempt_at": artifact.next_attempt_at.isoformat(),
            },
        )
    elif artifact.state == UploadState.GAVE_UP:
        kept = " It is kept in the platform bucket instead." if artifact.fallback else ""
        webhook_emit(
            bot=bot,
            event="storage.upload_failed",
            message=failure.message + kept,
            data={
                **where,
                "reason": failure.reason,
                "attempts": artifact.attempts,
                "fallback": artifact.fallback,
            },
        )


def _outcome(artifact: BotArtifact, attempt: Attempt) -> tuple[str, dict]:
    """The event a finished attempt applies to its file, with the fields it sets (a stored
    file's answer from the bucket aside: _successes_move sets those)."""
    attempts = artifact.attempts + 1
    fields = {"attempts": attempts, **due_work.released()}
    if (failure := attempt.failure) is None:
        # The staged copy's name stays until the copy is deleted (bots.pipeline.staging).
        fields.update(
            uploaded_at=timezone.now(),
            last_error="",
            last_reason="",
            multipart_upload_id="",
            fallback=False,
            held_until=None,
        )
        return UploadEvent.SUCCEEDED, {**fields, "next_attempt_at": None}
    fields.update(last_error=failure.message, last_reason=failure.reason)
    if not gives_up(artifact, failure):
        next_at = timezone.now() + timing.retry_delay(attempts)
        return UploadEvent.DEFERRED, {**fields, "next_attempt_at": next_at}
    # The staged copy is held for a redelivery, unless the platform bucket holds the file.
    held = bool(artifact.staged_name) and not attempt.fell_back
    hold = timezone.now() + timedelta(hours=settings.MEDIA_HOLD_HOURS) if held else None
    fields.update(fallback=attempt.fell_back, held_until=hold)
    return UploadEvent.GAVE_UP, {**fields, "next_attempt_at": None}


_OUTCOMES = {
    UploadEvent.SUCCEEDED: "uploaded",
    UploadEvent.DEFERRED: "retry",
    UploadEvent.GAVE_UP: "gave_up",
}


def _successes_move(stored: list[tuple[BotArtifact, Attempt]]) -> set[int]:
    """Move the uploaded files that their lease still holds to uploaded, with what their bucket
    answered, in one UPDATE; which moved. The rows are locked first, so the set read is the
    set moved."""
    if not stored:
        return set()
    mine = BotArtifact.objects.filter(
        pk__in=[artifact.pk for artifact, _ in stored],
        claimed_by=stored[0][0].claimed_by,
        state=UploadState.UPLOADING,
    )
    held = set(mine.select_for_update().values_list("pk", flat=True))
    _, fields = _outcome(*stored[0])
    fields["attempts"] = F("attempts") + 1
    for name in ("etag", "version_id", "checksum"):
        fields[name] = Case(
            *(When(pk=a.pk, then=Value(getattr(t.stored, name))) for a, t in stored if t.stored),
            default=Value(""),
        )
    upload_move(mine.filter(pk__in=held), UploadEvent.SUCCEEDED, **fields)
    return held


def _outcomes_apply(
    bot: Bot, finished: list[tuple[BotArtifact, Attempt]], *, discard=None
) -> list[str]:
    """Apply finished attempts to their files and announce them, in one transaction (the
    successes in one UPDATE); the files' new states. The manifest's upload also makes the bot
    Done, in the same transaction, and the upload's end writes its receipt. A commit per batch,
    not per file: with many small files the commits were most of the cost. Only then do the
    staged copies no longer needed go, through `discard` (given a list of names; here, by
    default), and the platform bucket's copies of files redelivered from there."""
    applied, states = [], []
    with transaction.atomic():
        held = _successes_move([(a, attempt) for a, attempt in finished if attempt.failure is None])
        for artifact, attempt in finished:
            failure = attempt.failure
            event, fields = _outcome(artifact, attempt)
            if failure is None:
                moved = artifact.pk in held
            else:
                mine = BotArtifact.objects.filter(pk=artifact.pk, claimed_by=artifact.claimed_by)
                moved = upload_move(mine, event, **fields)
            if not moved:
                # Our lease lapsed and another upload holds the file now: its outcome counts.
                logger.warning("Upload of %s for bot %s lost its lease", artifact.name, bot.pk)
                states.append(UploadState.UPLOADING)
                continue
            staged_name, was_fallback = artifact.staged_name, artifact.fallback
            for name, value in fields.items():
                setattr(artifact, name, value)
            artifact.state = UPLOADS.target(event)
            _announce(bot, artifact, failure)
            if artifact.name == MANIFEST and failure is None:
                bot_transition(bot=bot, event=BotEventType.MEDIA_UPLOADED)
            applied.append((artifact, failure, event, staged_name, was_fallback))
            states.append(artifact.state)
        if applied:
            delivery_report(bot=bot)
    for artifact, failure, event, *_ in applied:
        _outcome_counted(bot, artifact, failure, event)
    unneeded = [
        staged
        for artifact, failure, _, staged, _ in applied
        if staged and (failure is None or artifact.fallback)
    ]
    if unneeded:
        (discard or staged_copies_discard)(unneeded)
    moved_back = [a.key for a, failure, _, _, was in applied if failure is None and was]
    if moved_back:
        _fallback_copies_delete(moved_back)
    return states


def _fallback_copies_delete(keys: list[str]) -> None:
    """A redelivered file's copy in the platform bucket is not needed any more."""
    refused = platform_objects_delete(keys)
    for key, failure in refused.items():
        logger.warning("Could not delete the fallback copy %s: %s", key, failure.reason)


def _outcome_counted(bot: Bot, artifact: BotArtifact, failure, event: str) -> None:
    """After the commit: count it, and log a failure."""
    metrics.upload_counted(
        outcome=_OUTCOMES[event],
        reason=failure.reason if failure else None,
        category=artifact.category,
        size=artifact.size,
    )
    if failure is not None:
        logger.warning(
            "Upload of %s for bot %s: %s (%s)", artifact.name, bot.pk, failure.reason, event
        )


def _claimed_files_upload(
    bot: Bot, pin: Pin, owner: str, discards: Executor, manifest: bytes | None = None
) -> Counter:
    claimed = _claim(bot, owner)
    if not claimed:
        return Counter()
    try:
        storage = pin_storage(bot=bot, pin=pin)
    except CredentialsErased as erased:
        attempt = Attempt(StorageError("credentials_erased", erased.message))
        return Counter(_outcomes_apply(bot, [(artifact, attempt) for artifact in claimed]))
    fallback = None
    if not pin.is_platform and storage.fallback == Fallback.PLATFORM:
        fallback = platform_storage().backend

    # The manifest is made again from the rows unless the caller has just made it.
    bodies = {a.pk: manifest or manifest_body(bot, pin) for a in claimed if a.name == MANIFEST}
    outcomes: Counter = Counter()
    workers = settings.MEDIA_UPLOAD_CONCURRENCY
    # MEDIA_UPLOAD_CONCURRENCY files at once; the parts of the large ones share one budget.
    with (
        _lease_kept(bot, owner),
        storage.backend.upload_pass() as backend,
        fallback.upload_pass() if fallback else nullcontext() as fallback,
        ThreadPoolExecutor(max_workers=workers) as pool,
    ):

        def discard(names: list[str]) -> None:
            discards.submit(staged_copies_discard, names)

        # Each transfer reports here as it begins a multipart upload and as it ends; whatever
        # came while the last batch was being recorded is recorded together.
        # (concurrent.futures.wait would cost O(files) a call.)
        reports: queue.SimpleQueue = queue.SimpleQueue()
        for artifact in claimed:
            future = pool.submit(
                file_transfer,
                backend,
                artifact,
                bodies.get(artifact.pk),
                lambda upload_id, a=artifact: reports.put((a, upload_id)),
                fallback,
            )
            future.add_done_callback(lambda done, a=artifact: reports.put((a, done)))
        recorded = 0
        while recorded < len(claimed):
            batch = [reports.get()]
            while not reports.empty():
                batch.append(reports.get())
            begun = [(a, report) for a, report in batch if isinstance(report, str)]
            ended = [(a, report.result()) for a, report in batch if not isinstance(report, str)]
            _multipart_record(begun)
            if ended:
                outcomes.update(_outcomes_apply(bot, ended, discard=discard))
            recorded += len(ended)
    return outcomes


def _multipart_record(begun: list[tuple[BotArtifact, str]]) -> None:
    """Note each multipart upload as it begins, under the file's lease, so that the next
    attempt can abort it should this process die before it completes."""
    for artifact, upload_id in begun:
        BotArtifact.objects.filter(pk=artifact.pk, claimed_by=artifact.claimed_by).update(
            multipart_upload_id=upload_id
        )


def media_upload(*, bot: Bot, owner: str) -> Counter:
    """Upload the due files of a bot that has left; once all are stored, its manifest, which
    makes it Done. How many files ended in each state.

    Safe to run again or twice at once: a file is uploaded only under its lease."""
    uploading = Bot.objects.filter(status=BotStatus.STOPPED, deletion_requested_at__isnull=True)
    if not uploading.filter(pk=bot.pk).exists():
        return Counter()
    pin = bot_pin(bot=bot)
    # Staged copies no longer needed are deleted by a thread of their own, off the way to Done
    # (deleting a large file from disk takes a while) and done by the time this returns.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="discard") as discards:
        outcomes = _claimed_files_upload(bot, pin, owner, discards)
        if (manifest := manifest_stage(bot, pin)) is not None:
            outcomes += _claimed_files_upload(bot, pin, owner, discards, manifest)
    if outcomes:
        logger.info(
            "Upload pass: %s", ", ".join(f"{n} {state}" for state, n in sorted(outcomes.items()))
        )
    return outcomes
