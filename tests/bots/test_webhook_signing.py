"""Standard Webhooks signatures, checked with the specification's reference package."""

import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import webhooks as reference
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from bots.models import WebhookEvent
from bots.tasks import sweep_webhooks
from tests.support.media import create_bot

pytestmark = pytest.mark.django_db(transaction=True)  # uploads are queued on commit


def _secret(api) -> str:
    return api.get("/api/v1/admin/webhook_secret").json()["signing_secret"]


@pytest.mark.slow
def test_every_event_verifies_with_the_reference_package(api, receiver):
    verifier = Webhook(_secret(api))

    create_bot(api, callback_url=receiver.url)

    request = receiver.received[0]
    assert verifier.verify(request["body"], request["headers"])["event"] == "bot.joining"
    assert abs(int(request["headers"]["webhook-timestamp"]) - time.time()) < 60


@pytest.mark.slow
def test_a_signature_under_another_secret_does_not_verify(api, other_api, receiver):
    create_bot(api, callback_url=receiver.url)

    request = receiver.received[0]
    with pytest.raises(WebhookVerificationError):
        Webhook(_secret(other_api)).verify(request["body"], request["headers"])


@pytest.mark.slow
def test_a_replay_older_than_five_minutes_is_rejected(api, receiver, monkeypatch):
    verifier = Webhook(_secret(api))
    create_bot(api, callback_url=receiver.url)
    request = receiver.received[0]

    class Later(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime.now(tz=UTC) + timedelta(minutes=5, seconds=30)

    monkeypatch.setattr(reference, "datetime", Later)

    with pytest.raises(WebhookVerificationError, match="too old"):
        verifier.verify(request["body"], request["headers"])


@pytest.mark.slow
def test_a_retry_keeps_its_id_with_a_fresh_timestamp_and_a_valid_signature(api, receiver):
    verifier = Webhook(_secret(api))
    receiver.status = 503
    create_bot(api, callback_url=receiver.url)
    time.sleep(1.1)  # timestamps are whole seconds
    receiver.status = 200
    WebhookEvent.objects.update(next_attempt_at=None)

    sweep_webhooks()

    first, retry = receiver.received[0]["headers"], receiver.received[1]["headers"]
    assert retry["webhook-id"] == first["webhook-id"]
    assert int(retry["webhook-timestamp"]) > int(first["webhook-timestamp"])
    assert retry["webhook-signature"] != first["webhook-signature"]
    verifier.verify(receiver.received[1]["body"], retry)


@pytest.mark.slow
def test_delivery_ids_are_random_and_tell_nothing_of_other_tenants(api, other_api, receiver):
    create_bot(api, callback_url=receiver.url)
    create_bot(other_api, callback_url=receiver.url)
    create_bot(api, callback_url=receiver.url)

    ids = [request["headers"]["webhook-id"] for request in receiver.received]
    assert len(set(ids)) == 3
    assert all(re.fullmatch(r"msg_[A-Za-z0-9_-]{24}", message_id) for message_id in ids)
    assert [r["headers"]["X-MeetStream-Delivery"] for r in receiver.received] == ids
    pks = {str(pk) for pk in WebhookEvent.objects.values_list("pk", flat=True)}
    assert not any(message_id.removeprefix("msg_") in pks for message_id in ids)


@pytest.mark.slow
def test_the_secret_is_in_the_specifications_form(api):
    secret = _secret(api)

    assert re.fullmatch(r"whsec_[A-Za-z0-9+/]{43}=", secret)
    assert len(Webhook(secret)._whsecret) == 32


@pytest.mark.slow
@pytest.mark.parametrize("legacy", [True, False])
def test_the_body_only_signature_is_sent_only_while_the_operator_keeps_it(
    api, receiver, settings, legacy
):
    settings.WEBHOOK_LEGACY_SIGNATURE = legacy
    verifier = Webhook(_secret(api))

    create_bot(api, callback_url=receiver.url)

    headers = receiver.received[0]["headers"]
    assert ("X-MeetStream-Signature" in headers) is legacy
    assert verifier.verify(receiver.received[0]["body"], headers)["event"] == "bot.joining"
