import hashlib

import pytest
from rest_framework.test import APIClient

from bots.bot.lifecycle import BotStatus
from bots.models import Bot, BotArtifact, BotEvent
from tests.support.media import MEDIA, create_bot, hand_over, sample_media

pytestmark = pytest.mark.usefixtures("staging")


def put(recorder, bot_id: str, name: str, data: bytes = b"data"):
    return recorder.put(MEDIA.format(bot_id, name), data, content_type="application/octet-stream")


@pytest.mark.parametrize(
    "header", [None, "Bearer wrong-token", "Token recorder-token-for-tests", "Bearer"]
)
def test_the_recorder_api_wants_the_recorder_token(api, header):
    bot = create_bot(api)
    client = APIClient()
    if header:
        client.credentials(HTTP_AUTHORIZATION=header)

    response = put(client, bot["bot_id"], "audio.wav")

    assert response.status_code == 401
    assert response.json()["message"]
    assert not BotArtifact.objects.exists()


def test_with_no_recorder_token_configured_the_api_is_closed(api, recorder, settings):
    bot = create_bot(api)
    settings.RECORDER_TOKEN = ""

    assert put(recorder, bot["bot_id"], "audio.wav").status_code == 401


@pytest.mark.slow
def test_a_file_is_streamed_into_staging_with_its_size_and_digest(api, recorder, staging):
    bot = create_bot(api)
    data = bytes(range(256)) * 40_000  # 10 MB

    response = put(recorder, bot["bot_id"], "meeting_recording.mp4", data)

    assert response.status_code == 201
    assert response.json() == {
        "bot_id": bot["bot_id"],
        "file": "meeting_recording.mp4",
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    artifact = BotArtifact.objects.get()
    assert (artifact.category, artifact.content_type, artifact.state) == (
        "video",
        "video/mp4",
        "staged",
    )
    assert staging.read(artifact.staged_name) == data
    assert staging.unfinished() == []


@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    [
        "../audio.wav",
        "screenshots/../../secrets.png",
        "screenshots/not-a-uuid.png",
        "screenshots/00000000-0000-0000-0000-000000000001.gif",
        "video.mov",
        "manifest.json",
        "transcription/meetstream/tr_wrong/raw_transcript.json",
        "transcription/other/{tr}/raw_transcript.json",
        "transcription/meetstream/{tr}/summary.json",
        "audio.wav/",
        "%2e%2e/audio.wav",
    ],
)
def test_only_the_contract_artifact_names_are_taken(api, recorder, staging, name):
    bot = create_bot(api)

    response = put(recorder, bot["bot_id"], name.format(tr=bot["transcript_id"]))

    assert response.status_code == 400, response.json()
    assert response.json()["message"]
    assert not BotArtifact.objects.exists()
    assert staging.files(bot["bot_id"]) == []


def test_an_empty_file_is_refused(api, recorder, staging):
    bot = create_bot(api)

    response = put(recorder, bot["bot_id"], "chats.json", b"")

    assert response.status_code == 400
    assert response.json() == {"message": "The file is empty.", "code": "invalid_request"}
    assert staging.files(bot["bot_id"]) == []


@pytest.mark.slow
@pytest.mark.parametrize(
    "sidecar",
    [
        b"not json",
        b'{"captured_at": "yesterday"}',
        b"[]",
        b'{"captured_at": "2026-11-25T10:00:00"}',
    ],
)
def test_a_screenshot_sidecar_needs_a_captured_at_time(api, recorder, sidecar):
    bot = create_bot(api)

    response = put(
        recorder, bot["bot_id"], "screenshots/00000000-0000-0000-0000-000000000001.json", sidecar
    )

    assert response.status_code == 400
    assert "captured_at" in response.json()["message"]


@pytest.mark.slow
def test_captured_at_reaches_the_screenshot_whichever_file_comes_first(api, recorder):
    bot = create_bot(api)
    first, second = "00000000-0000-0000-0000-00000000000a", "00000000-0000-0000-0000-00000000000b"
    sidecar = b'{"captured_at": "2026-11-25T10:00:05+00:00"}'
    put(recorder, bot["bot_id"], f"screenshots/{first}.png")
    put(recorder, bot["bot_id"], f"screenshots/{first}.json", sidecar)
    put(recorder, bot["bot_id"], f"screenshots/{second}.json", sidecar)
    put(recorder, bot["bot_id"], f"screenshots/{second}.png")

    pngs = BotArtifact.objects.filter(name__endswith=".png")
    assert [p.captured_at.isoformat() for p in pngs] == ["2026-11-25T10:00:05+00:00"] * 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_a_file_sent_again_replaces_the_last_and_its_staged_copy(api, recorder, staging):
    bot = create_bot(api)
    put(recorder, bot["bot_id"], "chats.json", b"[1]")

    put(recorder, bot["bot_id"], "chats.json", b"[1, 2]")

    artifact = BotArtifact.objects.get()
    assert artifact.size == 6
    assert [staging.read(name) for name in staging.files(bot["bot_id"])] == [b"[1, 2]"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_files_after_the_bot_left_are_refused(api, recorder, s3_server):
    bot = create_bot(api)
    hand_over(recorder, bot["bot_id"], {"chats.json": b"[]"})

    response = put(recorder, bot["bot_id"], "participants.json", b"[]")

    assert response.status_code == 409
    assert "left the meeting" in response.json()["message"]
    assert list(BotArtifact.objects.values_list("name", flat=True)) == [
        "chats.json",
        "manifest.json",
    ]


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_leaving_twice_is_refused_and_records_one_event(api, recorder):
    bot = create_bot(api)
    hand_over(recorder, bot["bot_id"], {"chats.json": b"[]"})

    response = recorder.post(f"/internal/v1/bots/{bot['bot_id']}/left")

    assert response.status_code == 409
    assert response.json()["message"] == "A bot that is Done cannot take the event 'left'."
    assert BotEvent.objects.filter(event="left").count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_the_lifecycle_is_recorded_event_by_event(api, recorder):
    bot = create_bot(api)
    assert (
        recorder.post(f"/internal/v1/bots/{bot['bot_id']}/joined").json()["status"] == "InMeeting"
    )

    hand_over(recorder, bot["bot_id"], sample_media(bot, screenshots=1))

    row = Bot.objects.get(public_id=bot["bot_id"])
    assert row.status == BotStatus.DONE and row.left_at is not None
    assert list(row.events.values_list("event", "from_status", "to_status")) == [
        ("joined", "Joining", "InMeeting"),
        ("left", "InMeeting", "Stopped"),
        ("media_uploaded", "Stopped", "Done"),
    ]


@pytest.mark.django_db(transaction=True)
def test_an_unknown_bot_is_404(recorder):
    assert put(recorder, "bot_nope", "audio.wav").status_code == 404
    assert recorder.post("/internal/v1/bots/bot_nope/left").status_code == 404
