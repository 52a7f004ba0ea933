"""A bad day for the workers: one killed mid-upload, the broker restarted under queued bots."""

import os
import signal
import subprocess
import sys
import time

import pytest

from bots.models import BotArtifact
from bots.pipeline.staging import staged_copies_sweep
from meetstream.shared.processes import free_port
from tests.support.api import PUT
from tests.support.faults import FaultProxy
from tests.support.media import create_bot, hand_over
from tests.support.processes import ROOT, child_env, children_of, command_run, needs_redis
from tests.support.workers import wait_for_done

pytestmark = [pytest.mark.django_db(transaction=True), needs_redis]
MiB = 1024 * 1024


def wait_until(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.mark.e2e
def test_a_worker_killed_mid_multipart_upload_is_redelivered_aborted_and_completed(
    api, recorder, config_body, s3_server, bucket, staging, workers
):
    parts: list[str] = []

    def decide(method: str, path: str):
        if method == "PUT" and "partNumber=" in path:
            parts.append(path)
            return "slow"
        return None

    proxy = FaultProxy(s3_server.url, decide)
    try:
        assert api.put(PUT, config_body(endpoint_url=proxy.url), format="json").status_code == 200
        worker = workers.start(concurrency=1)
        bot = create_bot(api)
        video = bytes(range(256)) * (48 * MiB // 256)
        hand_over(recorder, bot["bot_id"], {"meeting_recording.mp4": video, "chats.json": b"[]"})
        wait_until(lambda: len(parts) >= 2, 60, "the multipart upload to start")
        staged = BotArtifact.objects.get(name="meeting_recording.mp4").staged_name

        for child in children_of(worker.process.pid):
            os.kill(child, signal.SIGKILL)
        assert staging.read(staged) == video

        wait_for_done(api, [bot["bot_id"]], workers)
    finally:
        proxy.stop()

    assert "WorkerLostError" in worker.output() or "SIGKILL" in worker.output()
    stored = s3_server.client().get_object(
        Bucket=bucket, Key=f"meetstream/{bot['bot_id']}_meeting_recording.mp4"
    )
    assert stored["Body"].read() == video
    # The killed attempt's multipart upload was aborted by the next one: no parts left to pay.
    assert "Uploads" not in s3_server.client().list_multipart_uploads(Bucket=bucket)
    rows = BotArtifact.objects.order_by("name")
    assert list(rows.values_list("name", "state")) == [
        ("chats.json", "uploaded"),
        ("manifest.json", "uploaded"),
        ("meeting_recording.mp4", "uploaded"),
    ]
    # The last batch's copies are deleted just after it is recorded (so after Done), and a
    # copy the killed worker recorded but never deleted waits for the scheduler's sweep: run
    # here as beat would.
    staged_copies_sweep()
    wait_until(lambda: staging.files(bot["bot_id"]) == [], 10, "the staged copies to go")
    assert staging.unfinished() == []


@pytest.mark.e2e
def test_bots_queued_when_redis_restarts_are_all_uploaded_once_it_is_back(
    api, config_body, s3_server, bucket, workers, tmp_path
):
    port = free_port()
    broker = f"redis://127.0.0.1:{port}/0"
    redis = [
        "redis-server",
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(tmp_path),
    ]
    server = subprocess.Popen(redis, stdout=subprocess.DEVNULL)
    try:
        assert api.put(PUT, config_body(), format="json").status_code == 200
        bots = [create_bot(api)["bot_id"] for _ in range(3)]
        for bot_id in bots:  # the recorder leaves while no worker runs: the uploads wait in Redis
            done = command_run(
                "simulate_recording",
                bot_id,
                "--screenshots",
                "1",
                "--seconds",
                "0.1",
                **workers.env(REDIS_URL=broker),
                CELERY_QUEUE=workers.queue,
            )
            assert done.returncode == 0, done.stderr

        server.terminate()
        server.wait(timeout=10)  # the queued messages were in memory only: they are gone
        server = subprocess.Popen(redis, stdout=subprocess.DEVNULL)
        workers.start(REDIS_URL=broker)
        # Staged files of a bot that left are due: the next beat tick queues them again.
        sweep = subprocess.run(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "meetstream",
                "call",
                "bots.tasks.schedule_uploads",
                "--queue",
                workers.queue,
            ],
            cwd=ROOT,
            env=child_env(REDIS_URL=broker, CELERY_QUEUE=workers.queue),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert sweep.returncode == 0, sweep.stderr

        wait_for_done(api, bots, workers)
    finally:
        server.terminate()
        server.wait(timeout=10)

    keys = set(s3_server.keys(bucket))
    for bot_id in bots:
        assert (
            f"meetstream/{bot_id}_audio.wav" in keys
            and f"meetstream/{bot_id}_manifest.json" in keys
        )
