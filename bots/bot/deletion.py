"""Deleting a bot's media on request (`delete_data`).

What the platform holds (platform-bucket objects, fallback copies, staged copies) is always
deleted. In a
customer's bucket each key is deleted when the credentials are `read_write` and allow it;
otherwise it is kept and reported, so the customer can delete it. The bot, its pin and its
event rows stay: they are the record of what was where.
"""

import logging

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from bots.bot.lifecycle import BotEventType
from bots.bot.removal_lifecycle import REMOVALS, RemovalEvent, RemovalReason, RemovalState
from bots.bot.selectors import kept_file, pin_storage, upload_over
from bots.bot.services import bot_event_record
from bots.models import Bot, BotArtifact, MediaRemoval
from bots.pipeline.staging import staged_copies_discard, staged_partials_sweep
from bots.pipeline.upload_lifecycle import GONE, STORED, UploadEvent, UploadState, upload_move
from bots.webhooks.delivery import webhook_emit
from meetstream.shared import due_work, timing
from meetstream.shared.errors import Conflict
from meetstream.shared.tasks import task_queue
from storageconfig.failures import StorageError
from storageconfig.models import AccessMode
from storageconfig.selectors import CredentialsErased, platform_storage

logger = logging.getLogger(__name__)
WRITE_ONLY_KEPT = StorageError(
    "write_only",
    "Only write access was granted, so the platform may not delete it: delete it from your bucket.",
)


def platform_objects_delete(keys: list[str]) -> dict[str, StorageError]:
    return platform_storage().backend.objects_delete(keys)


def deletable(bot: Bot) -> bool:
    """Nothing is being recorded or uploaded: the meeting is over and no file is on its way."""
    return Bot.objects.filter(upload_over(), pk=bot.pk).exists()


def deletion_request(*, bot: Bot, actor: str) -> Bot:
    """Ask for the bot's media to be deleted; the work runs as a task. Asking again is
    harmless, and once a deletion finished, it tries the keys it had to keep once more."""
    with transaction.atomic():
        locked = Bot.objects.select_for_update().get(pk=bot.pk)
        if not deletable(locked):
            raise Conflict(
                f"The bot is {locked.status} and its media is still being recorded or "
                "uploaded: ask again once it is Done.",
                status=locked.status,
            )
        locked.deletion_requested_at = timezone.now()
        locked.deletion_finished_at = None
        locked.save(update_fields=["deletion_requested_at", "deletion_finished_at"])
        bot_event_record(bot=locked, event=BotEventType.DELETION_REQUESTED, actor=actor)
        removal_schedule(bot=locked, reason=RemovalReason.REQUEST)
        # What the platform holds goes now: the retention has nothing left to do.
        removals = MediaRemoval.objects.filter(bot=locked, reason=RemovalReason.RETENTION)
        REMOVALS.move(removals, RemovalEvent.CANCELLED, **due_work.released())
        transaction.on_commit(lambda: task_queue("bots.tasks.delete_bot_media", bot.pk))
    return locked


def removal_schedule(*, bot: Bot, reason: str) -> None:
    """Make the bot's removal for this reason due now, a new round of attempts."""
    MediaRemoval.objects.get_or_create(bot=bot, reason=reason)
    rows = MediaRemoval.objects.filter(bot=bot, reason=reason)
    REMOVALS.move(rows, RemovalEvent.SCHEDULED, attempts=0, next_attempt_at=None, last_error="")


def removal_claim(*, bot: Bot, reason: str, owner: str) -> bool:
    """Lease the bot's due removal for this reason to `owner`; whether it holds it now."""
    rows = MediaRemoval.objects.filter(bot=bot, reason=reason)
    return bool(due_work.claim_due(REMOVALS, rows, owner=owner, lease=timing.LEASE))


def removal_end(*, bot: Bot, reason: str, owner: str, refused: StorageError | None) -> None:
    """Finish the removal this owner holds, or put it back to wait after a refusal."""
    mine = MediaRemoval.objects.filter(bot=bot, reason=reason, claimed_by=owner)
    if refused is None:
        REMOVALS.move(mine, RemovalEvent.FINISHED, **due_work.released())
        return
    attempts = (mine.values_list("attempts", flat=True).first() or 0) + 1
    REMOVALS.move(
        mine,
        RemovalEvent.DEFERRED,
        attempts=attempts,
        next_attempt_at=timezone.now() + timing.retry_delay(attempts),
        last_error=refused.message,
        **due_work.released(),
    )


