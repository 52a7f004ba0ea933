"""CONTRACT section 12's delivery rows: a bucket that breaks after the PUT, the hold of the
given-up files and their redelivery, the fallback bucket, the receipt and verification."""

import json
import time
from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from bots.bot.retention import media_expire
from bots.models import BotArtifact
from bots.pipeline.staging import staged_copies_sweep
from bots.pipeline.storage_health import storage_health_check
from bots.tasks import run_due_work
from storageconfig.health_checks import health_checks_claim
from storageconfig.models import HealthCheck, StorageConfig
from tests.support.api import PUT
from tests.support.media import STATUS, create_bot, hand_over, sample_media
from tests.support.workers import PLATFORM_BUCKET, wait_for_done

pytestmark = pytest.mark.django_db(transaction=True)  # uploads are queued on commit


REDELIVER = "/api/v1/bots/{}/redeliver"
VERIFY = "/api/v1/bots/{}/media/verify"


def _configured(api, provider, **extra) -> str:
    bucket = provider.bucket()
    response = api.put(PUT, provider.body(bucket, **extra), format="json")
    assert response.status_code == 200, response.json()
    return bucket


def _given_up(api, recorder, provider, bucket, receiver, files_of=sample_media):
    """A bot whose bucket was deleted after the PUT: every file gives up."""
    bot = create_bot(api, callback_url=receiver.url)
    files = files_of(bot)
    provider.drop(bucket)
    hand_over(recorder, bot["bot_id"], files)
    return bot["bot_id"], files


@pytest.mark.slow
def test_a_bucket_deleted_after_the_put_gives_up_then_redeliver_delivers_every_file(
    api, recorder, provider, receiver, staging
):
    bucket = _configured(api, provider)
    bot_id, files = _given_up(api, recorder, provider, bucket, receiver)
    status = api.get(STATUS.format(bot_id)).json()
    assert status["status"] == "Stopped" and status["media"]["state"] == "failed"
    held = status["media"]["redeliverable_until"]
    assert held is not None and status["media"]["fallback"] == 0
    assert len(staging.files(bot_id)) == len(files)  # the copies are held
    [receipt] = receiver.payloads("storage.delivered")
    assert receipt["data"]["complete"] is False and receipt["data"]["objects"] == []

    provider.restore(bucket)
    response = api.post(REDELIVER.format(bot_id))

    assert response.status_code == 202, response.json()
    assert response.json() == {"bot_id": bot_id, "files": len(files)}
    status = api.get(STATUS.format(bot_id)).json()
    assert status["status"] == "Done" and status["media"]["redeliverable_until"] is None
    for name, data in files.items():
        assert provider.read(bucket, f"meetstream/{bot_id}_{name}") == data, name
    manifest = json.loads(b"".join(api.get(f"/api/v1/bots/{bot_id}?type=manifest")))
    assert sorted(entry["file"] for entry in manifest["objects"]) == sorted(files)
    _, second = receiver.payloads("storage.delivered")
    assert second["data"]["complete"] is True and second["data"]["bucket"] == bucket
    assert len(second["data"]["objects"]) == len(files) + 1  # and the manifest
    for entry in second["data"]["objects"]:  # as the provider's own SDK finds them
        assert entry["etag"] == provider.etag(bucket, entry["key"]), entry
    assert staging.files(bot_id) == []


@pytest.mark.slow
def test_the_receipt_lists_exactly_the_uploaded_objects_with_the_etags_a_head_finds(
    api, recorder, s3_server, config_body, bucket, receiver
):
    assert api.put(PUT, config_body(), format="json").status_code == 200
    bot = create_bot(api, callback_url=receiver.url)
    files = sample_media(bot, screenshots=1)
    hand_over(recorder, bot["bot_id"], files)

    [receipt] = receiver.payloads("storage.delivered")
    data = receipt["data"]
    assert data["complete"] is True and data["provider"] == "aws" and data["bucket"] == bucket
    client = s3_server.client()
    stored = {row.key: row for row in BotArtifact.objects.filter(bot__public_id=bot["bot_id"])}
    assert (
        sorted(o["key"] for o in data["objects"])
        == sorted(stored)
        == sorted(s3_server.keys(bucket))
    )
    for entry in data["objects"]:
        head = client.head_object(Bucket=bucket, Key=entry["key"])
        assert entry["etag"] == head["ETag"] and entry["size"] == head["ContentLength"]
        assert entry["sha256"] == stored[entry["key"]].sha256
        assert entry["version_id"] is None


