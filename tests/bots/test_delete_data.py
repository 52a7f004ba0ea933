"""`delete_data` against an IAM-enforcing S3 server: what the credentials allow is deleted,
the rest is kept and reported; write_only never asks S3 to delete anything."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from bots.bot.deletion import removal_claim
from bots.models import Bot, BotArtifact, BotEvent, MediaRemoval, Pin
from bots.tasks import run_due_work
from storageconfig.backends.aws.policy import iam_policy
from tests.bots.conftest import PUT
from tests.support.faults import FaultProxy
from tests.support.media import STATUS, create_bot, hand_over, recorded_bot
from tests.support.workers import PLATFORM_BUCKET

pytestmark = pytest.mark.django_db(transaction=True)  # uploads are queued on commit


DELETE = "/api/v1/bots/{}/delete_data"


def statements(iam_s3_server, bucket: str, mode: str, *, allow_delete: bool = False) -> list:
    """What GET /configs/policy writes for this bucket on the IAM-enforcing server."""
    return iam_policy(
        bucket=bucket,
        region="us-east-1",
        prefixes=["meetstream"],
        access_mode=mode,
        endpoint_url=iam_s3_server.url,
        allow_delete=allow_delete,
    )["Statement"]


@pytest.fixture
def read_write(api, config_body, iam_s3_server):
    """A read_write configuration on the IAM-enforcing server; `allow_delete` as asked."""

    def configure(*, allow_delete: bool, endpoint_url: str | None = None) -> str:
        bucket = iam_s3_server.bucket()
        key_id, secret = iam_s3_server.user(
            statements(iam_s3_server, bucket, "read_write", allow_delete=allow_delete)
        )
        body = config_body(
            bucket_name=bucket,
            endpoint_url=endpoint_url or iam_s3_server.url,
            access_key_id=key_id,
            secret_key=secret,
        )
        assert api.put(PUT, body, format="json").status_code == 200
        return bucket

    return configure


def deletion_webhook(receiver) -> dict:
    [body] = [json.loads(r["body"]) for r in receiver.received if b"data_deletion" in r["body"]]
    return body


@pytest.mark.slow
def test_read_write_credentials_allowed_to_delete_remove_every_key(
    api, recorder, iam_s3_server, read_write, receiver
):
    bucket = read_write(allow_delete=True)
    bot_id, files = recorded_bot(api, recorder, callback_url=receiver.url)
    assert len(iam_s3_server.keys(bucket, containing=bot_id)) == len(files) + 1  # and the manifest

    response = api.post(DELETE.format(bot_id))

    assert response.status_code == 202
    assert iam_s3_server.keys(bucket, containing=bot_id) == []
    media = api.get(STATUS.format(bot_id)).json()["media"]
    assert media["state"] == "deleted"
    assert (media["deleted"], media["kept"], media["uploaded"]) == (len(files) + 1, 0, 0)
    assert media["deletion_finished_at"] is not None
    event = deletion_webhook(receiver)
    assert event["data"] == {"reason": "request", "deleted": len(files) + 1, "kept": 0,
                             "kept_keys": []}  # fmt: skip
    # The bot, its pin and its record stay.
    bot = Bot.objects.get(public_id=bot_id)
    assert Pin.objects.filter(bot=bot, location__bucket=bucket).exists()
    events = list(bot.events.values_list("event", "actor"))
    assert events[-2][0] == "deletion_requested" and events[-2][1].startswith("api key ms_")
    assert events[-1] == ("media_deleted", "")


@pytest.mark.slow
def test_without_the_delete_grant_every_key_is_kept_with_the_reason(
    api, recorder, iam_s3_server, read_write, receiver
):
    bucket = read_write(allow_delete=False)
    bot_id, _ = recorded_bot(api, recorder, callback_url=receiver.url)
    before = iam_s3_server.keys(bucket, containing=bot_id)

    assert api.post(DELETE.format(bot_id)).status_code == 202

    assert iam_s3_server.keys(bucket, containing=bot_id) == before
    media = api.get(STATUS.format(bot_id)).json()["media"]
    assert (media["state"], media["kept"], media["deleted"]) == ("deleted", len(before), 0)
    assert sorted(f["key"] for f in media["kept_files"]) == before
    for kept in media["kept_files"]:
        assert kept["reason"] == "access_denied"
        assert "s3:DeleteObject" in kept["message"] and kept["bucket"] == bucket
    event = deletion_webhook(receiver)
    assert event["data"]["kept"] == len(before)
    assert sorted(k["key"] for k in event["data"]["kept_keys"]) == before


@pytest.mark.slow
def test_asking_again_tries_the_kept_keys_once_more_and_is_otherwise_harmless(
    api, recorder, iam_s3_server, read_write
):
    bucket = read_write(allow_delete=False)
    bot_id, _ = recorded_bot(api, recorder)
    api.post(DELETE.format(bot_id))
    # The customer adds the grant, and asks again.
    key_id = Pin.objects.get(bot__public_id=bot_id).storage_config.secrets["access_key_id"]
    granted = statements(iam_s3_server, bucket, "read_write", allow_delete=True)
    iam_s3_server.policy_replace(key_id, granted)

    assert api.post(DELETE.format(bot_id)).status_code == 202
    assert api.post(DELETE.format(bot_id)).status_code == 202

    assert iam_s3_server.keys(bucket, containing=bot_id) == []
    media = api.get(STATUS.format(bot_id)).json()["media"]
    assert (media["state"], media["kept"]) == ("deleted", 0)
    assert media["deleted"] == BotArtifact.objects.filter(bot__public_id=bot_id).count()


@pytest.mark.slow
def test_write_only_never_asks_s3_to_delete_and_reports_every_key_kept(
    api, recorder, config_body, iam_s3_server, receiver
):
    bucket = iam_s3_server.bucket()
    key_id, secret = iam_s3_server.user(statements(iam_s3_server, bucket, "write_only"))
    proxy = FaultProxy(iam_s3_server.url, lambda method, path: None)
    try:
        body = config_body(
            bucket_name=bucket,
            endpoint_url=proxy.url,
            access_mode="write_only",
            access_key_id=key_id,
            secret_key=secret,
        )
        assert api.put(PUT, body, format="json").status_code == 200
        bot_id, files = recorded_bot(api, recorder, callback_url=receiver.url)
        seen_before = len(proxy.seen)

        assert api.post(DELETE.format(bot_id)).status_code == 202
    finally:
        proxy.stop()

    assert seen_before > len(files)  # the proxy did carry the uploads
    assert proxy.seen[seen_before:] == []
    assert not [s for s in proxy.seen if s[0] == "DELETE" or "delete" in s[1]]
    stored = iam_s3_server.keys(bucket, containing=bot_id)
    media = api.get(STATUS.format(bot_id)).json()["media"]
    assert media["kept"] == len(stored) == len(files) + 1
    assert {f["reason"] for f in media["kept_files"]} == {"write_only"}
    assert deletion_webhook(receiver)["data"]["kept"] == len(stored)


@pytest.mark.slow
def test_a_platform_bucket_bot_loses_every_object_and_staged_copy_and_fetches_are_410(
    api, recorder, s3_server, staging
):
    bot_id, _ = recorded_bot(api, recorder)

    assert api.post(DELETE.format(bot_id)).status_code == 202

    assert s3_server.keys(PLATFORM_BUCKET, containing=bot_id) == []
    assert staging.files(bot_id) == []
    audio = api.get(f"/api/v1/bots/{bot_id}/get_audio")
    assert audio.status_code == 410
    assert "deleted at" in audio.json()["message"] and "on request" in audio.json()["message"]
    assert api.get(f"/api/v1/bots/{bot_id}", {"type": "chat"}).status_code == 410
    assert api.get(f"/api/v1/bots/{bot_id}/screenshots").status_code == 410


@pytest.mark.slow
def test_given_up_files_lose_their_staged_copies(api, recorder, s3_server, staging, bucket,
                                                  config_body):  # fmt: skip
    api.put(PUT, config_body(), format="json")
    bot = create_bot(api)
    s3_server.client().delete_bucket(Bucket=bucket)
    hand_over(recorder, bot["bot_id"], {"chats.json": b"[]"})
    assert BotArtifact.objects.get().state == "gave_up"
    assert len(staging.files(bot["bot_id"])) == 1

    assert api.post(DELETE.format(bot["bot_id"])).status_code == 202

    assert staging.files(bot["bot_id"]) == []
    assert BotArtifact.objects.get().state == "deleted"


def test_a_bot_still_recording_or_uploading_is_409_and_nothing_changes(api, recorder):
    bot = create_bot(api)
    hand_over(recorder, bot["bot_id"], {"chats.json": b"[]"}, leave=False)

    response = api.post(DELETE.format(bot["bot_id"]))

    assert response.status_code == 409
    assert "still being recorded or uploaded" in response.json()["message"]
    assert Bot.objects.get().deletion_requested_at is None
    assert not BotEvent.objects.filter(event="deletion_requested").exists()


@pytest.mark.slow
def test_a_stopped_bot_with_files_on_their_way_is_409(api, recorder):
    bot = create_bot(api)
    hand_over(recorder, bot["bot_id"], {"chats.json": b"[]"}, leave=False)
    Bot.objects.update(status="Stopped")  # left; its upload has not run yet

    assert api.post(DELETE.format(bot["bot_id"])).status_code == 409


@pytest.mark.slow
def test_another_tenants_bot_is_404(api, other_api, recorder):
    bot_id, _ = recorded_bot(api, recorder)

    assert other_api.post(DELETE.format(bot_id)).status_code == 404
    assert Bot.objects.get().deletion_requested_at is None


@pytest.mark.slow
def test_the_policy_endpoint_adds_delete_object_on_each_prefix(api, config_body):
    assert api.put(PUT, config_body(prefixes={"video": "videos"}), format="json").status_code == 200

    policy = api.get("/api/v1/admin/configs/policy", {"allow_delete": "true"}).json()
    plain = api.get("/api/v1/admin/configs/policy").json()
    bad = api.get("/api/v1/admin/configs/policy", {"allow_delete": "yes"})

    [delete] = [s for s in policy["Statement"] if s["Action"] == ["s3:DeleteObject"]]
    bucket = config_body()["bucket_name"]
    assert sorted(delete["Resource"]) == [
        f"arn:aws:s3:::{bucket}/meetstream/*",
        f"arn:aws:s3:::{bucket}/videos/*",
    ]
    assert not [s for s in plain["Statement"] if "s3:DeleteObject" in s["Action"]]
    assert bad.status_code == 400 and "allow_delete" in bad.json()["errors"]


@pytest.mark.slow
def test_a_deletion_whose_task_was_lost_is_queued_again_by_the_scheduler(
    api, recorder, s3_server, monkeypatch
):
    bot_id, _ = recorded_bot(api, recorder)
    with monkeypatch.context() as lost:  # the broker lost the message
        lost.setattr("bots.bot.deletion.task_queue", lambda *args: None)
        assert api.post(DELETE.format(bot_id)).status_code == 202
    asked = Bot.objects.get().deletion_requested_at
    assert Bot.objects.get().deletion_finished_at is None
    assert api.get(STATUS.format(bot_id)).json()["media"]["state"] == "deleting"

    assert run_due_work()["deletions"] == 1  # unclaimed, so due at once

    bot = Bot.objects.get()
    assert bot.deletion_finished_at is not None and bot.deletion_requested_at == asked
    assert s3_server.keys(PLATFORM_BUCKET, containing=bot_id) == []
    assert run_due_work()["deletions"] == 0


@pytest.mark.slow
def test_a_deletion_whose_worker_died_is_taken_over_when_its_lease_lapses(
    api, recorder, s3_server, monkeypatch
):
    bot_id, _ = recorded_bot(api, recorder)
    with monkeypatch.context() as lost:
        lost.setattr("bots.bot.deletion.task_queue", lambda *args: None)
        api.post(DELETE.format(bot_id))
    bot = Bot.objects.get()
    assert removal_claim(bot=bot, reason="request", owner="a-worker-that-dies")

    assert run_due_work()["deletions"] == 0  # its lease holds
    MediaRemoval.objects.update(claimed_until=timezone.now() - timedelta(seconds=1))
    assert run_due_work()["deletions"] == 1

    assert Bot.objects.get().deletion_finished_at is not None
    assert MediaRemoval.objects.get().state == "done"


@pytest.mark.slow
def test_the_platform_bucket_keeps_nothing_a_failed_delete_is_tried_again(
    api, recorder, s3_server, settings
):
    bot_id, _ = recorded_bot(api, recorder)
    stored = s3_server.keys(PLATFORM_BUCKET, containing=bot_id)
    proxy = FaultProxy(s3_server.url, lambda method, path: None if method == "GET" else "503")
    settings.PLATFORM_S3_ENDPOINT_URL = proxy.url
    try:
        assert api.post(DELETE.format(bot_id)).status_code == 202
    finally:
        proxy.stop()

    assert s3_server.keys(PLATFORM_BUCKET, containing=bot_id) == stored
    media = api.get(STATUS.format(bot_id)).json()["media"]
    assert (media["state"], media["kept"], media["uploaded"]) == ("deleting", 0, len(stored))

    settings.PLATFORM_S3_ENDPOINT_URL = s3_server.url
    asked = Bot.objects.get().deletion_requested_at
    removal = MediaRemoval.objects.get()
    assert (removal.state, removal.attempts) == ("scheduled", 1)
    assert removal.next_attempt_at > timezone.now()  # it waits, and says so
    assert run_due_work()["deletions"] == 0
    MediaRemoval.objects.update(next_attempt_at=timezone.now())
    run_due_work()

    assert Bot.objects.get().deletion_requested_at == asked  # what the customer sees stays

    assert s3_server.keys(PLATFORM_BUCKET, containing=bot_id) == []
    assert api.get(STATUS.format(bot_id)).json()["media"]["state"] == "deleted"
