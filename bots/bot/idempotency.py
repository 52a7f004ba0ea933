"""`Idempotency-Key` on create_bot: one bot per key per tenant, its answer replayed for a day.

The key's row is written in the transaction that creates the bot, under a unique constraint:
of two requests racing with one key, the second waits on the first's row, fails the
constraint, rolls its own bot back and replays the first one's answer.
"""

import json
from collections.abc import Callable
from datetime import timedelta
from hashlib import sha256

from django.db import IntegrityError, transaction
from django.utils import timezone

from bots.bot.services import bot_create
from bots.models import Bot, IdempotencyKey
from meetstream.shared.errors import Conflict, DomainError
from meetstream.tenants.models import Tenant

REPLAY_WINDOW = timedelta(hours=24)
MAX_KEY_LENGTH = 255


def idempotency_key_check(key: str) -> str:
    if not key or len(key) > MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        raise DomainError(
            f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable ASCII characters.",
            errors={"Idempotency-Key": ["Use 1 to 255 printable ASCII characters."]},
        )
    return key


def request_digest(data: dict) -> str:
    """The same JSON body, however it was spaced or ordered, has the same digest."""
    return sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _live(tenant: Tenant, key: str) -> IdempotencyKey | None:
    since = timezone.now() - REPLAY_WINDOW
    return IdempotencyKey.objects.filter(tenant=tenant, key=key, created_at__gte=since).first()


def _replay(record: IdempotencyKey, digest: str) -> dict:
    if record.request_sha256 != digest:
        raise Conflict(
            "This Idempotency-Key was used with a different request in the last 24 hours: "
            "use a new key for a new bot."
        )
    return record.response


def bot_create_once(
    *, tenant: Tenant, key: str, digest: str, create: Callable[[], tuple[Bot, dict]]
) -> tuple[dict, bool]:
    """The answer for this key: a new bot's, or the original's replayed. (answer, replayed)"""
    if (record := _live(tenant, key)) is not None:
        return _replay(record, digest), True
    try:
        with transaction.atomic():
            # A key older than the window is free again.
            expired = timezone.now() - REPLAY_WINDOW
            IdempotencyKey.objects.filter(tenant=tenant, key=key, created_at__lt=expired).delete()
            bot, answer = create()
            IdempotencyKey.objects.create(
                tenant=tenant, key=key, request_sha256=digest, bot=bot, response=answer
            )
    except IntegrityError:
        if (record := _live(tenant, key)) is None:
            raise
        return _replay(record, digest), True
    return answer, False


def bot_create_replayable(
    *, tenant: Tenant, arguments: dict, key: str | None, data: dict
) -> tuple[dict, bool]:
    """create_bot: a new bot and its answer; with an Idempotency-Key, once per key and body
    within the replay window, the original answer replayed after. (answer, replayed)"""

    def create() -> tuple[Bot, dict]:
        bot = bot_create(tenant=tenant, **arguments)
        return bot, bot_created_answer(bot)

    if key is None:
        return create()[1], False
    return bot_create_once(
        tenant=tenant, key=idempotency_key_check(key), digest=request_digest(data), create=create
    )


def bot_created_answer(bot: Bot) -> dict:
    return {
        "bot_id": bot.public_id,
        "transcript_id": bot.transcript_id,
        "meeting_url": bot.meeting_link,
        "status": bot.status,
    }


def idempotency_keys_purge() -> int:
    """Forget keys older than the replay window; how many."""
    expired = timezone.now() - REPLAY_WINDOW
    return IdempotencyKey.objects.filter(created_at__lt=expired).delete()[0]