@pytest.mark.slow
def test_a_versioned_bucket_gives_each_object_its_version_id(
    api, recorder, s3_server, config_body, bucket, receiver
):
    client = s3_server.client()
    client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    assert api.put(PUT, config_body(), format="json").status_code == 200
    bot = create_bot(api, callback_url=receiver.url)
    hand_over(recorder, bot["bot_id"], {"chats.json": b"[]"})

    [receipt] = receiver.payloads("storage.delivered")
    for entry in receipt["data"]["objects"]:
        head = client.head_object(Bucket=bucket, Key=entry["key"])
        assert entry["version_id"] == head["VersionId"] is not None


@pytest.mark.slow
def test_when_the_hold_ends_the_copies_go_and_redeliver_answers_410(
    api, recorder, s3_server, config_body, bucket, receiver, staging, monkeypatch
):
    assert api.put(PUT, config_body(), format="json").status_code == 200
    bot_id, _ = _given_up(
        api, recorder, _S3(s3_server), bucket, receiver, lambda bot: {"chats.json": b"[]"}
    )
    assert api.get(STATUS.format(bot_id)).json()["media"]["redeliverable_until"] is not None

    later = timezone.now() + timedelta(hours=72, minutes=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert staged_copies_sweep() == 1

    assert staging.files(bot_id) == []
    assert api.get(STATUS.format(bot_id)).json()["media"]["redeliverable_until"] is None
    response = api.post(REDELIVER.format(bot_id))
    assert response.status_code == 410 and "no longer held" in response.json()["message"]


@pytest.mark.slow
def test_redeliver_is_a_409_while_nothing_gave_up_and_a_404_for_another_tenant(
    api, other_api, recorder
):
    bot = create_bot(api)
    hand_over(recorder, bot["bot_id"], {"chats.json": b"[]"})

    done = api.post(REDELIVER.format(bot["bot_id"]))
    assert done.status_code == 409 and done.json()["code"] == "conflict"
    assert other_api.post(REDELIVER.format(bot["bot_id"])).status_code == 404
    recording = create_bot(api)
    assert api.post(REDELIVER.format(recording["bot_id"])).status_code == 409


@pytest.mark.slow
def test_with_fallback_the_given_up_files_wait_in_the_platform_bucket_and_move_on_redeliver(
    api, recorder, s3_server, config_body, bucket, receiver
):
    assert api.put(PUT, config_body(fallback="platform"), format="json").status_code == 200
    bot_id, files = _given_up(
        api, recorder, _S3(s3_server), bucket, receiver, lambda b: sample_media(b, screenshots=1)
    )
    platform = s3_server.client()
    keys = {name: f"meetstream/{bot_id}_{name}" for name in files}
    for name, key in keys.items():
        assert platform.get_object(Bucket=PLATFORM_BUCKET, Key=key)["Body"].read() == files[name]
    status = api.get(STATUS.format(bot_id)).json()
    assert status["media"]["fallback"] == len(files)
    audio = api.get(f"/api/v1/bots/{bot_id}/get_audio").json()
    assert requests.get(audio["audio_url"], timeout=10).content == files["audio.wav"]
    chats = api.get(f"/api/v1/bots/{bot_id}?type=chat")
    assert b"".join(chats.streaming_content) == files["chats.json"]
    [used] = receiver.payloads("storage.fallback_used")
    assert sorted(f["file"] for f in used["data"]["files"]) == sorted(files)
    assert used["data"]["bucket"] == PLATFORM_BUCKET

    platform.create_bucket(Bucket=bucket)
    assert api.post(REDELIVER.format(bot_id)).json()["files"] == len(files)

    assert api.get(STATUS.format(bot_id)).json()["status"] == "Done"
    for name, key in keys.items():
        assert platform.get_object(Bucket=bucket, Key=key)["Body"].read() == files[name]
    assert not [k for k in s3_server.keys(PLATFORM_BUCKET) if bot_id in k]
    assert len(receiver.payloads("storage.fallback_used")) == 1


@pytest.mark.slow
@pytest.mark.parametrize("how", ["delete_data", "retention"])
def test_fallback_copies_go_with_a_deletion_or_when_the_retention_runs_out(
    api, recorder, s3_server, config_body, bucket, receiver, how
):
    assert api.put(PUT, config_body(fallback="platform"), format="json").status_code == 200
    bot = create_bot(
        api,
        callback_url=receiver.url,
        recording_config={"retention": {"type": "timed", "hours": 1}},
    )
    _S3(s3_server).drop(bucket)
    hand_over(recorder, bot["bot_id"], {"chats.json": b"[]", "audio.wav": b"RIFF" * 64})
    assert len([k for k in s3_server.keys(PLATFORM_BUCKET) if bot["bot_id"] in k]) == 2

    if how == "delete_data":
        assert api.post(f"/api/v1/bots/{bot['bot_id']}/delete_data").status_code == 202
    else:
        assert media_expire(now=timezone.now() + timedelta(hours=2)).bots == [bot["bot_id"]]

    assert not [k for k in s3_server.keys(PLATFORM_BUCKET) if bot["bot_id"] in k]
    states = set(BotArtifact.objects.values_list("state", flat=True))
    assert states == {"deleted" if how == "delete_data" else "expired"}


@pytest.mark.slow
def test_without_fallback_nothing_lands_in_the_platform_bucket(
    api, recorder, s3_server, config_body, bucket, receiver
):
    assert api.put(PUT, config_body(), format="json").status_code == 200
    bot_id, _ = _given_up(
        api, recorder, _S3(s3_server), bucket, receiver, lambda b: sample_media(b, screenshots=1)
    )

    assert not [k for k in s3_server.keys(PLATFORM_BUCKET) if bot_id in k]
    assert api.get(STATUS.format(bot_id)).json()["media"]["fallback"] == 0
    assert receiver.payloads("storage.fallback_used") == []


@pytest.mark.slow
def test_verify_finds_an_object_deleted_and_one_overwritten_behind_our_back(
    api, recorder, provider
):
    bucket = _configured(api, provider)
    bot = create_bot(api)
    files = sample_media(bot, screenshots=1)
    hand_over(recorder, bot["bot_id"], files)
    verified = api.get(VERIFY.format(bot["bot_id"])).json()
    assert verified["ok"] is True
    assert {f["result"] for f in verified["files"]} == {"ok"}
    assert len(verified["files"]) == len(files) + 1

    key = f"meetstream/{bot['bot_id']}_"
    provider.remove(bucket, key + "audio.wav")
    provider.write(bucket, key + "chats.json", b'[{"changed": true}]')
    verified = api.get(VERIFY.format(bot["bot_id"])).json()

    results = {f["file"]: f["result"] for f in verified["files"]}
    assert verified["ok"] is False
    assert results.pop("audio.wav") == "missing" and results.pop("chats.json") == "changed"
    assert set(results.values()) == {"ok"}


@pytest.mark.slow
def test_verify_says_not_uploaded_for_files_that_gave_up_and_is_403_for_write_only(
    api, recorder, s3_server, config_body, bucket, receiver, write_only
):
    bot = create_bot(api)
    hand_over(recorder, bot["bot_id"], {"chats.json": b"[]"})

    response = api.get(VERIFY.format(bot["bot_id"]))
    assert response.status_code == 403 and response.json()["access_mode"] == "write_only"


@pytest.mark.e2e
def test_a_redelivery_through_a_real_worker_delivers_what_gave_up(
    api, recorder, s3_server, config_body, bucket, receiver, workers
):
    workers.start()
    assert api.put(PUT, config_body(), format="json").status_code == 200
    bot_id, files = _given_up(
        api, recorder, _S3(s3_server), bucket, receiver, lambda b: sample_media(b, screenshots=1)
    )
    deadline = timezone.now() + timedelta(seconds=60)
    while api.get(STATUS.format(bot_id)).json()["media"]["state"] != "failed":
        assert timezone.now() < deadline, workers.logs()
        time.sleep(0.2)

    s3_server.client().create_bucket(Bucket=bucket)
    assert api.post(REDELIVER.format(bot_id)).status_code == 202
    wait_for_done(api, [bot_id], workers)

    client = s3_server.client()
    for name, data in files.items():
        key = f"meetstream/{bot_id}_{name}"
        assert client.get_object(Bucket=bucket, Key=key)["Body"].read() == data


class _S3:
    """The default moto server as a provider, for tests on the aws configuration only."""

    def __init__(self, server) -> None:
        self.server = server

    def drop(self, bucket: str) -> None:
        from tests.support.providers import S3Provider

        S3Provider(self.server).drop(bucket)


def _health_checks_due_now() -> None:
    """Move the clock of every scheduled check to now (their interval is 6 hours)."""
    HealthCheck.objects.update(next_attempt_at=timezone.now())


@pytest.mark.slow
def test_a_health_check_tells_the_notify_url_once_when_a_bucket_breaks_and_once_when_it_heals(
    api, provider, receiver
):
    bucket = _configured(api, provider, notify_url=receiver.url)
    provider.drop(bucket)

    for _ in range(2):
        _health_checks_due_now()
        assert run_due_work()["storage_checks"] == 1

    [invalid] = receiver.payloads("storage.config_invalid")
    data = invalid["data"]
    assert data["reason"] == "no_such_bucket" and data["bucket"] == bucket
    assert data["provider"] == provider.name and data["check"] and data["message"]
    assert data["name"] is None  # the default configuration
    shown = api.get("/api/v1/admin/configs").json()["StorageConfig"][provider.name]
    assert shown["last_check"] == "no_such_bucket"
    assert shown["last_checked_at"] > data["checked_at"].replace("+00:00", "Z")  # the second

    provider.restore(bucket)
    for _ in range(2):
        _health_checks_due_now()
        run_due_work()

    assert len(receiver.payloads("storage.config_restored")) == 1
    assert len(receiver.payloads("storage.config_invalid")) == 1
    shown = api.get("/api/v1/admin/configs").json()["StorageConfig"][provider.name]
    assert shown["last_check"] == "ok"


def test_health_checks_wait_an_interval_hold_a_lease_and_go_through_the_egress_guard(
    api, config_body, settings
):
    refused = api.put(PUT, config_body(notify_url="ftp://hooks.example/x"), format="json")
    assert refused.status_code == 400 and "notify_url" in refused.json()["errors"]
    assert api.put(PUT, config_body(), format="json").status_code == 200
    assert storage_health_check(owner="first") == 0  # checked as it was saved: not due yet
    check = HealthCheck.objects.get()
    assert check.next_attempt_at > timezone.now() + timedelta(minutes=359)

    _health_checks_due_now()
    assert [c.pk for c in health_checks_claim(owner="first", limit=10)] == [check.config_id]
    assert health_checks_claim(owner="second", limit=10) == []  # the lease holds it

    settings.STORAGE_ALLOW_PRIVATE_ENDPOINTS = False
    HealthCheck.objects.update(claimed_until=timezone.now() - timedelta(seconds=1))
    assert storage_health_check(owner="second") == 1
    config = StorageConfig.objects.get()
    assert config.last_check_reason == "endpoint_refused"

    settings.STORAGE_ALLOW_PRIVATE_ENDPOINTS = True
    assert api.put(PUT, config_body(prefix="another"), format="json").status_code == 200
    assert HealthCheck.objects.get(config=config).state == "retired"
