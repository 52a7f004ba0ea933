import json
import os

import pytest

from bots.models import Bot, BotArtifact, Pin
from bots.tasks import upload_bot_media
from storageconfig.models import StorageConfig
from tests.conftest import PLATFORM_BUCKET
from tests.support.api import PUT
from tests.support.media import STATUS, create_bot, hand_over, sample_media

MiB = 1024 * 1024
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("staging")]


def objects(server, bucket: str) -> dict[str, bytes]:
    client = server.client()
    return {
        key: client.get_object(Bucket=bucket, Key=key)["Body"].read() for key in server.keys(bucket)
    }


def expected_keys(files, bot_id: str, prefixes: dict[str, str]) -> dict[str, str]:
    def category(name: str) -> str:
        if name.startswith("audio."):
            return "audio"
        if name.endswith(".mp4"):
            return "video"
        return "transcript" if name.startswith("transcription/") else "metadata"

    return {name: f"{prefixes[category(name)]}/{bot_id}_{name}" for name in files}


@pytest.mark.slow
def test_with_no_configuration_every_file_lands_in_the_platform_bucket_byte_for_byte(
    api, recorder, s3_server, staging, settings
):
    settings.UPLOAD_PART_MB = 5
    bot = create_bot(api)
    files = sample_media(bot)
    files["meeting_recording.mp4"] = os.urandom(11 * MiB)  # three parts, in and out of staging

    hand_over(recorder, bot["bot_id"], files)

    status = api.get(STATUS.format(bot["bot_id"])).json()
    assert status["status"] == "Done"
    assert status["media"] | {"failed": [], "files": [], "kept_files": []} == status["media"]
    assert status["media"]["state"] == "uploaded"
    assert status["media"]["artifacts"] == status["media"]["uploaded"] == len(files) + 1
    stored = objects(s3_server, PLATFORM_BUCKET)
    keys = expected_keys(
        files,
        bot["bot_id"],
        dict.fromkeys(["audio", "video", "transcript", "metadata"], "meetstream"),
    )
    for name, data in files.items():
        assert stored[keys[name]] == data, name
    pin = Pin.objects.get(bot__public_id=bot["bot_id"])
    assert (pin.storage_config, pin.provider, pin.location) == (
        None,
        "aws",
        {"bucket": PLATFORM_BUCKET, "region": "us-east-1", "endpoint_url": s3_server.url},
    )
    assert staging.files(bot["bot_id"]) == [] and staging.unfinished() == []


@pytest.mark.slow
def test_keys_follow_the_guide_with_per_category_prefixes_and_no_bot_folder(
    api, recorder, config_body, s3_server, bucket
):
    prefixes = {
        "audio": "recordings/audio",
        "video": "recordings/video",
        "transcript": "transcripts",
    }
    api.put(PUT, config_body(prefix="recordings/meetstream", prefixes=prefixes), format="json")
    bot = create_bot(api, recording_config={"transcript": {"provider": "deepgram"}})
    files = sample_media({**bot, "provider": "deepgram"}, screenshots=1)

    hand_over(recorder, bot["bot_id"], files)

    bot_id, tr = bot["bot_id"], bot["transcript_id"]
    stored = objects(s3_server, bucket)
    shot = "00000000-0000-0000-0000-000000000001"
    assert sorted(key for key in stored if ".write_probe_" not in key) == sorted(
        [
            f"recordings/audio/{bot_id}_audio.wav",
            f"recordings/audio/{bot_id}_audio.mp3",
            f"recordings/video/{bot_id}_meeting_recording.mp4",
            f"transcripts/{bot_id}_transcription/deepgram/{tr}/raw_transcript.json",
            f"transcripts/{bot_id}_transcription/deepgram/{tr}/processed_transcript.json",
            f"recordings/meetstream/{bot_id}_participants.json",
            f"recordings/meetstream/{bot_id}_chats.json",
            f"recordings/meetstream/{bot_id}_screenshots/{shot}.png",
            f"recordings/meetstream/{bot_id}_screenshots/{shot}.json",
            f"recordings/meetstream/{bot_id}_manifest.json",
        ]
    )
    assert not any(f"/{bot_id}/" in key or key.startswith(f"{bot_id}/") for key in stored)
    head = s3_server.client().head_object(Bucket=bucket, Key=f"recordings/audio/{bot_id}_audio.wav")
    assert head["ContentType"] == "audio/wav"
    assert head["Metadata"]["sha256"] == BotArtifact.objects.get(name="audio.wav").sha256


