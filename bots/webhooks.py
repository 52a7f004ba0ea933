"""Signed events to a bot's callback_url: written with the change, delivered in order per bot."""

import base64
import hashlib
import hmac
import json
import logging
import time
import uuid
from datetime import timedelta

import requests
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from bots.lifecycle import BotEventType
from bots.models import Bot, WebhookAttempt, WebhookEvent, WebhookState
from meetstream import metrics, outbound
from meetstream.celery import task_queue
from meetstream.errors import RuleError
from meetstream.services import tenant_webhook_secret

logger = logging.getLogger(__name__)

LIFECYCLE_EVENTS = {
    BotEventType.JOINED: "bot.inmeeting",
    BotEventType.LEFT: "bot.stopped",
    BotEventType.MEDIA_UPLOADED: "bot.done",
    BotEventType.FAILED: "bot.error",
}
TIMEOUT = (3, 5)  # connect, read: a receiver that hangs costs one worker thread 8 s at most
MAX_ATTEMPTS = 8
LOCK_SECONDS = 120


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, settings.WEBHOOK_RETRY_BASE_SECONDS * 4 ** (attempts - 1)))


def webhook_emit(*, bot: Bot, event: str, message: str, data: dict | None = None) -> None:
    """Record an event for the bot's receiver; it is sent once the current transaction commits."""
    if not bot.callback_url:
        return
    payload = {
        "event": event,
        "bot_id": bot.public_id,
        "bot_status": bot.status,
        "message": message,
        "timestamp": timezone.now().isoformat(),
        "data": data or {},
    }
    WebhookEvent.objects.create(bot=bot, event=event, url=bot.callback_url, payload=payload)
    transaction.on_commit(lambda: task_queue("bots.tasks.deliver_webhooks", bot.pk))


def signature(secret: str, body: bytes) -> str:
    """The platform's older scheme: an HMAC of the body alone, so a replay still verifies."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def standard_signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """Standard Webhooks: HMAC-SHA256 of "{id}.{timestamp}.{body}" under the decoded secret."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def _post(http, event: WebhookEvent, secret: str) -> tuple[int | None, str]:
    """POST the event; (status, error). Connections are vetted by `outbound`; no redirects."""
    body = json.dumps(event.payload, separators=(",", ":")).encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "MeetStream-Webhooks/1",
        "webhook-id": event.public_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": standard_signature(secret, event.public_id, timestamp, body),
        "X-MeetStream-Event": event.event,
        "X-MeetStream-Delivery": event.public_id,
        "X-MeetStream-Timestamp": str(timestamp),
        "X-MeetStream-Signature": signature(secret, body),
    }
    try:
        outbound.url_parse(event.url)
        response = http.post(
            event.url, data=body, headers=headers, timeout=TIMEOUT, allow_redirects=False
        )
    except RuleError as refused:
        return None, f"Refused: {refused}"
    except requests.Timeout:
        return None, "The receiver did not answer in time."
    except requests.RequestException as failure:
        return None, f"Could not reach the receiver ({type(failure).__name__})."
    if 200 <= response.status_code < 300:
        return response.status_code, ""
    return response.status_code, f"The receiver answered {response.status_code}."


def _attempt_outcome(status: int | None, error: str) -> str:
    if not error:
        return "delivered"
    return "no_answer" if status is None else f"http_{status // 100}xx"


def webhooks_deliver(*, bot_pk: int) -> timedelta | None:
    """Send the bot's due events oldest first; stop at the first that fails, so that order holds.

    Returns when to try again, or None when nothing is left or another delivery is running.
    """
    lock = f"webhooks:{bot_pk}"
    if not cache.add(lock, uuid.uuid4().hex, timeout=LOCK_SECONDS):
        return timedelta(seconds=5)  # another delivery is sending this bot's events
    http = outbound.session()
    try:
        bot = Bot.objects.select_related("tenant").get(pk=bot_pk)
        bot.log_bind()
        secret = tenant_webhook_secret(tenant=bot.tenant)
        pending = bot.webhook_events.filter(state=WebhookState.PENDING).order_by("pk")
        # Asked afresh each time, so events written meanwhile are sent by this delivery too.
        while (event := pending.first()) is not None:
            now = timezone.now()
            if event.next_attempt_at and event.next_attempt_at > now:
                return event.next_attempt_at - now
            started = time.monotonic()
            status, error = _post(http, event, secret)
            WebhookAttempt.objects.create(
                event=event,
                status_code=status,
                error=error,
                duration_ms=int((time.monotonic() - started) * 1000),
            )
            event.attempts += 1
            metrics.WEBHOOK_ATTEMPTS.labels(outcome=_attempt_outcome(status, error)).inc()
            if not error:
                event.state, event.delivered_at = WebhookState.DELIVERED, timezone.now()
            elif event.attempts >= MAX_ATTEMPTS:
                event.state = WebhookState.FAILED
            else:
                event.next_attempt_at = timezone.now() + backoff(event.attempts)
            event.save(update_fields=["attempts", "state", "delivered_at", "next_attempt_at"])
            if event.state == WebhookState.PENDING:
                return event.next_attempt_at - timezone.now()
        return None
    finally:
        http.close()
        cache.delete(lock)


def webhooks_due() -> list[int]:
    """Bots with events waiting whose next attempt is due (the sweeper's list)."""
    now = timezone.now()
    return list(
        WebhookEvent.objects.filter(state=WebhookState.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .values_list("bot_id", flat=True)
        .distinct()
    )


def webhook_resend(*, events) -> list[int]:
    """Staff: send these events again, a new round of attempts; the bots to deliver for."""
    bots = sorted(set(events.values_list("bot_id", flat=True)))
    events.update(state=WebhookState.PENDING, attempts=0, next_attempt_at=None, delivered_at=None)
    return bots
