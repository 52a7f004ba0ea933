"""`Idempotency-Key` on create_bot: one bot per key per tenant, its answer replayed for a day."""

import json
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from bots.bot.idempotency import idempotency_keys_purge
from bots.models import Bot, IdempotencyKey
from tests.support import leaks
from tests.support.media import MEETING_LINK

CREATE = "/api/v1/bots/create_bot"
BODY = {"meeting_link": MEETING_LINK, "bot_name": "Notetaker"}


def create(api, key: str, body=None, **headers):
    raw = body if isinstance(body, str) else json.dumps(body or BODY)
    return api.post(
        CREATE, raw, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key, **headers
    )


def test_the_same_key_and_body_replay_the_original_201(api):
    first = create(api, "order-42")
    reordered = f'{{ "bot_name": "Notetaker",  "meeting_link": "{MEETING_LINK}" }}'
    again = create(api, "order-42", reordered)

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Bot.objects.count() == 1


def test_the_same_key_with_another_body_is_409(api):
    create(api, "order-42")

    response = create(api, "order-42", {**BODY, "bot_name": "Other"})

    assert response.status_code == 409
    assert "different request" in response.json()["message"]
    assert Bot.objects.count() == 1


@pytest.mark.slow
def test_keys_are_per_tenant(api, other_api):
    mine = create(api, "order-42").json()
    theirs = create(other_api, "order-42").json()

    assert mine["bot_id"] != theirs["bot_id"]
    assert Bot.objects.count() == 2


def test_after_24_hours_the_key_makes_a_new_bot(api):
    first = create(api, "order-42").json()
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=24, seconds=1))

    again = create(api, "order-42")

    assert again.status_code == 201 and "Idempotent-Replayed" not in again
    assert again.json()["bot_id"] != first["bot_id"]
    assert IdempotencyKey.objects.count() == 1


@pytest.mark.slow
def test_a_refused_request_does_not_use_up_the_key(api):
    assert create(api, "order-42", {**BODY, "meeting_link": "http://x"}).status_code == 400

    assert create(api, "order-42").status_code == 201
    assert Bot.objects.count() == 1


def test_a_key_longer_than_255_characters_is_400(api):
    response = create(api, "k" * 256)

    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["message"]
    assert create(api, "k" * 255).status_code == 201


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_concurrent_requests_with_one_key_create_one_bot(api, tenant):
    """A database constraint, not a check then an insert: 8 threads at once, one bot."""
    start = threading.Barrier(8)
    answers: list = []

    def request() -> None:
        client = leaks.WatchedAPIClient()
        client.credentials(HTTP_AUTHORIZATION=api._credentials["HTTP_AUTHORIZATION"])
        try:
            start.wait()
            answers.append(create(client, "race-1"))
        finally:
            connection.close()

    threads = [threading.Thread(target=request) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [a.status_code for a in answers] == [201] * 8
    assert len({a.json()["bot_id"] for a in answers}) == 1
    assert sum(a.get("Idempotent-Replayed") == "true" for a in answers) == 7
    assert Bot.objects.count() == 1 and IdempotencyKey.objects.count() == 1


@pytest.mark.slow
def test_the_purge_forgets_only_keys_past_their_day(api, tenant):
    kept = create(api, "kept").json()
    create(api, "old")
    IdempotencyKey.objects.filter(key="old").update(
        created_at=timezone.now() - timedelta(hours=24, seconds=1)
    )

    assert idempotency_keys_purge() == 1

    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["kept"]
    again = create(api, "kept")
    assert again.status_code == 201 and again.json()["bot_id"] == kept["bot_id"]
    assert Bot.objects.count() == 2
