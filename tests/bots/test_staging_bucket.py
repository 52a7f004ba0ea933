"""Staging across machines (STAGING_S3_BUCKET): web, worker and recorder each on a disk nobody
else reads, bodies streamed into the bucket in bounded memory, and nothing left behind there."""

import base64
import hashlib
import http.client
import io
import os
import signal
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from bots.models import Bot, BotArtifact
from bots.pipeline.staging import staged_partials_sweep
from bots.tasks import run_due_work
from tests.bots.test_partial_files import put_started
from tests.conftest import RECORDER_TOKEN
from tests.support.api import PUT
from tests.support.faults import FaultProxy
from tests.support.media import MEDIA, STATUS, create_bot, hand_over, sample_media
from tests.support.processes import (
    children_of,
    command_run,
    gunicorn_start,
    high_water_mark,
    needs_redis,
)
from tests.support.workers import PLATFORM_BUCKET, wait_for_done

pytestmark = pytest.mark.django_db(transaction=True)  # uploads are queued on commit


MiB = 1024 * 1024


def put_file(url: str, bot_id: str, name: str, path: Path) -> tuple[int, bytes]:
    """A recorder PUT streamed from a file, with its Content-Length and Content-Digest."""
    digest = hashlib.sha256()
    with path.open("rb") as body:
        while chunk := body.read(MiB):
            digest.update(chunk)
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=120)
    with path.open("rb") as body:
        conn.request(
            "PUT",
            MEDIA.format(bot_id, name),
            body=body,
            headers={
                "Authorization": f"Bearer {RECORDER_TOKEN}",
                "Content-Type": "application/octet-stream",
                "Content-Length": str(path.stat().st_size),
                "Content-Digest": f"sha-256=:{base64.b64encode(digest.digest()).decode()}:",
            },
        )
        answer = conn.getresponse()
        return answer.status, answer.read()


def stored(s3_server, bot_id: str, name: str) -> bytes:
    key = f"meetstream/{bot_id}_{name}"
    return s3_server.client().get_object(Bucket=PLATFORM_BUCKET, Key=key)["Body"].read()


def staging_files_on(disk: Path) -> list[Path]:
    return [path for path in (disk / "staging").rglob("*") if path.is_file()]


@pytest.mark.e2e
@needs_redis
def test_web_worker_and_recorder_each_on_their_own_disk_upload_byte_for_byte(
    api, s3_server, bucket_staging, workers, tmp_path
):
    disks = {role: tmp_path / f"{role}-disk" for role in ("web", "recorder")}
    shared = {**workers.env(), "CELERY_QUEUE": workers.queue}
    workers.start()
    web = gunicorn_start(
        log=tmp_path / "web.log",
        **{**shared, "MEDIA_ROOT": str(disks["web"])},
        RECORDER_TOKEN=RECORDER_TOKEN,
    )
    try:
        # The recorder API's bot, through the web: small files, then a 64 MB video.
        api_bot = create_bot(api)
        files = sample_media(api_bot, screenshots=1)
        for name, data in files.items():
            (tmp_path / "file").write_bytes(data)
            status, body = put_file(web.url, api_bot["bot_id"], name, tmp_path / "file")
            assert status == 201, body
        [web_worker] = children_of(web.process.pid)
        before = high_water_mark(web_worker)
        video = tmp_path / "video.mp4"
        video.write_bytes(os.urandom(64 * MiB))
        status, body = put_file(web.url, api_bot["bot_id"], "meeting_recording.mp4", video)
        grown = high_water_mark(web_worker) - before
        assert status == 201, body
        left = http.client.HTTPConnection(*web.url.removeprefix("http://").split(":"))
        left.request("POST", f"/internal/v1/bots/{api_bot['bot_id']}/left",
                     headers={"Authorization": f"Bearer {RECORDER_TOKEN}"})  # fmt: skip
        assert left.getresponse().status == 202

        # The simulated bot: the recorder's command, in a process of its own.
        simulated = create_bot(api)
        result = command_run(
            "simulate_recording",
            simulated["bot_id"],
            "--seconds=0.1",
            "--video-bytes=12000000",
            **{**shared, "MEDIA_ROOT": str(disks["recorder"])},
        )
        assert result.returncode == 0, result.stderr

        wait_for_done(api, [api_bot["bot_id"], simulated["bot_id"]], workers)
    finally:
        web.stop()

    print(f"64 MB body: the web worker's peak memory grew {grown // MiB} MiB")
    assert grown < 48 * MiB
    files["meeting_recording.mp4"] = video.read_bytes()
    for name, data in files.items():
        assert stored(s3_server, api_bot["bot_id"], name) == data, name
    rows = BotArtifact.objects.filter(bot__public_id=simulated["bot_id"]).exclude(
        name="manifest.json"
    )
    assert rows.count() == 12 and set(rows.values_list("state", flat=True)) == {"uploaded"}
    for row in rows:  # what the recorder staged, as its receipt recorded it
        data = stored(s3_server, simulated["bot_id"], row.name)
        assert (len(data), hashlib.sha256(data).hexdigest()) == (row.size, row.sha256), row.name
    for bot in (api_bot, simulated):
        assert bucket_staging.files(bot["bot_id"]) == []
    assert bucket_staging.unfinished() == []
    for disk in (*disks.values(), workers.folder / "worker-disk"):
        assert staging_files_on(disk) == [], disk