def _stored_objects_delete(bot: Bot, stored: list[BotArtifact]) -> dict[str, StorageError]:
    """Delete the stored objects; the keys that stay in the bucket, with why."""
    keys = [artifact.key for artifact in stored]
    if not keys:
        return {}
    if bot.pin.is_platform:
        return platform_objects_delete(keys)
    try:
        storage = pin_storage(bot=bot, pin=bot.pin)
    except CredentialsErased as erased:
        return dict.fromkeys(keys, StorageError("credentials_erased", erased.message))
    if storage.access_mode == AccessMode.WRITE_ONLY:
        return dict.fromkeys(keys, WRITE_ONLY_KEPT)
    return storage.backend.objects_delete(keys)


def media_delete(*, bot_pk: int, owner: str) -> None:
    """The task's work, under the lease of the bot's deletion: delete, record each file as
    deleted or kept, announce it once."""
    bot = Bot.objects.select_related("tenant", "pin", "pin__storage_config").get(pk=bot_pk)
    bot.log_bind()
    if not removal_claim(bot=bot, reason=RemovalReason.REQUEST, owner=owner):
        return  # not due, or another worker holds it
    files = list(BotArtifact.objects.filter(bot=bot).exclude(state__in=GONE))
    refused = _stored_objects_delete(bot, [a for a in files if a.state in STORED])
    fallen = [a.key for a in files if a.fallback]
    # The platform's own bucket keeps nothing: what it failed to delete (a fallback copy too)
    # is tried again.
    ours = hasattr(bot, "pin") and bot.pin.is_platform
    retried = (refused if ours else {}) | (platform_objects_delete(fallen) if fallen else {})
    now = timezone.now()
    with transaction.atomic():
        for artifact in files:
            rows = BotArtifact.objects.filter(pk=artifact.pk)
            failure = refused.get(artifact.key) if artifact.state in STORED else None
            if artifact.fallback and artifact.key in retried:
                continue
            if failure is None:
                upload_move(rows, UploadEvent.DELETED, deleted_at=now)
            elif not ours:
                fields = {"last_reason": failure.reason, "last_error": failure.message}
                upload_move(rows, UploadEvent.KEPT, **fields)
        if retried:
            failure = next(iter(retried.values()))
            logger.warning(
                "Deletion for bot %s: the platform bucket refused %d key(s) (%s); tried again "
                "later",
                bot.pk,
                len(retried),
                failure.reason,
            )
            removal_end(bot=bot, reason=RemovalReason.REQUEST, owner=owner, refused=failure)
        else:
            removal_end(bot=bot, reason=RemovalReason.REQUEST, owner=owner, refused=None)
            finished = Bot.objects.filter(pk=bot.pk, deletion_finished_at__isnull=True).update(
                deletion_finished_at=now
            )
            if finished:
                bot_event_record(bot=bot, event=BotEventType.MEDIA_DELETED)
                _announce(bot)
    staged_copies_discard([a.staged_name for a in files if a.staged_name])
    staged_partials_sweep(bot_id=bot.public_id, grace=0)


def _announce(bot: Bot) -> None:
    files = BotArtifact.objects.filter(bot=bot)
    kept = list(
        files.filter(state=UploadState.KEPT)
        .order_by("name")
        .values("bucket", "key", "last_reason", "last_error", file=F("name"))
    )
    deleted = files.filter(state__in=GONE).count()
    webhook_emit(
        bot=bot,
        event="data_deletion",
        message=(
            f"The bot's media was deleted: {deleted} file(s) deleted, {len(kept)} kept in "
            "your bucket."
        ),
        data={
            "reason": "request",
            "deleted": deleted,
            "kept": len(kept),
            "kept_keys": [kept_file(row) for row in kept],
        },
    )


def removals_due(*, reason: str, now):
    """Removals for this reason that are due: just asked, waited out after a refusal, or held
    by a lease that lapsed (their task was lost, or died)."""
    return MediaRemoval.objects.filter(
        due_work.due(now),
        reason=reason,
        state__in=[RemovalState.SCHEDULED, RemovalState.REMOVING],
    )


def deletions_due() -> list[int]:
    """Bots whose deletion on request is due."""
    due = removals_due(reason=RemovalReason.REQUEST, now=timezone.now())
    return list(due.values_list("bot_id", flat=True))
