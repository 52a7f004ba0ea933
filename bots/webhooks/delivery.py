"""Signed events to a bot's callback_url: written with the change, delivered in order per bot."""

import base64
import hashlib
import hmac
import json
import logging
import time
import uuid

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import Min
from django.utils import timezone
from urllib3.exceptions import HTTPError

from bots.bot.lifecycle import BotEventType
from bots.models import Bot, WebhookAttempt, WebhookEvent
from bots.webhooks.lifecycle import OPEN, WEBHOOKS, DeliveryEvent, WebhookState
from meetstream.shared import due_work, metrics, outbound, timing
from meetstream.shared.errors import RuleError
from meetstream.shared.tasks import task_queue
from meetstream.tenants.models import Tenant
from meetstream.tenants.services import tenant_webhook_secret

logger = logging.getLogger(__name__)

LIFECYCLE_EVENTS = {
    BotEventType.JOINED: "bot.inmeeting",
    BotEventType.LEFT: "bot.stopped",
    BotEventType.MEDIA_UPLOADED: "bot.done",
    BotEventType.FAILED: "bot.error",
}
ANSWER_LIMIT = 64 * 1024  # bytes of a receiver's answer read at most; the rest is never read


def webhook_emit(*, bot: Bot, event: str, message: str, data: dict | None = None) -> None:
    """Record an event for the bot's receiver; it is sent once the current transaction commits."""
    if bot.callback_url:
        _event_record(bot.tenant_id, bot.callback_url, event, message, data or {}, bot=bot)


def tenant_webhook_emit(*, tenant_pk: int, url: str, event: str, message: str, data: dict) -> None:
    """Record a tenant-level event (no bot: a storage configuration's health) for `url`; sent,
    signed with the tenant's secret, once the current transaction commits."""
    if url:
        _event_record(tenant_pk, url, event, message, data)


def _event_record(
    tenant_pk: int, url: str, event: str, message: str, data: dict, bot: Bot | None = None
) -> None:
    """The event's row, its payload (a bot's names the bot and its status; a tenant's has a
    null `bot_id`), and its delivery queued once the transaction commits."""
    payload = {"event": event, "bot_id": bot.public_id if bot else None}
    if bot is not None:
        payload["bot_status"] = bot.status
    payload |= {"message": message, "timestamp": timezone.now().isoformat(), "data": data}
    WebhookEvent.objects.create(tenant_id=tenant_pk, bot=bot, event=event, url=url, payload=payload)
    transaction.on_commit(lambda: task_queue("bots.tasks.dispatch_webhooks", tenant_pk))


def signature(secret: str, body: bytes) -> str:
    """The platform's older scheme: an HMAC of the body alone, so a replay still verifies."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def standard_signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """Standard Webhooks: HMAC-SHA256 of "{id}.{timestamp}.{body}" under the decoded secret."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def _post(http, event: WebhookEvent, secret: str) -> tuple[int | None, str]:
    """POST the event within one deadline for the whole exchange, reading at most ANSWER_LIMIT
    bytes of the answer; (status, error). Connections are vetted by `outbound`; no redirects."""
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
    }
    if settings.WEBHOOK_LEGACY_SIGNATURE:  # signs the body alone: a captured delivery replays
        headers["X-MeetStream-Signature"] = signature(secret, body)
    seconds = settings.WEBHOOK_TIMEOUT_SECONDS
    with outbound.deadline(seconds) as watch:
        try:
            outbound.url_parse(event.url)
            with http.post(
                event.url,
                data=body,
                headers=headers,
                timeout=seconds,
                allow_redirects=False,
                stream=True,
            ) as response:
                response.raw.read(ANSWER_LIMIT, decode_content=False)
            if watch.expired:  # the answer was cut off at the deadline, however it ended
                raise requests.Timeout
        except RuleError as refused:
            return None, f"Refused: {refused}"
        except (requests.RequestException, OSError, HTTPError) as failure:
            if watch.expired or isinstance(failure, requests.Timeout | TimeoutError):
                return None, "The receiver did not answer in time."
            return None, f"Could not reach the receiver ({type(failure).__name__})."
    if 200 <= response.status_code < 300:
        return response.status_code, ""
    return response.status_code, f"The receiver answered {response.status_code}."


