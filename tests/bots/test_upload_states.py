"""A file's upload as a state machine: transient failures wait and are told as such, permanent
ones give up at once, leases keep two uploads apart, and nothing staged goes before it is
recorded as stored."""

import io
import threading
import time
from datetime import datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import OperationalError, connection
from django.utils import timezone

from bots.models import Bot, BotArtifact, WebhookEvent
from bots.pipeline import uploads
from bots.pipeline.schedule import uploads_due
from bots.pipeline.upload_lifecycle import UploadEvent, UploadState, upload_move
from bots.pipeline.uploads import media_upload
from bots.tasks import schedule_uploads
from meetstream.shared import timing
from tests.bots.conftest import PUT, policy_set
from tests.support.faults import FaultProxy
from tests.support.media import STATUS, create_bot, hand_over

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("staging")]


@pytest.fixture
def failing_puts(api, config_body, s3_server):
    """The tenant's bucket behind a proxy that answers 503 to the first `count` PUTs."""
    budget = {"count": 0}

    def decide(method: str, path: str):
        if method == "PUT" and budget["count"] > 0:
            budget["count"] -= 1
            return "503"
        return None

    proxy = FaultProxy(s3_server.url, decide)
    assert api.put(PUT, config_body(endpoint_url=proxy.url), format="json").status_code == 200
    yield budget
    proxy.stop()


@pytest.fixture
def not_queued(monkeypatch):
    """`left` queues no upload: the test runs the upload (or the scheduler) itself."""
    monkeypatch.setattr("bots.bot.services.task_queue", lambda name, *args: None)


def events(name: str) -> list[WebhookEvent]:
    return list(WebhookEvent.objects.filter(event=name))


@pytest.mark.slow
def test_a_503_waits_in_retry_wait_without_an_alarm_then_uploads_when_due(
    api, recorder, failing_puts, receiver, s3_server, bucket, settings
):
    settings.MEDIA_UPLOAD_RETRY_BASE_SECONDS = 1
    failing_puts["count"] = timing.S3_REQUEST_ATTEMPTS  # every request of the first attempt
    bot = create_bot(api, callback_url=receiver.url)

    hand_over(recorder, bot["bot_id"], {"chats.json": b"[]"})

    media = api.get(STATUS.format(bot["bot_id"])).json()["media"]
    assert media["state"] == "retrying"
    [waiting] = media["files"]
    assert waiting["file"] == "chats.json" and waiting["state"] == "retry_wait"
    assert waiting["attempts"] == 1 and "(SlowDown)" in waiting["last_error"]
    assert timezone.now() < datetime.fromisoformat(waiting["next_attempt_at"])
    assert events("storage.upload_failed") == []
    [retrying] = events("storage.upload_retrying")
    assert retrying.payload["data"]["reason"] == "unavailable"

    call_command("uploads_due", "--wait", stdout=io.StringIO())

    status = api.get(STATUS.format(bot["bot_id"])).json()
    assert status["status"] == "Done" and status["media"]["files"] == []
    key = f"meetstream/{bot['bot_id']}_chats.json"
    assert s3_server.client().get_object(Bucket=bucket, Key=key)["Body"].read() == b"[]"
    assert len(events("storage.upload_retrying")) == 1 and events("storage.upload_failed") == []
    assert "storage.upload_retrying" in receiver.events()
    assert "storage.upload_failed" not in receiver.events()


@pytest.mark.slow
def test_a_403_gives_up_at_once_with_one_upload_failed(
    api, recorder, iam_s3_server, write_only, receiver
):
    policy_set(iam_s3_server, write_only, "Deny")
    bot = create_bot(api, callback_url=receiver.url)

    hand_over(recorder, bot["bot_id"], {"chats.json": b"[]"})

    artifact = BotArtifact.objects.get()
    assert (artifact.state, artifact.attempts, artifact.last_reason) == (
        "gave_up",
        1,
        "access_denied",
    )
    assert events("storage.upload_retrying") == []
    [failed] = events("storage.upload_failed")
    assert failed.payload["data"]["reason"] == "access_denied"
    assert api.get(STATUS.format(bot["bot_id"])).json()["media"]["state"] == "failed"
    assert uploads_due() == []  # nothing retries it but a person


