from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bots.models import Bot, BotArtifact, UploadState
from tests.support.api import PUT
from tests.support.media import create_bot, hand_over, sample_media, uploaded_screenshot_rows

pytestmark = pytest.mark.django_db(transaction=True)  # uploads are queued on commit


def download(url: str) -> bytes:
    response = requests.get(url, timeout=10)
    assert response.status_code == 200, response.text
    return response.content


@pytest.fixture
def recorded(api, recorder, config_body):
    """A bot whose media went to a custom bucket (read_write, custom endpoint)."""
    assert api.put(PUT, config_body(), format="json").status_code == 200
    bot = create_bot(api)
    files = sample_media(bot, screenshots=3)
    hand_over(recorder, bot["bot_id"], files)
    return bot, files


@pytest.mark.slow
def test_get_audio_is_a_presigned_url_to_the_custom_endpoint_serving_the_recorded_bytes(
    api, recorded, s3_server, bucket
):
    bot, files = recorded

    response = api.get(f"/api/v1/bots/{bot['bot_id']}/get_audio")

    assert response.status_code == 200
    body = response.json()
    assert body["bot_id"] == bot["bot_id"] and body["expires_in"] == 3600
    url = urlsplit(body["audio_url"])
    assert f"{url.scheme}://{url.netloc}" == s3_server.url
    assert url.path == f"/{bucket}/meetstream/{bot['bot_id']}_audio.wav"
    query = parse_qs(url.query)
    assert query["X-Amz-Expires"] == ["3600"] and query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert download(body["audio_url"]) == files["audio.wav"]


@pytest.mark.slow
def test_get_audio_with_format_mp3_serves_the_mp3(api, recorded):
    bot, files = recorded

    body = api.get(f"/api/v1/bots/{bot['bot_id']}/get_audio", {"format": "mp3"}).json()

    assert download(body["audio_url"]) == files["audio.mp3"]


@pytest.mark.slow
def test_get_video_serves_the_video(api, recorded):
    bot, files = recorded

    body = api.get(f"/api/v1/bots/{bot['bot_id']}/get_video").json()

    assert body["expires_in"] == 3600
    assert download(body["video_url"]) == files["meeting_recording.mp4"]


@pytest.mark.slow
def test_screenshots_are_listed_oldest_first_in_pages_with_working_urls(api, recorded):
    bot, files = recorded
    base = f"/api/v1/bots/{bot['bot_id']}/screenshots"

    first = api.get(base, {"page_size": 2}).json()
    second = api.get(base, {"page_size": 2, "page": 2}).json()

    assert first["count"] == second["count"] == 3
    assert first["previous"] is None and second["next"] is None
    assert first["next"].endswith(f"{base}?page_size=2&page=2")
    assert second["previous"].endswith(f"{base}?page_size=2&page=1")
    shots = first["results"] + second["results"]
    assert [s["captured_at"] for s in shots] == sorted(s["captured_at"] for s in shots)
    for shot in shots:
        assert shot["expires_in"] == 3600
        assert download(shot["url"]) == files[f"screenshots/{shot['id']}.png"]


@pytest.mark.slow
def test_one_screenshot_by_its_id(api, recorded):
    bot, files = recorded
    shot = "00000000-0000-0000-0000-000000000002"

    body = api.get(f"/api/v1/bots/{bot['bot_id']}/screenshots/{shot}").json()

    assert body["id"] == shot and body["captured_at"] == "2026-11-25T10:00:01Z"
    assert download(body["url"]) == files[f"screenshots/{shot}.png"]


@pytest.mark.slow
@pytest.mark.parametrize(
    "shot", ["00000000-0000-0000-0000-000000000009", "not-a-uuid", "..%2f..%2fx"]
)
def test_an_unknown_screenshot_is_404(api, recorded, shot):
    bot, _ = recorded

    response = api.get(f"/api/v1/bots/{bot['bot_id']}/screenshots/{shot}")

    assert response.status_code == 404
    assert response.json()["message"]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("kind", "name"),
    [
        ("chat", "chats.json"),
        ("participants", "participants.json"),
        ("transcription", "transcription/meetstream/{tr}/processed_transcript.json"),
    ],
)
def test_json_documents_come_back_exactly_as_stored(api, recorded, kind, name):
    bot, files = recorded

    response = api.get(f"/api/v1/bots/{bot['bot_id']}", {"type": kind})

    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert b"".join(response.streaming_content) == files[name.format(tr=bot["transcript_id"])]


@pytest.mark.slow
def test_get_transcript_serves_the_processed_one_and_the_raw_one_on_request(api, recorded):
    bot, files = recorded
    folder = f"transcription/meetstream/{bot['transcript_id']}"
    url = f"/api/v1/transcript/{bot['transcript_id']}/get_transcript"

    processed = api.get(url)
    raw = api.get(url, {"raw": "true"})

    assert b"".join(processed.streaming_content) == files[f"{folder}/processed_transcript.json"]
    assert b"".join(raw.streaming_content) == files[f"{folder}/raw_transcript.json"]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("", {"type": "video"}, "type"),
        ("", {}, "type"),
        ("/get_audio", {"format": "flac"}, "format"),
        ("/screenshots", {"page": "0"}, "page"),
        ("/screenshots", {"page": "two"}, "page"),
        ("/screenshots", {"page_size": "101"}, "page_size"),
        ("/screenshots", {"page": "-1"}, "page"),
    ],
)
def test_bad_parameters_are_400(api, recorded, path, params, field):
    bot, _ = recorded

    response = api.get(f"/api/v1/bots/{bot['bot_id']}{path}", params)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]


