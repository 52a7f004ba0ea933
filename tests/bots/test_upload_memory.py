"""A worker's memory does not grow with the size of the file it uploads."""

import pytest

from bots.bot.lifecycle import BotEventType
from bots.bot.services import artifact_stage, bot_transition
from bots.models import Bot
from bots.recorder.simulation import video_write
from tests.conftest import PLATFORM_BUCKET
from tests.support.media import create_bot
from tests.support.processes import command_run

pytestmark = pytest.mark.django_db(transaction=True)  # uploads are queued on commit


MiB = 1024 * 1024


def staged_bot(api, tmp_path, size: int) -> Bot:
    bot = Bot.objects.get(public_id=create_bot(api)["bot_id"])
    video = tmp_path / f"video-{size}.mp4"
    video_write(video, size=size)
    with video.open("rb") as stream:
        artifact_stage(bot=bot, name="meeting_recording.mp4", stream=stream)
    # Left without queueing: the upload runs in the measured process below.
    bot_transition(bot=bot, event=BotEventType.LEFT)
    return bot


def upload_in_own_process(bot: Bot, settings, staging):
    result = command_run(
        "upload_media",
        bot.public_id,
        **staging.env(),
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
        PLATFORM_S3_BUCKET=PLATFORM_BUCKET,
        PLATFORM_S3_ENDPOINT_URL=settings.PLATFORM_S3_ENDPOINT_URL,
        PLATFORM_S3_ACCESS_KEY_ID=settings.PLATFORM_S3_ACCESS_KEY_ID,
        PLATFORM_S3_SECRET_ACCESS_KEY=settings.PLATFORM_S3_SECRET_ACCESS_KEY,
    )
    assert result.returncode == 0, result.stderr
    assert "2 uploaded, 0 retry_wait, 0 gave_up" in result.stdout  # the video and the manifest
    return result.peak_rss


@pytest.mark.e2e
def test_a_200_mb_video_uploads_with_peak_memory_far_below_its_size(
    api, tmp_path, settings, s3_server, staging
):
    """On disk the worker reads a path; from the staging bucket, ranges of the object. Each of
    the pass's UPLOAD_THREADS part threads holds a few buffers; the file's size adds nothing."""
    small = staged_bot(api, tmp_path, 1 * MiB)
    half = staged_bot(api, tmp_path, 100 * MiB)  # 13 parts: every part thread busy, as at 200
    large = staged_bot(api, tmp_path, 200 * MiB)

    small_peak, half_peak, large_peak = (
        upload_in_own_process(bot, settings, staging) for bot in (small, half, large)
    )

    head = s3_server.client().head_object(
        Bucket=PLATFORM_BUCKET, Key=f"meetstream/{large.public_id}_meeting_recording.mp4"
    )
    assert head["ContentLength"] == 200 * MiB
    assert staging.files(large.public_id) == []
    peaks = ", ".join(
        f"{size} MiB upload {peak // MiB} MiB"
        for size, peak in ((1, small_peak), (100, half_peak), (200, large_peak))
    )
    print(f"{staging.mode} staging, peak RSS: {peaks}")
    # Twice the file, not more memory; and what the parts cost is bounded by the budget.
    assert large_peak - half_peak < 16 * MiB
    assert large_peak - small_peak < settings.UPLOAD_THREADS * 5 * MiB
