"""The top of the app: Celery tasks call down into services; nothing below imports them.

Below, work is queued by task name (`meetstream.shared.tasks.task_queue`). Every kind of
scheduled work is rows on meetstream.shared.due_work: `run_due_work` (beat) finds what is due
and queues it, and each task claims its rows before it touches them, so a task queued twice
does the work once.
"""

from celery import shared_task
from django.utils import timezone

from bots.bot.deletion import deletions_due, media_delete
from bots.bot.idempotency import idempotency_keys_purge
from bots.bot.retention import expiries_due, media_expire
from bots.models import Bot
from bots.pipeline.schedule import uploads_due
from bots.pipeline.staging import staged_copies_sweep, staged_partials_sweep
from bots.pipeline.storage_health import storage_health_check
from bots.pipeline.uploads import media_upload
from bots.recorder.simulation import meeting_simulate
from bots.webhooks.delivery import webhook_deliver, webhooks_claim, webhooks_with_due_events
from storageconfig.health_checks import health_checks_due, health_interval


def _bot(bot_pk: int) -> Bot | None:
    """The task's bot, named in every log line the task writes from here on."""
    bot = Bot.objects.select_related("tenant").filter(pk=bot_pk).first()
    if bot is not None:
        bot.log_bind()
    return bot


@shared_task(acks_late=True)
def run_due_work() -> dict[str, int]:
    """Beat, the one scheduler: queue every kind of work that is due (storage health checks
    included); sweep staged copies no longer needed (their hold ended included) and partial
    files interrupted requests left; forget idempotency keys past their day."""
    return {
        "uploads": schedule_uploads(),
        "webhooks": sweep_webhooks(),
        "deletions": _deletions_queue(),
        "expiries": _expiries_queue(),
        "storage_checks": _storage_checks_queue(),
        "staged_copies": staged_copies_sweep(),
        "staged_partials": staged_partials_sweep(),
        "idempotency_keys": idempotency_keys_purge(),
    }


@shared_task(bind=True, acks_late=True)
def upload_bot_media(self, bot_pk: int) -> None:
    """One pass over the bot's due files; whatever must wait is the scheduler's again."""
    if (bot := _bot(bot_pk)) is not None:
        media_upload(bot=bot, owner=self.request.id or f"inline-{bot_pk}")


@shared_task(acks_late=True)
def schedule_uploads() -> int:
    """Start an upload for each bot with files that are due (run_due_work's part; also a task
    of its own, as beat queued it before)."""
    due = uploads_due()
    for bot_pk in due:
        upload_bot_media.delay(bot_pk)
    return len(due)


def _deletions_queue() -> int:
    due = deletions_due()
    for bot_pk in due:
        delete_bot_media.delay(bot_pk)
    return len(due)


@shared_task(bind=True, acks_late=True)
def delete_bot_media(self, bot_pk: int) -> None:
    media_delete(bot_pk=bot_pk, owner=self.request.id or f"inline-delete-{bot_pk}")


def _expiries_queue() -> int:
    if not expiries_due(now=timezone.now()):
        return 0
    expire_media.delay()
    return 1


@shared_task(acks_late=True)
def expire_media() -> int:
    """Delete what the platform holds of bots whose retention ran out, each under its lease."""
    return len(media_expire().bots)


def _storage_checks_queue() -> int:
    if health_interval() is None or not health_checks_due().exists():
        return 0
    check_storage_health.delay()
    return 1


@shared_task(bind=True, acks_late=True)
def check_storage_health(self) -> int:
    """Run the due storage health checks, each under this task's lease."""
    return storage_health_check(owner=self.request.id or "inline-health")


@shared_task(acks_late=True)
def simulate_meeting(bot_pk: int) -> None:
    if (bot := _bot(bot_pk)) is not None:
        meeting_simulate(bot=bot)


@shared_task(acks_late=True)
def dispatch_webhooks(tenant_pk: int) -> int:
    """Claim the tenant's due events, as many as its free delivery slots, and queue each."""
    claimed = webhooks_claim(tenant_pk=tenant_pk)
    for event_pk, owner in claimed:
        # The claim's owner is the task's id: its arguments stay integer ids only.
        deliver_webhook.apply_async((event_pk,), task_id=owner)
    return len(claimed)


@shared_task(bind=True, acks_late=True)
def deliver_webhook(self, event_pk: int) -> None:
    """One attempt at one event; then the tenant's next due events take the freed slot."""
    if (tenant_pk := webhook_deliver(event_pk=event_pk, owner=self.request.id)) is not None:
        dispatch_webhooks(tenant_pk)


@shared_task(acks_late=True)
def deliver_webhooks(bot_pk: int) -> None:
    """What webhook_emit queued before deliveries were claimed per tenant (a message queued
    then may still arrive): the bot's tenant's due events are claimed as now."""
    if (bot := Bot.objects.filter(pk=bot_pk).first()) is not None:
        dispatch_webhooks(bot.tenant_id)


@shared_task(acks_late=True)
def sweep_webhooks() -> int:
    """Claim and queue the due events of every tenant (run_due_work's part), including those a
    broker outage kept from being queued and those whose delivery's lease lapsed."""
    return sum(dispatch_webhooks(tenant_pk) for tenant_pk in webhooks_with_due_events())
