"""The guide's scenarios: access modes, upgrades, switching buckets, deleting the configuration."""

from urllib.parse import urlsplit

import pytest
import requests

from bots.models import BotArtifact
from tests.conftest import PLATFORM_BUCKET
from tests.support.api import PUT
from tests.support.media import create_bot, hand_over, sample_media

pytestmark = pytest.mark.django_db(transaction=True)  # uploads are queued on commit


FETCHES = [
    "/get_audio",
    "/get_video",
    "/screenshots",
    "?type=chat",
    "?type=participants",
    "?type=transcription",
]


def recorded_bot(api, recorder) -> tuple[dict, dict[str, bytes]]:
    bot = create_bot(api)
    files = sample_media(bot, screenshots=1)
    hand_over(recorder, bot["bot_id"], files)
    return bot, files


def audio(api, bot) -> tuple[int, dict]:
    response = api.get(f"/api/v1/bots/{bot['bot_id']}/get_audio")
    return response.status_code, response.json()


def fetch_bytes(url: str) -> bytes:
    response = requests.get(url, timeout=10)
    assert response.status_code == 200
    return response.content


@pytest.mark.slow
def test_write_only_answers_every_fetch_with_the_guides_403(api, recorder, config_body, bucket):
    api.put(PUT, config_body(access_mode="write_only"), format="json")
    bot, _ = recorded_bot(api, recorder)

    status, body = audio(api, bot)

    assert status == 403
    assert body == {
        "message": "Media is stored in your S3 bucket, but only write access was granted. Update "
        "your storage configuration to read+write to fetch media via the API.",
        "code": "write_only",
        "access_mode": "write_only",
        "bucket": bucket,
        "key": f"meetstream/{bot['bot_id']}_audio.wav",
    }
    for path in FETCHES:
        response = api.get(f"/api/v1/bots/{bot['bot_id']}{path}")
        assert response.status_code == 403, path
        assert response.json()["access_mode"] == "write_only"
    transcript = api.get(f"/api/v1/transcript/{bot['transcript_id']}/get_transcript")
    assert transcript.status_code == 403


@pytest.mark.slow
def test_upgrading_the_same_bucket_to_read_write_serves_old_media_at_once(
    api, recorder, config_body, s3_server, bucket
):
    api.put(PUT, config_body(access_mode="write_only"), format="json")
    bot, files = recorded_bot(api, recorder)
    rows = list(BotArtifact.objects.values())
    keys = s3_server.keys(bucket)

    api.put(PUT, config_body(access_mode="read_write"), format="json")
    status, body = audio(api, bot)

    assert status == 200
    assert fetch_bytes(body["audio_url"]) == files["audio.wav"]
    assert list(BotArtifact.objects.values()) == rows
    assert s3_server.keys(bucket) == keys


@pytest.mark.slow
def test_a_bot_processed_before_custom_storage_is_served_from_the_platform_bucket(
    api, recorder, config_body
):
    bot, files = recorded_bot(api, recorder)
    api.put(PUT, config_body(), format="json")

    status, body = audio(api, bot)

    assert status == 200
    assert urlsplit(body["audio_url"]).path.startswith(f"/{PLATFORM_BUCKET}/meetstream/")
    assert fetch_bytes(body["audio_url"]) == files["audio.wav"]


@pytest.mark.slow
def test_after_switching_buckets_old_bots_are_served_from_their_own(
    api, recorder, config_body, s3_server, bucket
):
    api.put(PUT, config_body(), format="json")
    old, old_files = recorded_bot(api, recorder)
    other = s3_server.bucket()
    api.put(
        PUT, config_body(bucket_name=other, access_key_id="AKIAOTHERKEY00000000"), format="json"
    )
    new, new_files = recorded_bot(api, recorder)

    _, old_body = audio(api, old)
    _, new_body = audio(api, new)

    assert urlsplit(old_body["audio_url"]).path.startswith(f"/{bucket}/")
    assert urlsplit(new_body["audio_url"]).path.startswith(f"/{other}/")
    # The old bucket is read with the revision that wrote it, not the active one.
    assert "AKIAEXAMPLEKEY123456" in old_body["audio_url"]
    assert fetch_bytes(old_body["audio_url"]) == old_files["audio.wav"]
    assert fetch_bytes(new_body["audio_url"]) == new_files["audio.wav"]


@pytest.mark.slow
def test_after_delete_custom_bots_get_403_and_new_bots_use_the_platform_bucket(
    api, recorder, config_body
):
    api.put(PUT, config_body(), format="json")
    old, _ = recorded_bot(api, recorder)

    api.delete("/api/v1/admin/configs?key_name=aws")
    new, new_files = recorded_bot(api, recorder)

    status, body = audio(api, old)
    assert status == 403
    assert body["message"].startswith(
        "The storage configuration this media was written with has been deleted"
    )
    chat = api.get(f"/api/v1/bots/{old['bot_id']}", {"type": "chat"})
    assert chat.status_code == 403
    status, body = audio(api, new)
    assert status == 200 and urlsplit(body["audio_url"]).path.startswith(f"/{PLATFORM_BUCKET}/")
    assert fetch_bytes(body["audio_url"]) == new_files["audio.wav"]


@pytest.mark.slow
def test_a_new_configuration_for_the_same_bucket_after_delete_serves_old_bots_again(
    api, recorder, config_body
):
    api.put(PUT, config_body(), format="json")
    old, files = recorded_bot(api, recorder)
    api.delete("/api/v1/admin/configs?key_name=aws")

    api.put(PUT, config_body(), format="json")
    status, body = audio(api, old)

    assert status == 200 and fetch_bytes(body["audio_url"]) == files["audio.wav"]


@pytest.mark.slow
def test_a_failed_upload_is_404_with_its_reason(api, recorder, config_body, iam_s3_server):
    bucket = iam_s3_server.bucket()
    allow = {
        "Effect": "Allow",
        "Action": ["s3:PutObject"],
        "Resource": f"arn:aws:s3:::{bucket}/meetstream/*",
    }
    key_id, secret = iam_s3_server.user([allow])
    body = config_body(
        bucket_name=bucket,
        endpoint_url=iam_s3_server.url,
        access_key_id=key_id,
        secret_key=secret,
        access_mode="write_only",
    )
    assert api.put(PUT, body, format="json").status_code == 200
    iam_s3_server.policy_replace(key_id, [{**allow, "Effect": "Deny"}])
    bot = create_bot(api)

    hand_over(recorder, bot["bot_id"], {"chats.json": b"[]"})
    response = api.get(f"/api/v1/bots/{bot['bot_id']}", {"type": "chat"})

    assert response.status_code == 404
    assert response.json()["message"].startswith("The chat was not uploaded: Access denied:")
