"""Retention: when a bot's `media_expires_at` passes, what the platform holds is deleted.

That is its objects in the platform bucket and any staged copies. Objects in a customer's own
bucket are never deleted on a timer: the customer owns that bucket's lifecycle.
"""

import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from bots.deletion import platform_objects_delete, staged_copies_delete
from bots.lifecycle import BotEventType, BotStatus
from bots.models import Bot, BotArtifact
from bots.selectors import upload_over
from bots.services import bot_transition
from bots.upload_lifecycle import GONE, STORED, UploadEvent, upload_move
from bots.webhooks import webhook_emit
from meetstream.errors import Conflict

logger = logging.getLogger(__name__)
BOTS_PER_ROUND = 200


@dataclass
class ExpiryReport:
    bots: list[str] = field(default_factory=list)
    objects: int = 0  # platform-bucket objects
    staged: int = 0  # staged copies


def bots_expired(*, now):
    """Bots whose retention ran out and whose upload is over (Done, Error, or Stopped with
    files given up and none on its way). A deletion on request supersedes the retention: what
    the platform held is gone already."""
    return (
        Bot.objects.filter(upload_over(), media_expires_at__lte=now)
        .exclude(status=BotStatus.MEDIA_EXPIRED)
        .filter(deletion_requested_at__isnull=True)
        .select_related("pin")
        .order_by("media_expires_at", "pk")
    )


def _platform_held(bot: Bot, files: list[BotArtifact]) -> list[BotArtifact]:
    """The files the platform holds: every one for a platform-bucket bot; for a customer's
    bucket only those that never reached it (a staged copy at most)."""
    on_platform = not hasattr(bot, "pin") or bot.pin.is_platform
    return [a for a in files if on_platform or a.state not in STORED]


def media_expire(*, now=None, dry_run: bool = False) -> ExpiryReport:
    """Expire every bot that is due, BOTS_PER_ROUND bots at a time; with dry_run, only say
    what would go. Platform objects go s3.DELETE_BATCH keys per DeleteObjects call."""
    now = now or timezone.now()
    report = ExpiryReport()
    done: set[int] = set()
    while batch := [b for b in bots_expired(now=now).exclude(pk__in=done)[:BOTS_PER_ROUND]]:
        done.update(bot.pk for bot in batch)
        files = {bot.pk: [] for bot in batch}
        for artifact in BotArtifact.objects.filter(bot__in=batch).exclude(state__in=GONE):
            files[artifact.bot_id].append(artifact)
        held = {bot.pk: _platform_held(bot, files[bot.pk]) for bot in batch}
        keys = [a.key for bot in batch for a in held[bot.pk] if a.state in STORED and a.key]
        report.bots += [bot.public_id for bot in batch]
        report.objects += len(keys)
        report.staged += sum(bool(a.staged_name) for f in held.values() for a in f)
        if dry_run:
            continue
        refused = platform_objects_delete(keys) if keys else {}
        for bot in batch:
            if any(a.key in refused for a in held[bot.pk] if a.state in STORED):
                logger.warning("Expiry of bot %s deferred: the platform bucket refused", bot.pk)
                continue
            staged_copies_delete(held[bot.pk])
            _bot_expire(bot, held[bot.pk], files[bot.pk], now)
    return report


def _bot_expire(bot: Bot, held: list[BotArtifact], files: list[BotArtifact], now) -> None:
    with transaction.atomic():
        rows = BotArtifact.objects.filter(pk__in=[a.pk for a in held])
        upload_move(rows, UploadEvent.EXPIRED, deleted_at=now, staged_name="")
        try:
            bot_transition(bot=bot, event=BotEventType.MEDIA_EXPIRED, actor="retention")
        except Conflict:  # its status changed meanwhile: the next round looks again
            transaction.set_rollback(True)
            return
        expired = {a.pk for a in held}
        in_bucket = [a for a in files if a.pk not in expired and a.state in STORED]
        webhook_emit(
            bot=bot,
            event="data_deletion",
            message=(
                f"The bot's retention of {bot.retention_hours} hour(s) ran out: what the "
                f"platform held is deleted ({len(held)} file(s)); {len(in_bucket)} stay in "
                "your bucket."
            ),
            data={
                "reason": "retention",
                "deleted": len(held),
                "kept": len(in_bucket),
                "kept_keys": [
                    {"file": a.name, "bucket": a.bucket, "key": a.key, "reason": "your_bucket"}
                    for a in in_bucket
                ],
            },
        )
