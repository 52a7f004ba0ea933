"""Retention: once a bot's hours have passed (the clock is moved, not waited for), what the
platform holds is deleted and the bot is MediaExpired; a customer's bucket is untouched."""

import json
from datetime import timedelta

import pytest
import requests
from django.core.management import call_command
from django.utils import timezone

from bots.bot.lifecycle import BotEventType
from bots.bot.retention import media_expire
from bots.bot.services import bot_transition
from bots.models import Bot, BotArtifact, Pin
from tests.bots.conftest import PUT
from tests.support.faults import FaultProxy
from tests.support.media import (
    STATUS,
    create_bot,
    create_bot_request,
    hand_over,
    recorded_bot,
    uploaded_screenshot_rows,
)
from tests.support.workers import PLATFORM_BUCKET

TIMED = {"retention": {"type": "timed", "hours": 24}}
LATER = timedelta(hours=25)


@pytest.mark.parametrize(
    ("retention", "field"),
    [
        ({"type": "timed", "hours": 0}, "recording_config.retention.hours"),
        ({"type": "timed", "hours": 8761}, "recording_config.retention.hours"),
        ({"type": "timed", "hours": "24"}, "recording_config.retention.hours"),
        ({"type": "timed"}, "recording_config.retention.hours"),
        ({"type": "forever", "hours": 5}, "recording_config.retention.hours"),
        ({"type": "weekly"}, "recording_config.retention.type"),
        ({"type": "timed", "hours": 1, "days": 2}, "recording_config.retention.days"),
    ],
)
def test_a_bad_retention_is_400_naming_the_field(api, retention, field):
    response = create_bot_request(api, recording_config={"retention": retention})

    assert response.status_code == 400
    assert field in response.json()["errors"], response.json()
    assert not Bot.objects.exists()


@pytest.mark.slow
def test_status_shows_the_retention_and_when_it_expires_once_the_bot_left(api, recorder):
    bot = create_bot(api, recording_config=TIMED)
    joining = api.get(STATUS.format(bot["bot_id"])).json()["retention"]
    hand_over(recorder, bot["bot_id"], {"chats.json": b"[]"})

    retention = api.get(STATUS.format(bot["bot_id"])).json()["retention"]

    assert joining == {"type": "timed", "hours": 24, "expires_at": None}
    left_at = Bot.objects.get().left_at
    assert retention["expires_at"] == (left_at + timedelta(hours=24)).isoformat().replace(
        "+00:00", "Z"
    )


def test_the_default_comes_from_media_retention_hours(api, settings):
    settings.MEDIA_RETENTION_HOURS = 72
    timed = create_bot(api)
    forever = create_bot(api, recording_config={"retention": {"type": "forever"}})

    assert Bot.objects.get(public_id=timed["bot_id"]).retention_hours == 72
    assert Bot.objects.get(public_id=forever["bot_id"]).retention_hours is None


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_when_it_expires_the_platform_objects_are_gone_and_fetches_are_410(
    api, recorder, s3_server, receiver
):
    bot_id, files = recorded_bot(api, recorder, recording_config=TIMED, callback_url=receiver.url)
    keep_id, _ = recorded_bot(api, recorder)  # forever: untouched
    assert len(s3_server.keys(PLATFORM_BUCKET, containing=bot_id)) == len(files) + 1

    assert media_expire(now=timezone.now() + timedelta(hours=23)).bots == []  # not yet
    report = media_expire(now=timezone.now() + LATER)

    assert report.bots == [bot_id] and report.objects == len(files) + 1
    assert s3_server.keys(PLATFORM_BUCKET, containing=bot_id) == []
    assert len(s3_server.keys(PLATFORM_BUCKET, containing=keep_id)) == len(files) + 1
    status = api.get(STATUS.format(bot_id)).json()
    assert status["status"] == "MediaExpired"
    assert (status["media"]["state"], status["media"]["expired"]) == ("expired", len(files) + 1)
    audio = api.get(f"/api/v1/bots/{bot_id}/get_audio")
    assert audio.status_code == 410
    assert "retention of 24 hours ran out" in audio.json()["message"]
    assert api.get(f"/api/v1/bots/{bot_id}", {"type": "chat"}).status_code == 410
    screenshots = api.get(f"/api/v1/bots/{bot_id}/screenshots")
    assert screenshots.status_code == 410
    assert screenshots.json()["message"].startswith("The screenshots were deleted at ")
    [event] = [json.loads(r["body"]) for r in receiver.received if b"data_deletion" in r["body"]]
    assert event["data"] | {"kept_keys": []} == {
        "reason": "retention",
        "deleted": len(files) + 1,
        "kept": 0,
        "kept_keys": [],
    }
    assert Bot.objects.get(public_id=bot_id).events.last().actor == "retention"
    assert media_expire(now=timezone.now() + LATER).bots == []  # done once


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_a_custom_bucket_bots_objects_are_untouched_and_still_served(
    api, recorder, config_body, s3_server, bucket
):
    assert api.put(PUT, config_body(), format="json").status_code == 200
    bot_id, files = recorded_bot(api, recorder, recording_config=TIMED)
    before = s3_server.keys(bucket, containing=bot_id)

    media_expire(now=timezone.now() + LATER)

    assert s3_server.keys(bucket, containing=bot_id) == before
    assert api.get(STATUS.format(bot_id)).json()["status"] == "MediaExpired"
    url = api.get(f"/api/v1/bots/{bot_id}/get_audio").json()["audio_url"]
    assert requests.get(url, timeout=5).content == files["audio.wav"]


