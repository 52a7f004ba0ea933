"""The upload scheduler's questions: which bots have files due, and when the next falls due."""

from django.utils import timezone

from bots.bot.lifecycle import BotStatus
from bots.models import Bot, BotArtifact
from bots.pipeline.upload_lifecycle import UNFINISHED, UploadState
from meetstream.shared import due_work


def uploads_due(*, now=None) -> list[int]:
    """Bots the scheduler starts an upload for: those with due files, and those whose files
    are all stored but whose manifest is not (an upload that stopped in between)."""
    now = now or timezone.now()
    stopped = Bot.objects.filter(status=BotStatus.STOPPED)
    # What uploads._claim takes: the same predicate, so a bot queued here always finds work.
    due = BotArtifact.objects.filter(due_work.due(now), state__in=UNFINISHED)
    with_due = stopped.filter(artifacts__in=due)
    unfinished = BotArtifact.objects.exclude(state=UploadState.UPLOADED).values("bot_id")
    complete = stopped.exclude(pk__in=unfinished)
    return sorted({*with_due.values_list("pk", flat=True), *complete.values_list("pk", flat=True)})


def next_due_at():
    """When the next file waiting for a retry or held by a lease becomes due; None if none."""
    waiting = BotArtifact.objects.filter(bot__status=BotStatus.STOPPED)
    times = [
        waiting.filter(state=UploadState.RETRY_WAIT)
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first(),
        waiting.filter(state=UploadState.UPLOADING)
        .order_by("claimed_until")
        .values_list("claimed_until", flat=True)
        .first(),
    ]
    return min((t for t in times if t is not None), default=None)
