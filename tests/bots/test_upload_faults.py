import pytest

from bots.models import Bot, BotArtifact
from bots.pipeline.redelivery import uploads_redeliver
from bots.pipeline.schedule import uploads_due
from bots.tasks import schedule_uploads, upload_bot_media
from tests.bots.conftest import guide_policy, policy_set
from tests.support.api import PUT
from tests.support.faults import FaultProxy
from tests.support.media import STATUS, create_bot, hand_over, sample_media

MiB = 1024 * 1024
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("staging")]


@pytest.mark.slow
def test_write_only_keys_with_the_guides_policy_upload_everything_even_multipart(
    api, recorder, iam_s3_server, write_only
):
    bot = create_bot(api)
    files = sample_media(bot)
    files["meeting_recording.mp4"] = bytes(range(256)) * (20 * MiB // 256)  # multipart

    hand_over(recorder, bot["bot_id"], files)

    assert api.get(STATUS.format(bot["bot_id"])).json()["status"] == "Done"
    admin = iam_s3_server.client()
    for name, data in files.items():
        key = f"meetstream/{bot['bot_id']}_{name}"
        assert admin.get_object(Bucket=write_only, Key=key)["Body"].read() == data, name


def test_moto_authorises_a_multipart_upload_by_s3_put_object_as_real_s3_does(iam_s3_server):
    """moto 5.2.6 refuses CreateMultipartUpload to a PutObject-only user (pyproject.toml excludes
    it); when this fails after an upgrade, the release is moto's bug, not the guide's policy."""
    bucket = iam_s3_server.bucket()
    key_id, secret = iam_s3_server.user(guide_policy(bucket))
    writer = iam_s3_server.client(access_key_id=key_id, secret_key=secret)

    started = writer.create_multipart_upload(Bucket=bucket, Key="meetstream/part-test")

    assert started["UploadId"]


@pytest.mark.slow
def test_a_denied_upload_fails_with_its_reason_and_keeps_the_staged_files(
    api, recorder, iam_s3_server, write_only, staging
):
    policy_set(iam_s3_server, write_only, "Deny")
    bot = create_bot(api)
    files = sample_media(bot, screenshots=1)

    hand_over(recorder, bot["bot_id"], files)

    status = api.get(STATUS.format(bot["bot_id"])).json()
    assert status["status"] == "Stopped"
    assert status["media"]["state"] == "failed" and status["media"]["uploaded"] == 0
    assert {f["file"] for f in status["media"]["failed"]} == set(files)
    for failure in status["media"]["failed"]:
        assert failure["error"].startswith(
            "Access denied: the credentials may not s3:PutObject on s3://"
        )
    for row in BotArtifact.objects.all():
        assert staging.read(row.staged_name) == files[row.name]
        assert row.attempts == 1
    assert not BotArtifact.objects.filter(name="manifest.json").exists()


@pytest.mark.slow
def test_a_given_up_file_waits_for_a_person_then_the_scheduler_finishes_it(
    api, recorder, iam_s3_server, write_only
):
    policy_set(iam_s3_server, write_only, "Deny")
    bot = create_bot(api)
    hand_over(recorder, bot["bot_id"], {"chats.json": b"[]"})
    assert BotArtifact.objects.get().state == "gave_up"
    policy_set(iam_s3_server, write_only, "Allow")
    assert schedule_uploads() == 0  # given up: nothing is due until someone asks

    assert uploads_redeliver(bots=[Bot.objects.get().pk]) == 1
    assert schedule_uploads() == 1

    assert api.get(STATUS.format(bot["bot_id"])).json()["status"] == "Done"
    assert BotArtifact.objects.get(name="chats.json").attempts == 1  # a new round
    assert uploads_due() == []


@pytest.mark.slow
def test_after_delete_a_retry_fails_saying_the_credentials_are_gone(
    api, recorder, iam_s3_server, write_only
):
    policy_set(iam_s3_server, write_only, "Deny")
    bot = create_bot(api)
    hand_over(recorder, bot["bot_id"], {"chats.json": b"[]"})
    api.delete("/api/v1/admin/configs?key_name=aws")

    uploads_redeliver(bots=[Bot.objects.get().pk])
    upload_bot_media.delay(Bot.objects.get().pk)

    [failure] = api.get(STATUS.format(bot["bot_id"])).json()["media"]["failed"]
    assert "has been deleted" in failure["error"]
    assert BotArtifact.objects.get().last_reason == "credentials_erased"


@pytest.mark.slow
def test_a_503_and_a_dropped_connection_within_one_attempt_are_retried_by_botocore(
    api, recorder, config_body, s3_server, bucket, settings
):
    faults = iter(["503", "drop"])  # one short of S3_REQUEST_ATTEMPTS
    proxy = FaultProxy(
        s3_server.url, lambda method, path: next(faults, None) if method == "PUT" else None
    )
    try:
        assert api.put(PUT, config_body(endpoint_url=proxy.url), format="json").status_code == 200
        settings.MEDIA_UPLOAD_CONCURRENCY = 1
        bot = create_bot(api)
        files = sample_media(bot, screenshots=1)

        hand_over(recorder, bot["bot_id"], files)
    finally:
        proxy.stop()

    assert [fault for _, _, fault in proxy.seen if fault] == ["503", "drop"]
    assert api.get(STATUS.format(bot["bot_id"])).json()["status"] == "Done"
    admin = s3_server.client()
    for name, data in files.items():
        assert (
            admin.get_object(Bucket=bucket, Key=f"meetstream/{bot['bot_id']}_{name}")["Body"].read()
            == data
        )
    assert set(BotArtifact.objects.values_list("attempts", flat=True)) == {1}


@pytest.mark.slow
def test_one_unwritable_prefix_leaves_the_media_partial_and_the_manifest_unwritten(
    api, recorder, config_body, iam_s3_server
):
    bucket = iam_s3_server.bucket()
    both = [
        {
            "Effect": "Allow",
            "Action": ["s3:PutObject"],
            "Resource": [f"arn:aws:s3:::{bucket}/meetstream/*", f"arn:aws:s3:::{bucket}/audio/*"],
        }
    ]
    key_id, secret = iam_s3_server.user(both)
    body = config_body(
        bucket_name=bucket,
        endpoint_url=iam_s3_server.url,
        access_mode="write_only",
        access_key_id=key_id,
        secret_key=secret,
        prefixes={"audio": "audio"},
    )
    assert api.put(PUT, body, format="json").status_code == 200
    iam_s3_server.policy_replace(key_id, guide_policy(bucket))
    bot = create_bot(api)

    hand_over(recorder, bot["bot_id"], sample_media(bot, screenshots=1))

    status = api.get(STATUS.format(bot["bot_id"])).json()
    assert status["status"] == "Stopped" and status["media"]["state"] == "partial"
    assert [f["file"] for f in status["media"]["failed"]] == ["audio.mp3", "audio.wav"]
    assert status["media"]["uploaded"] == status["media"]["artifacts"] - 2
    assert not BotArtifact.objects.filter(name="manifest.json").exists()


@pytest.mark.slow
def test_a_multipart_upload_left_open_by_an_outage_is_aborted_by_the_next_attempt(
    api, recorder, config_body, s3_server, bucket, settings
):
    outage = True

    def decide(method: str, path: str):
        part = method == "PUT" and "partNumber=" in path
        abort = method == "DELETE" and "uploadId=" in path
        return "503" if outage and (part or abort) else None

    settings.UPLOAD_PART_MB = 5
    proxy = FaultProxy(s3_server.url, decide)
    try:
        assert api.put(PUT, config_body(endpoint_url=proxy.url), format="json").status_code == 200
        bot = create_bot(api)
        video = bytes(range(256)) * (12 * MiB // 256)
        hand_over(recorder, bot["bot_id"], {"meeting_recording.mp4": video})
        [left_open] = s3_server.client().list_multipart_uploads(Bucket=bucket)["Uploads"]
        row = BotArtifact.objects.get(name="meeting_recording.mp4")
        assert (row.state, row.multipart_upload_id) == ("retry_wait", left_open["UploadId"])

        outage = False
        BotArtifact.objects.update(next_attempt_at=None)
        upload_bot_media(Bot.objects.get().pk)
    finally:
        proxy.stop()

    aborted = [path for method, path, fault in proxy.seen if method == "DELETE" and not fault]
    assert aborted and left_open["UploadId"] in aborted[0]
    assert "Uploads" not in s3_server.client().list_multipart_uploads(Bucket=bucket)
    key = f"meetstream/{bot['bot_id']}_meeting_recording.mp4"
    assert s3_server.client().get_object(Bucket=bucket, Key=key)["Body"].read() == video
    assert BotArtifact.objects.get(name="meeting_recording.mp4").multipart_upload_id == ""
