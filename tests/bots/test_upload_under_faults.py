"""Uploads through a proxy that fails a share of requests: 503s, resets and stalls mid-body."""

import io
import random

import pytest
from django.core.management import call_command

from bots.models import Bot, BotArtifact
from storageconfig.backends.aws import s3
from tests.support.api import PUT
from tests.support.faults import FaultProxy
from tests.support.media import STATUS, create_bot, hand_over, sample_media


@pytest.fixture
def quick_timeouts(settings):
    """Stalls cost 2 s, not a minute: the transfer read timeout, and clients built with it."""
    settings.UPLOAD_READ_TIMEOUT = 2
    s3.clients_forget_all()
    yield
    s3.clients_forget_all()


@pytest.mark.slow
def test_every_file_of_20_bots_arrives_once_and_intact_through_a_faulty_network(
    api, recorder, config_body, s3_server, bucket, staging, quick_timeouts, settings
):
    settings.MEDIA_UPLOAD_RETRY_BASE_SECONDS = 1
    chance = random.Random(20)

    def decide(method: str, path: str):
        if method != "PUT":
            return None
        roll = chance.random()
        return "503" if roll < 0.06 else "drop" if roll < 0.12 else "stall" if roll < 0.15 else None

    proxy = FaultProxy(s3_server.url, decide)
    try:
        assert api.put(PUT, config_body(endpoint_url=proxy.url), format="json").status_code == 200
        bots = [create_bot(api) for _ in range(20)]
        media = {bot["bot_id"]: sample_media(bot, screenshots=1) for bot in bots}
        for bot_id, files in media.items():
            hand_over(recorder, bot_id, files)
        # What botocore's few attempts did not get through waits in retry_wait for the scheduler.
        call_command("uploads_due", "--wait", stdout=io.StringIO())
    finally:
        proxy.stop()

    faults = [fault for _, _, fault in proxy.seen if fault]
    assert {"503", "drop", "stall"} <= set(faults), faults
    admin = s3_server.client()
    for bot_id, files in media.items():
        assert api.get(STATUS.format(bot_id)).json()["status"] == "Done", bot_id
        for name, data in files.items():
            key = f"meetstream/{bot_id}_{name}"
            assert admin.get_object(Bucket=bucket, Key=key)["Body"].read() == data, key
    rows = BotArtifact.objects.filter(bot__in=Bot.objects.all())
    assert rows.count() == sum(len(files) + 1 for files in media.values())
    assert set(rows.values_list("state", flat=True)) == {"uploaded"}
    assert all(staging.files(bot_id) == [] for bot_id in media)
