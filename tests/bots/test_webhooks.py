"""Signed events to a receiver on loopback: once each, in order, retried, timed out, guarded."""

import hashlib
import hmac
import json
import time

import pytest

from bots.models import WebhookAttempt, WebhookEvent
from bots.tasks import sweep_webhooks
from tests.support.api import PUT
from tests.support.media import STATUS, create_bot, create_bot_request, hand_over, sample_media

pytestmark = pytest.mark.django_db(transaction=True)  # uploads are queued on commit


@pytest.mark.slow
def test_events_arrive_once_each_in_order_and_signed(api, recorder, receiver):
    secret = api.get("/api/v1/admin/webhook_secret").json()["signing_secret"]
    bot = create_bot(api, callback_url=receiver.url)

    hand_over(recorder, bot["bot_id"], sample_media(bot, screenshots=1))

    events = receiver.events()
    assert events[:2] == ["bot.joining", "bot.stopped"]
    # Files upload side by side, so these four come in the order their uploads finished.
    processed = ["audio.processed", "audio.processed", "transcription.processed", "video.processed"]
    assert sorted(events[2:6]) == processed
    assert events[-3:] == ["manifest.completed", "bot.done", "storage.delivered"]
    assert (
        len(receiver.events()) == 9
        and len(set(r["headers"]["X-MeetStream-Delivery"] for r in receiver.received)) == 9
    )
    for request in receiver.received:
        expected = (
            "sha256=" + hmac.new(secret.encode(), request["body"], hashlib.sha256).hexdigest()
        )
        assert hmac.compare_digest(request["headers"]["X-MeetStream-Signature"], expected)
        assert abs(int(request["headers"]["X-MeetStream-Timestamp"]) - time.time()) < 60
        payload = json.loads(request["body"])
        assert (
            payload["bot_id"] == bot["bot_id"]
            and payload["event"] == request["headers"]["X-MeetStream-Event"]
        )
    done = json.loads(receiver.received[-1]["body"])
    assert done["bot_status"] == "Done"
    video = next(
        json.loads(r["body"]) for r in receiver.received if b"video.processed" in r["body"]
    )
    assert video["data"]["key"] == f"meetstream/{bot['bot_id']}_meeting_recording.mp4"


@pytest.mark.slow
def test_a_failed_upload_sends_storage_upload_failed_with_where_and_why(
    api, recorder, receiver, config_body, s3_server, bucket
):
    api.put(PUT, config_body(), format="json")
    s3_server.client().delete_bucket(Bucket=bucket)
    bot = create_bot(api, callback_url=receiver.url)

    hand_over(recorder, bot["bot_id"], {"chats.json": b"[]"})

    [failed] = [
        json.loads(r["body"]) for r in receiver.received if b"storage.upload_failed" in r["body"]
    ]
    assert failed["data"] == {
        "file": "chats.json",
        "bucket": bucket,
        "key": f"meetstream/{bot['bot_id']}_chats.json",
        "reason": "no_such_bucket",
        "attempts": 1,
        "fallback": False,
    }
    assert failed["message"] == f"The bucket '{bucket}' does not exist."


@pytest.mark.slow
def test_a_receiver_answering_500_gets_retries_in_order_and_delays_nothing_else(
    api, recorder, receiver, settings
):
    receiver.status = 500
    bot = create_bot(api, callback_url=receiver.url)
    hand_over(recorder, bot["bot_id"], {"chats.json": b"[]"})
    assert api.get(STATUS.format(bot["bot_id"])).json()["status"] == "Done"
    assert receiver.events() == ["bot.joining"]  # later events wait behind the first

    receiver.status = 200
    WebhookEvent.objects.update(next_attempt_at=None)
    sweep_webhooks()

    assert receiver.events() == [
        "bot.joining",
        "bot.joining",
        "bot.stopped",
        "manifest.completed",
        "bot.done",
        "storage.delivered",
    ]
    first = WebhookEvent.objects.order_by("pk").first()
    assert [a.status_code for a in first.tries.all()] == [500, 200]
    assert first.tries.first().error == "The receiver answered 500."


@pytest.mark.slow
def test_a_receiver_that_hangs_is_timed_out(api, receiver, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 2
    receiver.hang = 10
    started = time.monotonic()

    create_bot(api, callback_url=receiver.url)

    assert time.monotonic() - started < 4
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code is None and attempt.error == "The receiver did not answer in time."
    assert WebhookEvent.objects.get().next_attempt_at is not None


@pytest.mark.slow
def test_a_receiver_at_a_private_address_is_refused(api, receiver, settings):
    receiver.status = 500  # the first event stays pending for a retry
    create_bot(api, "https://zoom.us/j/1", callback_url=receiver.url)
    settings.STORAGE_ALLOW_PRIVATE_ENDPOINTS = False

    refused = create_bot_request(api, "https://zoom.us/j/1", callback_url="http://10.0.0.8/x")
    WebhookEvent.objects.update(next_attempt_at=None)
    sweep_webhooks()

    assert refused.status_code == 400 and list(refused.json()["errors"]) == ["callback_url"]
    assert len(receiver.received) == 1  # the retry was refused before any request was sent
    refusal = WebhookAttempt.objects.last()
    assert refusal.status_code is None
    assert refusal.error == (
        "Refused: The host '127.0.0.1' cannot be used: it must resolve, within 2 s, to public "
        "addresses only."
    )


@pytest.mark.slow
def test_rotating_the_secret_signs_later_events_with_the_new_one(api, receiver, other_api):
    old = api.get("/api/v1/admin/webhook_secret").json()["signing_secret"]
    new = api.post("/api/v1/admin/webhook_secret").json()["signing_secret"]

    create_bot(api, callback_url=receiver.url)

    assert old != new and new.startswith("whsec_")
    assert api.get("/api/v1/admin/webhook_secret").json()["signing_secret"] == new
    assert other_api.get("/api/v1/admin/webhook_secret").json()["signing_secret"] not in {old, new}
    body = receiver.received[0]["body"]
    assert receiver.received[0]["headers"]["X-MeetStream-Signature"] == (
        "sha256=" + hmac.new(new.encode(), body, hashlib.sha256).hexdigest()
    )