def _attempt_outcome(status: int | None, error: str) -> str:
    if not error:
        return "delivered"
    return "no_answer" if status is None else f"http_{status // 100}xx"


def _open_events(tenant_pk: int):
    return WebhookEvent.objects.filter(tenant_id=tenant_pk, state__in=OPEN)


def webhooks_claim(*, tenant_pk: int) -> list[tuple[int, str]]:
    """Lease this tenant's due events, as many as its free delivery slots, each the oldest open
    event of its bot (so a bot's order holds; the tenant's own events keep theirs too, as
    one more line); (event, owner) pairs. Each event is claimed by a
    conditional move, so two schedulers never take it twice; the tenant's row is locked while
    its slots are counted, so they never take more slots than it has either."""
    with transaction.atomic():
        list(Tenant.objects.select_for_update().filter(pk=tenant_pk).values_list("pk"))
        now = timezone.now()
        open_events = _open_events(tenant_pk)
        in_flight = open_events.filter(
            state=WebhookState.DELIVERING, claimed_until__gte=now
        ).count()
        room = settings.WEBHOOK_TENANT_CONCURRENCY - in_flight
        if room <= 0:
            return []
        heads = open_events.values("bot_id").annotate(first=Min("pk")).values("first")
        due = open_events.filter(pk__in=heads).filter(due_work.due(now)).order_by("pk")
        claimed = []
        for pk in list(due.values_list("pk", flat=True)[:room]):
            owner = str(uuid.uuid4())
            rows = WebhookEvent.objects.filter(pk=pk)
            if due_work.claim_due(WEBHOOKS, rows, owner=owner, lease=timing.WEBHOOK_LEASE):
                claimed.append((pk, owner))
    return claimed


def webhooks_with_due_events() -> list[int]:
    """Tenants with events whose attempt is due, or whose delivery's lease lapsed."""
    now = timezone.now()
    return list(
        WebhookEvent.objects.filter(state__in=OPEN)
        .filter(due_work.due(now))
        .values_list("tenant_id", flat=True)
        .distinct()
    )


def webhook_deliver(*, event_pk: int, owner: str) -> int | None:
    """One attempt at the event this owner holds; the tenant whose next events are now due to
    be claimed, or None when the event is no longer this owner's."""
    event = (
        WebhookEvent.objects.select_related("tenant", "bot__tenant")
        .filter(pk=event_pk, state=WebhookState.DELIVERING, claimed_by=owner)
        .first()
    )
    if event is None:
        return None
    if event.bot is not None:
        event.bot.log_bind()
    secret = tenant_webhook_secret(tenant=event.tenant)
    http = outbound.session()
    started = time.monotonic()
    try:
        status, error = _post(http, event, secret)
    finally:
        http.close()
    WebhookAttempt.objects.create(
        event=event,
        status_code=status,
        error=error,
        duration_ms=int((time.monotonic() - started) * 1000),
    )
    metrics.WEBHOOK_ATTEMPTS.labels(outcome=_attempt_outcome(status, error)).inc()
    attempts = event.attempts + 1
    mine = WebhookEvent.objects.filter(pk=event.pk, claimed_by=owner)
    fields = {"attempts": attempts, **due_work.released()}
    if not error:
        WEBHOOKS.move(mine, DeliveryEvent.DELIVERED, delivered_at=timezone.now(), **fields)
    elif attempts >= timing.WEBHOOK_MAX_ATTEMPTS:
        WEBHOOKS.move(mine, DeliveryEvent.GAVE_UP, **fields)
    else:
        next_at = timezone.now() + timing.webhook_retry_delay(attempts)
        WEBHOOKS.move(mine, DeliveryEvent.DEFERRED, next_attempt_at=next_at, **fields)
    return event.tenant_id


def webhook_resend(*, events) -> list[int]:
    """Staff: send these events again, a new round of attempts; the bots to deliver for."""
    tenants = sorted(set(events.values_list("tenant_id", flat=True)))
    WEBHOOKS.move(events, DeliveryEvent.RESENT, attempts=0, next_attempt_at=None, delivered_at=None)
    return tenants