@pytest.mark.slow
def test_attempts_are_capped_then_the_file_is_given_up_and_announced_once(
    api, recorder, failing_puts, settings
):
    settings.MEDIA_UPLOAD_MAX_ATTEMPTS = 2
    failing_puts["count"] = 1000
    bot = create_bot(api, callback_url="http://127.0.0.1:9/hooks")
    hand_over(recorder, bot["bot_id"], {"chats.json": b"[]"})
    assert BotArtifact.objects.get().state == UploadState.RETRY_WAIT

    BotArtifact.objects.update(next_attempt_at=timezone.now())  # its wait is over
    call_command("uploads_due", stdout=io.StringIO())

    artifact = BotArtifact.objects.get()
    assert (artifact.state, artifact.attempts) == (UploadState.GAVE_UP, 2)
    assert len(events("storage.upload_retrying")) == 1
    assert len(events("storage.upload_failed")) == 1
    assert uploads_due() == []


@pytest.mark.slow
def test_a_file_under_another_live_lease_is_left_alone_until_the_lease_lapses(
    api, recorder, config_body, s3_server, bucket, not_queued
):
    assert api.put(PUT, config_body(), format="json").status_code == 200
    bot = create_bot(api)
    hand_over(recorder, bot["bot_id"], {"chats.json": b"[]"})
    held_until = timezone.now() + timedelta(minutes=5)
    claimed = upload_move(
        BotArtifact.objects.all(),
        UploadEvent.CLAIMED,
        claimed_by="another-worker",
        claimed_until=held_until,
    )
    assert claimed == 1

    assert media_upload(bot=Bot.objects.get(), owner="this-worker") == {}
    assert uploads_due() == []

    artifact = BotArtifact.objects.get()
    assert (artifact.state, artifact.claimed_by) == (UploadState.UPLOADING, "another-worker")
    assert s3_server.keys(bucket) == []

    BotArtifact.objects.update(claimed_until=timezone.now() - timedelta(seconds=1))
    assert uploads_due() == [Bot.objects.get().pk]
    call_command("uploads_due", stdout=io.StringIO())
    assert BotArtifact.objects.get(name="chats.json").state == UploadState.UPLOADED
    assert Bot.objects.get().status == "Done"


@pytest.mark.slow
def test_the_lease_is_renewed_while_a_slow_upload_runs(
    api, recorder, config_body, s3_server, not_queued, monkeypatch
):
    monkeypatch.setattr(timing, "LEASE", timedelta(seconds=1))
    monkeypatch.setattr(timing, "LEASE_RENEW_EVERY", timedelta(seconds=0.2))
    monkeypatch.setattr("tests.support.faults.SLOW_SECONDS", 3)
    proxy = FaultProxy(s3_server.url, lambda method, path: "slow" if method == "PUT" else None)
    try:
        assert api.put(PUT, config_body(endpoint_url=proxy.url), format="json").status_code == 200
        bot = create_bot(api)
        hand_over(recorder, bot["bot_id"], {"chats.json": b"[]"})

        def upload_slowly() -> None:
            try:
                media_upload(bot=Bot.objects.get(), owner="slow-worker")
            finally:
                connection.close()

        upload = threading.Thread(target=upload_slowly)
        upload.start()
        time.sleep(2)  # twice the lease: only renewals keep it
        due_meanwhile = uploads_due()
        upload.join()
    finally:
        proxy.stop()

    assert due_meanwhile == []
    assert BotArtifact.objects.get(name="chats.json").state == UploadState.UPLOADED


@pytest.mark.slow
def test_a_staged_copy_stays_until_its_upload_is_recorded(
    api, recorder, config_body, s3_server, bucket, staging, not_queued, monkeypatch
):
    assert api.put(PUT, config_body(), format="json").status_code == 200
    bot = create_bot(api)
    hand_over(recorder, bot["bot_id"], {"chats.json": b"[]"})
    staged = BotArtifact.objects.get().staged_name
    real_move = uploads.upload_move

    def recording_fails(rows, event, **fields):
        if event == UploadEvent.SUCCEEDED:
            raise OperationalError("the database went away")
        return real_move(rows, event, **fields)

    monkeypatch.setattr(uploads, "upload_move", recording_fails)
    with pytest.raises(OperationalError):
        media_upload(bot=Bot.objects.get(), owner="doomed-worker")

    assert f"meetstream/{bot['bot_id']}_chats.json" in s3_server.keys(bucket)  # stored, but
    assert staging.read(staged) == b"[]"  # not recorded: the staged copy is still there
    assert BotArtifact.objects.get().state == UploadState.UPLOADING

    monkeypatch.setattr(uploads, "upload_move", real_move)
    BotArtifact.objects.update(claimed_until=timezone.now() - timedelta(seconds=1))
    call_command("uploads_due", stdout=io.StringIO())
    assert BotArtifact.objects.get(name="chats.json").state == UploadState.UPLOADED
    assert staging.files(bot["bot_id"]) == []


