"""Webhook deliveries on real workers on Redis: a tenant's slow receiver waits behind itself,
and schedulers racing each other deliver each event once, in order per bot."""

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import transaction

from bots.models import Bot, WebhookEvent
from bots.webhooks.delivery import webhook_emit
from tests.support.listeners import Receiver
from tests.support.media import create_bot, hand_over
from tests.support.processes import needs_redis
from tests.support.workers import wait_for_done

pytestmark = [pytest.mark.django_db(transaction=True), needs_redis]
DEADLINE = 3


def _wait(condition, seconds: float, workers, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"{what}; workers:\n{workers.logs()}"
        time.sleep(0.05)


def _round_trip(api, recorder, receiver, workers) -> tuple[float, float]:
    """Seconds until a new bot's first webhook arrives, and from `left` until it is Done."""
    started = time.monotonic()
    bot_id = create_bot(api, callback_url=receiver.url)["bot_id"]
    _wait(lambda: receiver.events(bot_id), 60, workers, "no bot.joining")
    joined = time.monotonic() - started
    hand_over(recorder, bot_id, {"chats.json": b"[]"})
    left = time.monotonic()
    wait_for_done(api, [bot_id], workers, seconds=60)
    return joined, time.monotonic() - left


@pytest.mark.e2e
def test_a_tenant_whose_receiver_hangs_delays_another_by_less_than_one_deadline(
    api, other_api, recorder, receiver, workers
):
    workers.start(concurrency=4, WEBHOOK_TIMEOUT_SECONDS=str(DEADLINE))
    quiet = _round_trip(other_api, recorder, receiver, workers)
    hanging = Receiver()
    hanging.hang = 30
    try:
        for _ in range(20):
            create_bot(api, callback_url=hanging.url)
        _wait(lambda: hanging.active >= 2, 30, workers, "tenant A's receiver was not reached")

        busy = _round_trip(other_api, recorder, receiver, workers)

        assert busy[0] - quiet[0] < DEADLINE, (quiet, busy)
        assert busy[1] - quiet[1] < DEADLINE, (quiet, busy)
        assert hanging.most_active <= 2  # WEBHOOK_TENANT_CONCURRENCY
    finally:
        hanging.stop()


@pytest.mark.e2e
def test_two_beat_schedulers_at_once_deliver_each_event_once_in_order_per_bot(
    api, other_api, receiver, workers, monkeypatch
):
    receiver.hang = 0.1
    # Written while nothing queues them: only the schedulers find these events.
    monkeypatch.setattr("bots.webhooks.delivery.task_queue", lambda *args: None)
    bots = [create_bot(client, callback_url=receiver.url) for client in (api, other_api) * 5]
    for bot in Bot.objects.all():
        with transaction.atomic():
            for n in range(3):
                webhook_emit(bot=bot, event=f"test.{n}", message="One of three, in order.")
    expected = WebhookEvent.objects.count()

    with ThreadPoolExecutor(2) as starting:  # two workers with beat, started side by side
        list(starting.map(lambda _: workers.start(deployed=True), range(2)))
    _wait(
        lambda: WebhookEvent.objects.filter(state="delivered").count() == expected,
        90,
        workers,
        "not every event was delivered",
    )

    ids = Counter(r["headers"]["webhook-id"] for r in receiver.received)
    assert len(ids) == expected and set(ids.values()) == {1}
    for bot in bots:
        assert receiver.events(bot["bot_id"]) == ["bot.joining", "test.0", "test.1", "test.2"]
    ticks = [w.log.read_text().count("Sending due task run-due-work") for w in workers.started]
    assert all(ticks), ticks  # both schedulers ran
