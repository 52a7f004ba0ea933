import random

from celery import shared_task

from bots.models import Bot
from bots.uploads import media_upload, media_upload_due
from bots.webhooks import webhooks_deliver, webhooks_due

MAX_RETRIES = 5


def backoff(retries: int) -> float:
    """Exponential, capped at 10 minutes, with jitter so retries of many bots spread out."""
    return min(600, 10 * 2**retries) * random.uniform(0.5, 1.0)  # noqa: S311


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES)
def upload_bot_media(self, bot_pk: int) -> None:
    bot = Bot.objects.select_related("tenant").filter(pk=bot_pk).first()
    if bot is None:
        return
    summary = media_upload(bot=bot, owner=self.request.id or "inline")
    if summary.retryable:
        raise self.retry(countdown=backoff(self.request.retries))


@shared_task(acks_late=True)
def sweep_media_uploads() -> int:
    """Beat: queue the uploads of bots whose failed or stuck files are due another try."""
    due = media_upload_due()
    for bot_pk in due:
        upload_bot_media.delay(bot_pk)
    return len(due)


@shared_task(acks_late=True)
def simulate_meeting(bot_pk: int) -> None:
    from bots.simulation import meeting_simulate

    bot = Bot.objects.filter(pk=bot_pk).first()
    if bot is not None:
        meeting_simulate(bot=bot)


@shared_task(acks_late=True)
def deliver_webhooks(bot_pk: int) -> None:
    retry_in = webhooks_deliver(bot_pk=bot_pk)
    # Inline (no broker), the beat sweeper retries instead of a countdown that would not wait.
    if retry_in is not None and not deliver_webhooks.app.conf.task_always_eager:
        deliver_webhooks.apply_async((bot_pk,), countdown=max(1.0, retry_in.total_seconds()))


@shared_task(acks_late=True)
def sweep_webhooks() -> int:
    """Beat: send the events whose retry is due (also those a broker outage kept from queueing)."""
    due = webhooks_due()
    for bot_pk in due:
        deliver_webhooks.delay(bot_pk)
    return len(due)
