"""The whole path through real Celery workers on Redis, as in production."""

import pytest

from tests.support.api import PUT
from tests.support.media import create_bot, hand_over, sample_media
from tests.support.processes import needs_redis
from tests.support.workers import wait_for_done

pytestmark = [pytest.mark.django_db(transaction=True), needs_redis]


@pytest.mark.e2e
def test_a_real_worker_uploads_every_file_of_several_bots_byte_for_byte(
    api, recorder, config_body, s3_server, bucket, workers
):
    put = api.put(PUT, config_body(), format="json")
    assert put.status_code == 200
    workers.start()
    bots = [create_bot(api) for _ in range(3)]
    media = {bot["bot_id"]: sample_media(bot, screenshots=3) for bot in bots}

    for bot_id, files in media.items():
        hand_over(recorder, bot_id, files)

    wait_for_done(api, media, workers)
    admin = s3_server.client()
    for bot_id, files in media.items():
        for name, data in files.items():
            key = f"meetstream/{bot_id}_{name}"
            assert admin.get_object(Bucket=bucket, Key=key)["Body"].read() == data, key
    assert "upload_bot_media" in workers.logs()


@pytest.mark.e2e
def test_50_bots_finishing_at_once_with_two_worker_processes_all_end_done(
    api, recorder, config_body, s3_server, bucket, workers
):
    assert api.put(PUT, config_body(), format="json").status_code == 200
    workers.start(concurrency=2)
    workers.start(concurrency=2)
    bots = [create_bot(api) for _ in range(50)]
    media = {bot["bot_id"]: sample_media(bot, screenshots=1) for bot in bots}

    for bot_id, files in media.items():
        hand_over(recorder, bot_id, files)

    wait_for_done(api, media, workers, seconds=240)
    stored = set(s3_server.keys(bucket))
    admin = s3_server.client()
    for bot_id, files in media.items():
        assert {f"meetstream/{bot_id}_{name}" for name in files} <= stored
        key = f"meetstream/{bot_id}_audio.wav"
        assert admin.get_object(Bucket=bucket, Key=key)["Body"].read() == files["audio.wav"]
    per_worker = [worker.output().count("upload_bot_media") for worker in workers.started]
    assert all(per_worker), per_worker  # both workers took part
