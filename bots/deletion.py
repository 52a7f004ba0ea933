"""Deleting a bot's media on request (`delete_data`).

What the platform holds (platform-bucket objects, staged copies) is always deleted. In a
customer's bucket each key is deleted when the credentials are `read_write` and allow it;
otherwise it is kept and reported, so the customer can delete it. The bot, its pin and its
event rows stay: they are the record of what was where.
"""

import logging

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from bots.lifecycle import BotEventType
from bots.models import Bot, BotArtifact
from bots.selectors import kept_file, pin_storage, upload_over
from bots.services import bot_event_record
from bots.staging import staged_delete
from bots.upload_lifecycle import GONE, STORED, UploadEvent, UploadState, upload_move
from bots.webhooks import webhook_emit
from meetstream.celery import task_queue
from meetstream.errors import Conflict
from storageconfig.failures import StorageError
from storageconfig.models import AccessMode
from storageconfig.selectors import CredentialsErased, platform_storage

logger = logging.getLogger(__name__)
WRITE_ONLY_KEPT = StorageError(
    "write_only",
    "Only write access was granted, so the platform may not delete it: delete it from your bucket.",
)


def staged_copies_delete(files: list[BotArtifact]) -> None:
    for artifact in files:
        try:
            staged_delete(artifact.staged_name)
        except OSError:
            logger.warning("Could not delete staged file %s", artifact.staged_name, exc_info=True)


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
        transaction.on_commit(lambda: task_queue("bots.tasks.delete_bot_media", bot.pk))
    return locked


def _refusals(bot: Bot, stored: list[BotArtifact]) -> dict[str, StorageError]:
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


def media_delete(*, bot_pk: int) -> None:
    """The task's work: delete, record each file as deleted or kept, announce it once."""
    bot = Bot.objects.select_related("tenant", "pin", "pin__storage_config").get(pk=bot_pk)
    bot.log_bind()
    if bot.deletion_requested_at is None or bot.deletion_finished_at is not None:
        return
    files = list(BotArtifact.objects.filter(bot=bot).exclude(state__in=GONE))
    staged_copies_delete(files)
    refused = _refusals(bot, [a for a in files if a.state in STORED])
    # The platform's own bucket keeps nothing: what it failed to delete is tried again.
    ours = hasattr(bot, "pin") and bot.pin.is_platform
    now = timezone.now()
    with transaction.atomic():
        for artifact in files:
            rows = BotArtifact.objects.filter(pk=artifact.pk)
            failure = refused.get(artifact.key) if artifact.state in STORED else None
            if failure is None:
                upload_move(rows, UploadEvent.DELETED, deleted_at=now, staged_name="")
            elif not ours:
                fields = {"last_reason": failure.reason, "last_error": failure.message}
                upload_move(rows, UploadEvent.KEPT, staged_name="", **fields)
        if ours and refused:
            logger.warning(
                "Deletion for bot %s: the platform bucket refused %d key(s) (%s); the "
                "scheduler tries again",
                bot.pk,
                len(refused),
                next(iter(refused.values())).reason,
            )
            # deletions_due takes it up again once this is a lease old.
            Bot.objects.filter(pk=bot.pk).update(deletion_requested_at=now)
            return
        finished = Bot.objects.filter(pk=bot.pk, deletion_finished_at__isnull=True).update(
            deletion_finished_at=now
        )
        if finished:
            bot_event_record(bot=bot, event=BotEventType.MEDIA_DELETED)
            _announce(bot)


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


def deletions_due(*, before) -> list[int]:
    """Deletions asked before `before` and not finished: their task was lost, or died."""
    return list(
        Bot.objects.filter(
            deletion_requested_at__lte=before, deletion_finished_at__isnull=True
        ).values_list("pk", flat=True)
    )