def test_a_bot_that_failed_in_its_meeting_loses_its_staged_copies(api, recorder, staging):
    bot = create_bot(api, recording_config=TIMED)
    hand_over(recorder, bot["bot_id"], {"chats.json": b"[]"}, leave=False)
    bot_transition(bot=Bot.objects.get(), event=BotEventType.FAILED)
    assert len(staging.files(bot["bot_id"])) == 1

    media_expire(now=timezone.now() + LATER)

    assert staging.files(bot["bot_id"]) == []
    assert Bot.objects.get().status == "MediaExpired"
    assert BotArtifact.objects.get().state == "expired"


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_dry_run_says_what_would_go_and_deletes_nothing(api, recorder, s3_server, capsys):
    bot_id, files = recorded_bot(api, recorder, recording_config={"retention": {
        "type": "timed", "hours": 1}})  # fmt: skip
    Bot.objects.update(media_expires_at=timezone.now() - timedelta(minutes=1))

    call_command("media_expire", "--dry-run")

    assert f"would expire 1 bot(s): {len(files) + 1} platform object(s)" in capsys.readouterr().out
    assert len(s3_server.keys(PLATFORM_BUCKET, containing=bot_id)) == len(files) + 1
    assert Bot.objects.get().status == "Done"

    call_command("media_expire")

    assert s3_server.keys(PLATFORM_BUCKET, containing=bot_id) == []
    assert Bot.objects.get().status == "MediaExpired"


@pytest.mark.slow
def test_platform_keys_go_at_most_1000_per_delete_objects_call(api, s3_server, settings):
    bot = Bot.objects.get(public_id=create_bot(api, recording_config=TIMED)["bot_id"])
    uploaded_screenshot_rows(bot, 1205, bucket=PLATFORM_BUCKET)
    client = s3_server.client()
    for artifact in BotArtifact.objects.filter(bot=bot):
        client.put_object(Bucket=PLATFORM_BUCKET, Key=artifact.key, Body=b"x")
    Pin.objects.create(
        bot=bot,
        location={"bucket": PLATFORM_BUCKET, "region": "us-east-1", "endpoint_url": ""},
        prefixes={"metadata": "meetstream"},
    )
    Bot.objects.update(status="Done", media_expires_at=timezone.now() - timedelta(minutes=1))
    proxy = FaultProxy(s3_server.url, lambda method, path: None)
    settings.PLATFORM_S3_ENDPOINT_URL = proxy.url
    try:
        report = media_expire()
    finally:
        proxy.stop()

    batches = [path for method, path, _ in proxy.seen if method == "POST" and "delete" in path]
    assert report.objects == 1205 and len(batches) == 2
    assert s3_server.keys(PLATFORM_BUCKET, containing=bot.public_id) == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_a_bot_deleted_on_request_does_not_expire_again(api, recorder, receiver):
    bot_id, _ = recorded_bot(api, recorder, recording_config=TIMED, callback_url=receiver.url)
    assert api.post(f"/api/v1/bots/{bot_id}/delete_data").status_code == 202

    assert media_expire(now=timezone.now() + LATER).bots == []
    assert Bot.objects.get().status == "Done"
    assert receiver.events().count("data_deletion") == 1
