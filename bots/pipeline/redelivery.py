"""A way back when a customer's bucket broke: given-up files whose bytes are still held (a
staged copy within MEDIA_HOLD_HOURS, or a copy in the platform bucket) go to the bot's pinned
location again, a new round of attempts. The pin never changes: the customer fixes the
bucket, then redelivers."""

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from bots.bot.lifecycle import BotStatus
from bots.models import Bot, BotArtifact
from bots.pipeline.upload_lifecycle import UNFINISHED, UploadEvent, UploadState, upload_move
from meetstream.shared.errors import Conflict, Gone
from meetstream.shared.tasks import task_queue


def held() -> Q:
    """Given-up files whose bytes the platform still holds."""
    copy = ~Q(staged_name="") & Q(held_until__gt=timezone.now())
    return Q(state=UploadState.GAVE_UP) & (Q(fallback=True) | copy)


def uploads_redeliver(*, bots) -> int:
    """Put the held given-up files of these bots back to staged, a new round; how many moved.
    Staff's Retry and `upload_media --retry` use this; the API asks media_redeliver."""
    with transaction.atomic():
        # Under the bots' locks, so a deletion asked at the same moment goes first or not at all.
        locked = Bot.objects.select_for_update().filter(
            pk__in=bots, status=BotStatus.STOPPED, deletion_requested_at__isnull=True
        )
        pks = list(locked.values_list("pk", flat=True))
        moved = upload_move(
            BotArtifact.objects.filter(held(), bot__in=pks),
            UploadEvent.RETRIED,
            attempts=0,
            next_attempt_at=None,
            last_error="",
            last_reason="",
            held_until=None,
        )
        if moved:  # a new round, with a receipt of its own
            Bot.objects.filter(pk__in=pks).update(delivery_reported_at=None)
    return moved


def media_redeliver(*, bot: Bot) -> int:
    """The API's redeliver: the bot's held files go again, and its upload is queued; how many.
    409 while its upload is not over or nothing gave up; 410 when the holds all ended."""
    with transaction.atomic():
        locked = Bot.objects.select_for_update().get(pk=bot.pk)
        files = BotArtifact.objects.filter(bot=locked)
        if locked.status != BotStatus.STOPPED or locked.deletion_requested_at is not None:
            raise Conflict(
                f"The bot is {locked.status}: only a bot whose upload gave up can redeliver.",
                status=locked.status,
            )
        if files.filter(state__in=UNFINISHED).exists():
            raise Conflict("The bot's upload is not over yet.", status=locked.status)
        gave_up = files.filter(state=UploadState.GAVE_UP)
        if not gave_up.exists():
            raise Conflict("No file of this bot gave up.", status=locked.status)
        moved = uploads_redeliver(bots=[locked.pk])
        if not moved:
            raise Gone(
                "The files that gave up are no longer held: their copies were deleted when "
                "the hold ended (MEDIA_HOLD_HOURS after they gave up)."
            )
        transaction.on_commit(lambda: task_queue("bots.tasks.upload_bot_media", locked.pk))
    return moved