@pytest.mark.slow
def test_the_manifest_is_written_last_and_lists_every_object(api, recorder, s3_server):
    bot = create_bot(api)
    hand_over(recorder, bot["bot_id"], sample_media(bot))

    rows = BotArtifact.objects.filter(bot__public_id=bot["bot_id"])
    manifest_row = rows.get(name="manifest.json")
    manifest = json.loads(objects(s3_server, PLATFORM_BUCKET)[manifest_row.key])
    assert manifest["bot_id"] == bot["bot_id"] and manifest["bucket"] == PLATFORM_BUCKET
    listed = {entry["file"]: entry for entry in manifest["objects"]}
    others = rows.exclude(name="manifest.json")
    assert set(listed) == set(others.values_list("name", flat=True))
    client = s3_server.client()
    for row in others:
        head = client.head_object(Bucket=PLATFORM_BUCKET, Key=row.key)
        assert listed[row.name] == {
            "file": row.name,
            "key": row.key,
            "size": row.size,
            "sha256": row.sha256,
            "content_type": row.content_type,
            "etag": head["ETag"],  # as the bucket answered the upload
            "version_id": None,  # the bucket does not version
        }
        assert row.uploaded_at <= manifest_row.uploaded_at


@pytest.mark.slow
def test_the_configuration_active_when_the_bot_leaves_wins(
    api, recorder, config_body, s3_server, bucket
):
    bot = create_bot(api)
    api.put(PUT, config_body(prefix="chosen-at-leave"), format="json")

    hand_over(recorder, bot["bot_id"], {"chats.json": b"[]"})

    assert f"chosen-at-leave/{bot['bot_id']}_chats.json" in s3_server.keys(bucket)
    pin = Pin.objects.get(bot__public_id=bot["bot_id"])
    assert pin.storage_config == StorageConfig.objects.get(is_active=True)
    assert pin.prefixes == dict.fromkeys(
        ["audio", "video", "transcript", "metadata"], "chosen-at-leave"
    )


@pytest.mark.slow
def test_a_configuration_change_after_the_upload_moves_nothing(
    api, recorder, config_body, s3_server, bucket
):
    api.put(PUT, config_body(prefix="first"), format="json")
    bot = create_bot(api)
    hand_over(recorder, bot["bot_id"], {"chats.json": b"[]"})
    before = list(BotArtifact.objects.values_list("bucket", "key", "state", "uploaded_at"))
    pin_before = Pin.objects.values().get()
    other_bucket = s3_server.bucket()

    api.put(PUT, config_body(bucket_name=other_bucket, prefix="second"), format="json")
    upload_bot_media.delay(Bot.objects.get().pk)

    assert list(BotArtifact.objects.values_list("bucket", "key", "state", "uploaded_at")) == before
    assert Pin.objects.values().get() == pin_before
    assert s3_server.keys(other_bucket) == []
    assert f"first/{bot['bot_id']}_chats.json" in s3_server.keys(bucket)


@pytest.mark.slow
def test_after_delete_new_bots_go_to_the_platform_bucket(
    api, recorder, config_body, s3_server, bucket
):
    api.put(PUT, config_body(), format="json")
    old = create_bot(api)
    hand_over(recorder, old["bot_id"], {"chats.json": b"[1]"})

    api.delete("/api/v1/admin/configs?key_name=aws")
    new = create_bot(api)
    hand_over(recorder, new["bot_id"], {"chats.json": b"[2]"})

    assert objects(s3_server, bucket)[f"meetstream/{old['bot_id']}_chats.json"] == b"[1]"
    assert objects(s3_server, PLATFORM_BUCKET)[f"meetstream/{new['bot_id']}_chats.json"] == b"[2]"
    assert Pin.objects.get(bot__public_id=new["bot_id"]).storage_config is None


@pytest.mark.slow
def test_running_the_upload_twice_uploads_nothing_twice(api, recorder, s3_server):
    bot = create_bot(api)
    hand_over(recorder, bot["bot_id"], sample_media(bot, screenshots=1))
    rows = list(BotArtifact.objects.order_by("name").values())
    stored = objects(s3_server, PLATFORM_BUCKET)

    upload_bot_media.delay(Bot.objects.get().pk)
    upload_bot_media.delay(Bot.objects.get().pk)

    assert list(BotArtifact.objects.order_by("name").values()) == rows
    assert objects(s3_server, PLATFORM_BUCKET) == stored
