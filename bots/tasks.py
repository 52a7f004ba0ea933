"""The top of the app: Celery tasks call down into services; nothing below imports them.

Below, work is queued by task name (`meetstream.celery.task_queue`)."""

from celery import shared_task
from django.utils import timezone

from bots.deletion import deletions_due, media_delete
from bots.idempotency import idempotency_keys_purge
from bots.models import Bot
from bots.retention import media_expire
from bots.simulation import meeting_simulate
from bots.uploads import media_upload, uploads_due
from bots.webhooks import webhooks_deliver, webhooks_due
from meetstream import timing


def _bot(bot_pk: int) -> Bot | None:
    """The task's bot, named in every log line the task writes from here on."""
    bot = Bot.objects.select_related("tenant").filter(pk=bot_pk).first()
    if bot is not None:
        bot.log_bind()
    return bot


@shared_task(bind=True, acks_late=True)
def upload_bot_media(self, bot_pk: int) -> None:
    """One pass over the bot's due files; whatever must wait is the scheduler's again."""
    if (bot := _bot(bot_pk)) is not None:
        media_upload(bot=bot, owner=self.request.id or f"inline-{bot_pk}")


@shared_task(acks_late=True)
def schedule_uploads() -> int:
    """Beat: start an upload for each bot with files that are due (meetstream.timing), and
    again each deletion whose task was lost (asked more than a lease ago, not finished)."""
    due = uploads_due()
    for bot_pk in due:
        upload_bot_media.delay(bot_pk)
    for bot_pk in deletions_due(before=timezone.now() - timing.LEASE):
        delete_bot_media.delay(bot_pk)
    return len(due)


@shared_task(acks_late=True)
def delete_bot_media(bot_pk: int) -> None:
    media_delete(bot_pk=bot_pk)


@shared_task(acks_late=True)
def expire_media() -> int:
    """Beat: delete what the platform holds of bots whose retention ran out; forget
    idempotency keys past their day."""
    idempotency_keys_purge()
    return len(media_expire().bots)


@shared_task(acks_late=True)
def simulate_meeting(bot_pk: int) -> None:
    if (bot := _bot(bot_pk)) is not None:
        meeting_simulate(bot=bot)


@shared_task(acks_late=True)
def deliver_webhooks(bot_pk: int) -> None:
    retry_in = webhooks_deliver(bot_pk=bot_pk)
    # Inline (tests only), the beat sweeper retries instead of a countdown that would not wait.
    if retry_in is not None and not deliver_webhooks.app.conf.task_always_eager:
        deliver_webhooks.apply_async((bot_pk,), countdown=max(1.0, retry_in.total_seconds()))


@shared_task(acks_late=True)
def sweep_webhooks() -> int:
    """Beat: send the events whose retry is due (also those a broker outage kept from queueing)."""
    due = webhooks_due()
    for bot_pk in due:
        deliver_webhooks.delay(bot_pk)
    return len(due)