@pytest.mark.slow
def test_an_unreachable_staging_bucket_is_a_503_and_nothing_is_recorded(
    api, recorder, bucket_staging, settings
):
    assert Client().get("/readyz").json()["checks"]["staging"] == "ok"
    settings.STAGING_S3_BUCKET = "no-such-staging-bucket"
    bot = create_bot(api)

    response = recorder.put(
        MEDIA.format(bot["bot_id"], "chats.json"), b"[]", content_type="application/octet-stream"
    )

    assert response.status_code == 503
    assert response.json() == {
        "message": "Staging is unavailable: nothing was stored. Send the file again.",
        "code": "unavailable",
    }
    assert not BotArtifact.objects.exists()
    ready = Client().get("/readyz").json()
    assert ready["failing"] == ["staging"] and ready["checks"]["staging"] == "unavailable"


@pytest.mark.slow
def test_a_staged_copy_that_cannot_be_read_waits_and_uploads_once_staging_answers(
    api, recorder, bucket_staging, config_body, s3_server, bucket, settings
):
    assert api.put(PUT, config_body(), format="json").status_code == 200
    bot = create_bot(api)
    hand_over(recorder, bot["bot_id"], {"chats.json": b"[1]"}, leave=False)
    failing = {"on": True}
    proxy = FaultProxy(
        s3_server.url, lambda method, path: "503" if failing["on"] and method == "GET" else None
    )
    settings.PLATFORM_S3_ENDPOINT_URL = proxy.url  # staging's endpoint, not the tenant's
    try:
        assert recorder.post(f"/internal/v1/bots/{bot['bot_id']}/left").status_code == 202
        row = BotArtifact.objects.get()
        assert (row.state, row.last_reason) == ("retry_wait", "unavailable")
        assert "staged copy could not be read" in row.last_error
        assert proxy.url.split("//")[1] not in row.last_error  # the platform's endpoint stays ours

        failing["on"] = False
        BotArtifact.objects.update(next_attempt_at=timezone.now())
        call_command("uploads_due", "--wait", stdout=io.StringIO())
    finally:
        proxy.stop()

    assert api.get(STATUS.format(bot["bot_id"])).json()["status"] == "Done"
    key = f"meetstream/{bot['bot_id']}_chats.json"
    assert s3_server.client().get_object(Bucket=bucket, Key=key)["Body"].read() == b"[1]"
    assert bucket_staging.files(bot["bot_id"]) == []


@pytest.mark.e2e
def test_a_killed_web_workers_open_upload_is_aborted_by_the_sweep_once_old(
    api, bucket_staging, workers, tmp_path
):
    bot = create_bot(api)
    web = gunicorn_start(log=tmp_path / "web.log", **workers.env(), RECORDER_TOKEN=RECORDER_TOKEN)
    try:
        conn = put_started(web.url, bot["bot_id"], length=64 * MiB, sent=20 * MiB)
        deadline = time.monotonic() + 20
        while not bucket_staging.unfinished():
            assert time.monotonic() < deadline, web.output()
            time.sleep(0.05)
        for child in children_of(web.process.pid):
            os.kill(child, signal.SIGKILL)
        conn.close()
    finally:
        web.stop()
    assert len(bucket_staging.unfinished()) == 1

    assert run_due_work()["staged_partials"] == 0  # young: it could be a slow recorder's
    assert staged_partials_sweep(grace=0) == 1

    assert bucket_staging.unfinished() == []
    assert bucket_staging.files(bot["bot_id"]) == []
    assert not Bot.objects.get().artifacts.exists()


@pytest.mark.slow
def test_every_provider_uploads_from_the_staging_bucket_part_by_part(
    api, recorder, provider, bucket_staging, settings
):
    settings.UPLOAD_PART_MB = 5
    bucket = provider.bucket()
    assert api.put(PUT, provider.body(bucket), format="json").status_code == 200
    bot = create_bot(api)
    files = sample_media(bot, screenshots=1)
    files["meeting_recording.mp4"] = os.urandom(13 * MiB)  # three parts on each side

    hand_over(recorder, bot["bot_id"], files)

    assert api.get(STATUS.format(bot["bot_id"])).json()["status"] == "Done"
    for name, data in files.items():
        assert provider.read(bucket, f"meetstream/{bot['bot_id']}_{name}") == data, name
    assert bucket_staging.files(bot["bot_id"]) == [] and bucket_staging.unfinished() == []
