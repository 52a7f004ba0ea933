"""The whole path through a real Celery worker on Redis, as in production."""

import os
import time
import uuid

import pytest

from meetstream.celery import app as celery_app
from tests.conftest import PLATFORM_BUCKET
from tests.support.media import STATUS, create_bot, hand_over, sample_media
from tests.support.processes import worker_start

pytestmark = pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (CI sets it)"
)


@pytest.fixture
def worker(settings, tmp_path):
    queue = f"tests-{uuid.uuid4().hex[:8]}"
    started = worker_start(
        log=tmp_path / "worker.log",
        queue=queue,
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
        PLATFORM_S3_BUCKET=PLATFORM_BUCKET,
        PLATFORM_S3_ENDPOINT_URL=settings.PLATFORM_S3_ENDPOINT_URL,
        PLATFORM_S3_ACCESS_KEY_ID=settings.PLATFORM_S3_ACCESS_KEY_ID,
        PLATFORM_S3_SECRET_ACCESS_KEY=settings.PLATFORM_S3_SECRET_ACCESS_KEY,
    )
    conf = celery_app.conf
    saved = conf.task_always_eager, conf.task_default_queue
    conf.task_always_eager, conf.task_default_queue = False, queue
    yield started
    conf.task_always_eager, conf.task_default_queue = saved
    started.stop()


def wait_for(api, bot_id: str, status: str, worker, seconds: float = 60) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        body = api.get(STATUS.format(bot_id)).json()
        if body["status"] == status:
            return body
        time.sleep(0.2)
    raise AssertionError(f"{bot_id} is {body}, not {status}; worker log:\n{worker.output()}")


def test_a_real_worker_uploads_every_file_of_several_bots_byte_for_byte(
    api, recorder, config_body, s3_server, bucket, worker
):
    assert (
        api.put(
            "/api/v1/admin/configs?config_type=storage", config_body(), format="json"
        ).status_code
        == 200
    )
    bots = [create_bot(api) for _ in range(3)]
    media = {bot["bot_id"]: sample_media(bot, screenshots=3) for bot in bots}

    for bot_id, files in media.items():
        hand_over(recorder, bot_id, files)

    admin = s3_server.client()
    for bot_id, files in media.items():
        status = wait_for(api, bot_id, "Done", worker)
        assert status["media"]["state"] == "uploaded"
        for name, data in files.items():
            key = f"meetstream/{bot_id}_{name}"
            assert admin.get_object(Bucket=bucket, Key=key)["Body"].read() == data, key
    assert "upload_bot_media" in worker.output()
