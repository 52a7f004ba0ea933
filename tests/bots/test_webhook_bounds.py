"""A receiver cannot hold a worker: one deadline for the whole attempt, 64 KiB of its answer
read at most, whatever it sends and however slowly."""

import time
import tracemalloc

import pytest

from bots.models import WebhookAttempt, WebhookEvent
from tests.support.listeners import RawReceiver, endless_answer, trickling_answer
from tests.support.media import create_bot

pytestmark = pytest.mark.django_db(transaction=True)  # uploads are queued on commit


GiB = 1024**3


@pytest.fixture
def raw_receiver():
    started = []

    def make(answer) -> RawReceiver:
        started.append(RawReceiver(answer))
        return started[-1]

    yield make
    for receiver in started:
        receiver.stop()


@pytest.mark.slow
def test_an_endless_answer_is_read_64_kib_at_most(api, raw_receiver, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 5
    receiver = raw_receiver(endless_answer(int(1.5 * GiB)))
    tracemalloc.start()
    started = time.monotonic()
    try:
        create_bot(api, callback_url=receiver.url)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert time.monotonic() - started < 5
    assert peak < 20 * 1024**2, peak
    assert receiver.sent < 64 * 1024**2  # the socket's buffers, not the 1.5 GB
    attempt = WebhookAttempt.objects.get()
    assert (attempt.status_code, attempt.error) == (200, "")
    assert WebhookEvent.objects.get().state == "delivered"


@pytest.mark.slow
@pytest.mark.parametrize("head_first", [False, True], ids=["status-line", "body"])
def test_a_trickling_answer_ends_at_the_deadline(api, raw_receiver, settings, head_first):
    settings.WEBHOOK_TIMEOUT_SECONDS = 2
    # A byte every 0.3 s: no per-read timeout ever runs out.
    receiver = raw_receiver(trickling_answer(0.3, head_first=head_first))
    started = time.monotonic()

    create_bot(api, callback_url=receiver.url)

    assert 2 <= time.monotonic() - started < 3.5
    attempt = WebhookAttempt.objects.get()
    assert (attempt.status_code, attempt.error) == (None, "The receiver did not answer in time.")
    assert 1900 <= attempt.duration_ms < 3000
    event = WebhookEvent.objects.get()
    assert (event.state, event.attempts) == ("pending", 1) and event.next_attempt_at
