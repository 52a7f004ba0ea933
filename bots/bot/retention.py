"""Retention: when a bot's `media_expires_at` passes, what the platform holds is deleted.

That is its objects in the platform bucket (a fallback's copies included) and any staged
copies. Objects in a customer's own
bucket are never deleted on a timer: the customer owns that bucket's lifecycle.
"""

import logging
import uuid
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from bots.bot.deletion import platform_objects_delete, removal_end, removals_due
from bots.bot.lifecycle import BotEventType, BotStatus
from bots.bot.removal_lifecycle import REMOVALS, RemovalReason
from bots.bot.selectors import upload_over
from bots.bot.services import bot_transition
from bots.models import Bot, BotArtifact, MediaRemoval
from bots.pipeline.staging import staged_copies_discard
from bots.pipeline.upload_lifecycle import GONE, STORED, UploadEvent, upload_move
from bots.webhooks.delivery import webhook_emit
from meetstream.shared import due_work, timing
from meetstream.shared.errors import Conflict

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


def _in_platform_bucket(artifact: BotArtifact) -> bool:
    """Of the files the platform holds: those with an object in its bucket."""
    return artifact.state in STORED or artifact.fallback


def expiries_due(*, now) -> bool:
    """Whether a retention ran out that no expiry holds yet (or one waited out a refusal)."""
    waiting = removals_due(reason=RemovalReason.RETENTION, now=now)
    return waiting.exists() or bots_expired(now=now).filter(removals__isnull=True).exists()


def _claim_round(now, owner: str, candidates: list[int]) -> list[Bot]:
    """Open an expiry for these bots whose retention ran out, and lease those that are due to
    `owner`; the bots it holds."""
    MediaRemoval.objects.bulk_create(
        [MediaRemoval(bot_id=pk, reason=RemovalReason.RETENTION) for pk in candidates],
        ignore_conflicts=True,
    )
    rows = MediaRemoval.objects.filter(reason=RemovalReason.RETENTION, bot__in=candidates)
    due_work.claim_due(REMOVALS, rows, owner=owner, lease=timing.LEASE)
    held = rows.filter(claimed_by=owner).values_list("bot_id", flat=True)
    return list(Bot.objects.filter(pk__in=held).select_related("pin").order_by("pk"))


def media_expire(*, now=None, dry_run: bool = False) -> ExpiryReport:
    """Expire every bot that is due, BOTS_PER_ROUND bots at a time, each under the lease of its
    expiry; with dry_run, only say what would go. Platform objects go s3.DELETE_BATCH keys per
    DeleteObjects call; a bot whose keys the bucket refused waits and is tried again."""
    now = now or timezone.now()
    report = ExpiryReport()
    done: set[int] = set()
    owner = f"expiry-{uuid.uuid4().hex}"
    while candidates := list(
        bots_expired(now=now).exclude(pk__in=done).values_list("pk", flat=True)[:BOTS_PER_ROUND]
    ):
        done.update(candidates)
        if dry_run:
            batch = list(Bot.objects.filter(pk__in=candidates).select_related("pin"))
        else:
            batch = _claim_round(now, owner, candidates)
        files = {bot.pk: [] for bot in batch}
        for artifact in BotArtifact.objects.filter(bot__in=batch).exclude(state__in=GONE):
            files[artifact.bot_id].append(artifact)
        held = {bot.pk: _platform_held(bot, files[bot.pk]) for bot in batch}
        # The platform bucket's objects: a platform bot's files, any bot's fallback copies.
        keys = [a.key for f in held.values() for a in f if a.key and _in_platform_bucket(a)]
        report.bots += [bot.public_id for bot in batch]
        report.objects += len(keys)
        report.staged += sum(bool(a.staged_name) for f in held.values() for a in f)
        if dry_run:
            continue
        refused = platform_objects_delete(keys) if keys else {}
        for bot in batch:
            failure = next((refused[a.key] for a in held[bot.pk] if a.key in refused), None)
            if failure is not None and any(map(_in_platform_bucket, held[bot.pk])):
                logger.warning("Expiry of bot %s deferred: the platform bucket refused", bot.pk)
                removal_end(bot=bot, reason=RemovalReason.RETENTION, owner=owner, refused=failure)
                continue
            _bot_expire(bot, held[bot.pk], files[bot.pk], now, owner)
            staged_copies_discard([a.staged_name for a in held[bot.pk] if a.staged_name])
    return report


def _bot_expire(
    bot: Bot, held: list[BotArtifact], files: list[BotArtifact], now, owner: str
) -> None:
    with transaction.atomic():
        rows = BotArtifact.objects.filter(pk__in=[a.pk for a in held])
        upload_move(rows, UploadEvent.EXPIRED, deleted_at=now)
        try:
            bot_transition(bot=bot, event=BotEventType.MEDIA_EXPIRED, actor="retention")
        except Conflict:  # its status changed meanwhile: the lease lapses, and it is seen again
            transaction.set_rollback(True)
            return
        removal_end(bot=bot, reason=RemovalReason.RETENTION, owner=owner, refused=None)
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