@pytest.mark.slow
def test_a_page_past_the_last_is_400(api, recorded):
    bot, _ = recorded

    response = api.get(f"/api/v1/bots/{bot['bot_id']}/screenshots", {"page": 2})

    assert response.status_code == 400
    assert response.json() == {
        "message": "Page 2 does not exist: there is 1 page.",
        "code": "invalid_request",
    }


@pytest.mark.slow
def test_raw_must_be_true_or_false(api, recorded):
    bot, _ = recorded

    response = api.get(f"/api/v1/transcript/{bot['transcript_id']}/get_transcript", {"raw": "yes"})

    assert response.status_code == 400 and list(response.json()["errors"]) == ["raw"]


@pytest.mark.slow
def test_zoom_bots_have_no_screenshots(api, recorder):
    bot = create_bot(api, "https://zoom.us/j/123")
    hand_over(recorder, bot["bot_id"], {"chats.json": b"[]"})

    for path in ("screenshots", "screenshots/00000000-0000-0000-0000-000000000001"):
        response = api.get(f"/api/v1/bots/{bot['bot_id']}/{path}")
        assert response.status_code == 400
        assert response.json() == {
            "message": "Screenshots are not supported for Zoom bots.",
            "code": "invalid_request",
        }


@pytest.mark.slow
def test_a_file_never_recorded_or_not_yet_uploaded_is_404_saying_so(api, recorder):
    bot = create_bot(api)
    hand_over(recorder, bot["bot_id"], {"audio.wav": b"RIFF"})
    BotArtifact.objects.filter(bot__public_id=bot["bot_id"]).update(state=UploadState.STAGED)

    pending = api.get(f"/api/v1/bots/{bot['bot_id']}/get_audio")
    missing = api.get(f"/api/v1/bots/{bot['bot_id']}/get_video")

    assert (pending.status_code, pending.json()) == (
        404,
        {"message": "The audio has not been uploaded yet.", "code": "not_found"},
    )
    assert (missing.status_code, missing.json()) == (
        404,
        {"message": "This bot has no video.", "code": "not_found"},
    )


def test_a_bot_without_media_lists_no_screenshots(api, recorder):
    bot = create_bot(api)
    hand_over(recorder, bot["bot_id"], {})

    body = api.get(f"/api/v1/bots/{bot['bot_id']}/screenshots").json()

    assert body == {"count": 0, "next": None, "previous": None, "results": []}


@pytest.mark.slow
def test_another_tenants_bot_transcript_and_screenshot_are_404(api, other_api, recorded):
    bot, _ = recorded
    shot = "00000000-0000-0000-0000-000000000001"
    paths = [
        f"/api/v1/bots/{bot['bot_id']}/get_audio",
        f"/api/v1/bots/{bot['bot_id']}/get_video",
        f"/api/v1/bots/{bot['bot_id']}/screenshots",
        f"/api/v1/bots/{bot['bot_id']}/screenshots/{shot}",
        f"/api/v1/bots/{bot['bot_id']}?type=chat",
        f"/api/v1/bots/{bot['bot_id']}/status",
        f"/api/v1/transcript/{bot['transcript_id']}/get_transcript",
    ]

    for path in paths:
        response = other_api.get(path)
        assert response.status_code == 404, path
        assert response.json()["message"] in {"Bot not found.", "Transcript not found."}
        assert api.get(path).status_code == 200, path


@pytest.mark.slow
def test_a_json_document_gone_from_the_bucket_is_404_saying_so(api, recorded, s3_server, bucket):
    bot, _ = recorded
    s3_server.client().delete_object(Bucket=bucket, Key=f"meetstream/{bot['bot_id']}_chats.json")

    response = api.get(f"/api/v1/bots/{bot['bot_id']}", {"type": "chat"})

    assert response.status_code == 404
    assert response.json()["message"].startswith("Your bucket did not serve the file:")


@pytest.mark.slow
@pytest.mark.parametrize(
    "path",
    [
        "/get_audio",
        "/screenshots?page_size=100",
        "?type=chat",
        "/status",
        "/screenshots/00000000-0000-0000-0000-000000000000",
    ],
)
def test_fetches_make_the_same_number_of_queries_for_1_and_500_screenshots(api, recorder, path):
    counts = []
    for screenshots in (1, 500):
        bot = create_bot(api)
        hand_over(recorder, bot["bot_id"], {"audio.wav": b"RIFF", "chats.json": b"[]"})
        row = Bot.objects.select_related("pin").get(public_id=bot["bot_id"])
        uploaded_screenshot_rows(row, screenshots, bucket=row.pin.bucket)
        with CaptureQueriesContext(connection) as captured:
            response = api.get(f"/api/v1/bots/{bot['bot_id']}{path}")
            if hasattr(response, "streaming_content"):
                b"".join(response.streaming_content)
        assert response.status_code == 200, response.content
        counts.append(len(captured))

    assert counts[0] == counts[1] <= 7, counts
