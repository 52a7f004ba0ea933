"""Uploads: ours (the service a worker runs) against plain boto3 on the same moto server."""

import json
import statistics
import uuid
from pathlib import Path

import boto3
from django.conf import settings

from bench.setup import Bench
from bench.timing import Row, timed
from bots.lifecycle import BotEventType
from bots.models import Bot
from bots.services import artifact_stage, bot_create, bot_transition
from bots.simulation import png_bytes, video_write, wav_write
from bots.uploads import media_upload
from tests.support.processes import command_run

MiB = 1024 * 1024


def _screenshots(folder: Path, count: int) -> dict[str, Path]:
    files = {}
    png = png_bytes()
    for n in range(count):
        shot = uuid.uuid4()
        files[f"screenshots/{shot}.png"] = folder / f"{shot}.png"
        files[f"screenshots/{shot}.png"].write_bytes(png)
        files[f"screenshots/{shot}.json"] = folder / f"{shot}.json"
        files[f"screenshots/{shot}.json"].write_text(
            json.dumps({"captured_at": f"2026-11-25T10:00:{n % 60:02d}+00:00"})
        )
    return files


def _recording(work: str) -> dict[str, Path]:
    folder = Path(work) / "recording"
    folder.mkdir()
    video, audio = folder / "video.mp4", folder / "audio.wav"
    video_write(video, size=256 * MiB)
    wav_write(audio, seconds=30 * 60)
    return {"meeting_recording.mp4": video, "audio.wav": audio, **_screenshots(folder, 200)}


def _left_bot(bench: Bench, files: dict[str, Path]) -> Bot:
    bot = bot_create(
        tenant=bench.tenant, meeting_link="https://meet.google.com/abc", bot_name="bench"
    )
    for name, path in files.items():
        with path.open("rb") as stream:
            artifact_stage(bot=bot, name=name, stream=stream)
    bot_transition(bot=bot, event=BotEventType.LEFT)  # not queued: uploaded below
    return Bot.objects.select_related("tenant").get(pk=bot.pk)


def _ours(bot: Bot) -> None:
    summary = media_upload(bot=bot, owner=f"bench-{uuid.uuid4().hex}")
    assert set(summary) == {"uploaded"}, summary


def _plain_boto3(bench: Bench, files: dict[str, Path], *, one_call: str) -> None:
    """The baseline: a default boto3 client, one file after another."""
    client = boto3.client(
        "s3",
        endpoint_url=bench.server.url,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
    )
    prefix = f"baseline-{uuid.uuid4().hex}"
    for name, path in files.items():
        if one_call == "upload_file":
            client.upload_file(str(path), "bench-bucket", f"{prefix}/{name}")
        else:
            client.put_object(Bucket="bench-bucket", Key=f"{prefix}/{name}", Body=path.read_bytes())


def _peak_memory(bench: Bench, files: dict[str, Path]) -> float:
    bot = _left_bot(bench, files)
    result = command_run(
        "upload_media",
        bot.public_id,
        PLATFORM_S3_ENDPOINT_URL=bench.server.url,
        PLATFORM_S3_ACCESS_KEY_ID="bench",
        PLATFORM_S3_SECRET_ACCESS_KEY="bench",
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
    )
    assert result.returncode == 0 and " 0 retry_wait, 0 gave_up" in result.stdout, result.stderr
    return result.peak_rss / MiB


def rows(bench: Bench) -> list[Row]:
    recording = _recording(bench.work)
    big = {name: path for name, path in recording.items()}
    bot = _left_bot(bench, big)
    ours = timed(lambda: _ours(bot))
    base = timed(lambda: _plain_boto3(bench, big, one_call="upload_file"))
    peak = _peak_memory(bench, big)

    small_folder = Path(bench.work) / "small"
    small_folder.mkdir()
    small = _screenshots(small_folder, 1000)
    # The run-to-run spread here is wide (moto's pace): the median of three rounds.
    ours_small, base_small = [], []
    for _ in range(3):
        small_bot = _left_bot(bench, small)
        ours_small.append(timed(lambda bot=small_bot: _ours(bot)))
        base_small.append(timed(lambda: _plain_boto3(bench, small, one_call="put_object")))
    return [
        Row(
            "Upload 256 MiB video + 30 min WAV + 200 screenshots (+ sidecars) vs boto3 upload_file",
            ours,
            base,
            unit="s",
            target=1.2,
        ),
        Row(
            "  peak memory of the uploading process vs the 150 MiB bound",
            peak,
            150,
            unit="MB",
            target=1.0,
        ),
        Row(
            "Upload 1,000 screenshots + sidecars vs boto3, one after another (median of 3)",
            statistics.median(ours_small),
            statistics.median(base_small),
            unit="s",
            target=0.5,
        ),
    ]
