"""The simulated recorder's media holds together: a video that plays, a transcript inside the
audio, screenshots inside the meeting."""

import io
import json
import shutil
import subprocess
import wave

import pytest
from django.core.management import call_command
from django.utils.dateparse import parse_datetime

from bots.bot.lifecycle import BotEventType
from bots.models import Bot, BotArtifact, BotEvent
from bots.recorder.simulation import DEMO_SECONDS, DEMO_VIDEO
from tests.support.media import create_bot, platform_stored
from tests.support.mp4 import mp4_parse

pytestmark = pytest.mark.django_db(transaction=True)  # uploads are queued on commit


def ffprobe_duration(data: bytes, tmp_path) -> float | None:
    """What ffprobe makes of the file, decoding it, when ffprobe is on this machine."""
    if not shutil.which("ffprobe"):
        return None
    path = tmp_path / "video.mp4"
    path.write_bytes(data)
    probed = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return float(probed.stdout)


@pytest.mark.e2e
def test_the_shipped_clip_is_a_small_h264_and_aac_mp4_of_the_meetings_length(tmp_path):
    data = DEMO_VIDEO.read_bytes()

    clip = mp4_parse(data)

    assert len(data) <= 200 * 1024
    assert clip.top_level[0] == b"ftyp" and b"moov" in clip.top_level and b"mdat" in clip.top_level
    assert sorted(clip.tracks) == [(b"soun", b"mp4a"), (b"vide", b"avc1")]
    assert abs(clip.duration - DEMO_SECONDS) < 0.1
    probed = ffprobe_duration(data, tmp_path)
    assert probed is None or abs(probed - DEMO_SECONDS) < 0.2


@pytest.mark.slow
def test_a_simulated_meeting_holds_together(api, s3_server, tmp_path):
    bot = create_bot(api)

    call_command("simulate_recording", bot["bot_id"], "--screenshots", "3", "--seconds", "1.5")

    row = Bot.objects.get(public_id=bot["bot_id"])
    joined = BotEvent.objects.get(bot=row, event=BotEventType.JOINED).created_at
    with wave.open(io.BytesIO(platform_stored(s3_server, bot["bot_id"], "audio.wav"))) as audio:
        audio_seconds = audio.getnframes() / audio.getframerate()
    assert audio_seconds == 1.5
    folder = f"transcription/meetstream/{bot['transcript_id']}"
    for kind in ("raw", "processed"):
        document = json.loads(
            platform_stored(s3_server, bot["bot_id"], f"{folder}/{kind}_transcript.json")
        )
        lines = document["results"] if kind == "raw" else document
        assert lines and all(
            0 <= line["start_time"] < line["end_time"] <= audio_seconds for line in lines
        )
    shots = BotArtifact.objects.filter(bot=row, name__endswith=".json", name__contains="screen")
    assert shots.count() == 3
    for shot in shots:
        taken = parse_datetime(
            json.loads(platform_stored(s3_server, bot["bot_id"], shot.name))["captured_at"]
        )
        assert joined <= taken <= row.left_at
    video = platform_stored(s3_server, bot["bot_id"], "meeting_recording.mp4")
    assert video == DEMO_VIDEO.read_bytes()


def test_a_video_padded_to_a_size_still_parses_as_the_same_clip(api, s3_server):
    bot = create_bot(api)

    call_command("simulate_recording", bot["bot_id"], "--seconds", "0.1", "--video-bytes", "300000")

    video = platform_stored(s3_server, bot["bot_id"], "meeting_recording.mp4")
    padded = mp4_parse(video)
    assert len(video) == 300_000 and padded.top_level[-1] == b"free"
    assert abs(padded.duration - DEMO_SECONDS) < 0.1