@pytest.mark.slow
def test_transitions_outside_the_table_move_nothing(api, recorder, not_queued):
    bot = create_bot(api)
    hand_over(recorder, bot["bot_id"], {"chats.json": b"[]"})
    rows = BotArtifact.objects.all()

    assert upload_move(rows, UploadEvent.SUCCEEDED) == 0  # staged, never started
    assert upload_move(rows, UploadEvent.RETRIED) == 0  # not given up
    assert upload_move(rows, UploadEvent.CLAIMED, claimed_by="w") == 1
    assert upload_move(rows, UploadEvent.DEFERRED) == 1
    assert upload_move(rows, UploadEvent.SUCCEEDED) == 0  # waiting, not uploading
    assert upload_move(rows, UploadEvent.GAVE_UP) == 1
    assert upload_move(rows, UploadEvent.CLAIMED) == 0  # given up stays so
    assert upload_move(rows, UploadEvent.RETRIED) == 1
    assert rows.get().state == UploadState.STAGED


@pytest.mark.slow
def test_a_file_whose_lease_was_taken_mid_upload_keeps_its_new_owner_and_the_rest_are_recorded(
    api, recorder, config_body, not_queued, monkeypatch
):
    assert api.put(PUT, config_body(), format="json").status_code == 200
    bot = create_bot(api)
    hand_over(recorder, bot["bot_id"], {"chats.json": b"[]", "participants.json": b"[]"})
    real_transfer = uploads.file_transfer

    def lease_lapses_meanwhile(backend, artifact, body, started, fallback):
        failure = real_transfer(backend, artifact, body, started, fallback)
        if artifact.name == "chats.json":  # another upload took it over while this one ran
            BotArtifact.objects.filter(pk=artifact.pk).update(claimed_by="another-worker")
        return failure

    monkeypatch.setattr(uploads, "file_transfer", lease_lapses_meanwhile)
    outcomes = media_upload(bot=Bot.objects.get(), owner="this-worker")

    assert outcomes == {UploadState.UPLOADED: 1, UploadState.UPLOADING: 1}
    taken = BotArtifact.objects.get(name="chats.json")
    assert (taken.state, taken.claimed_by, taken.attempts) == (
        UploadState.UPLOADING,
        "another-worker",
        0,
    )
    assert BotArtifact.objects.get(name="participants.json").state == UploadState.UPLOADED
    assert Bot.objects.get().status != "Done"  # no manifest until every file is stored


@pytest.mark.slow
def test_the_scheduler_leaves_a_waiting_file_alone_until_its_time(
    api, recorder, failing_puts, settings
):
    settings.MEDIA_UPLOAD_RETRY_BASE_SECONDS = 600
    settings.MEDIA_UPLOAD_MAX_ATTEMPTS = 3  # a scheduler that did not wait would use them up
    failing_puts["count"] = 1000  # the bucket keeps failing
    bot = create_bot(api)
    hand_over(recorder, bot["bot_id"], {"chats.json": b"[]"})
    waiting = BotArtifact.objects.get()
    assert (waiting.state, waiting.attempts) == (UploadState.RETRY_WAIT, 1)
    budget_after_first = failing_puts["count"]

    for _ in range(3):
        schedule_uploads()  # the scheduler's part for uploads

    still = BotArtifact.objects.get()
    assert (still.state, still.attempts) == (UploadState.RETRY_WAIT, 1)
    assert still.next_attempt_at == waiting.next_attempt_at
    assert failing_puts["count"] == budget_after_first  # no request reached the bucket

    BotArtifact.objects.update(next_attempt_at=timezone.now())  # its wait is over
    schedule_uploads()

    assert BotArtifact.objects.get().attempts == 2
    assert failing_puts["count"] < budget_after_first
