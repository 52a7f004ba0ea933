import io
import json
import wave

import pytest
from django.core.management import CommandError, call_command

from bots.models import BotArtifact
from tests.support.media import STATUS, create_bot, platform_stored

pytestmark = pytest.mark.django_db(transaction=True)  # uploads are queued on commit


@pytest.mark.slow
def test_simulate_recording_hands_over_realistic_media_and_uploads_it(
    api, s3_server, staging, capsys
):
    bot = create_bot(api)

    call_command(
        "simulate_recording",
        bot["bot_id"],
        "--screenshots",
        "4",
        "--seconds",
        "2",
        "--video-bytes",
        "300000",
    )

    assert (
        capsys.readouterr().out.strip() == f"{bot['bot_id']}: Done, media uploaded (15/15 uploaded)"
    )
    with wave.open(io.BytesIO(platform_stored(s3_server, bot["bot_id"], "audio.wav"))) as audio:
        assert audio.getnframes() / audio.getframerate() == 2.0
    video = platform_stored(s3_server, bot["bot_id"], "meeting_recording.mp4")
    assert len(video) == 300_000 and video[4:8] == b"ftyp"
    shots = BotArtifact.objects.filter(name__startswith="screenshots/", name__endswith=".png")
    assert shots.count() == 4 and all(shot.captured_at for shot in shots)
    png = platform_stored(s3_server, bot["bot_id"], shots[0].name)
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and png.endswith(b"IEND\xaeB`\x82")
    transcript = f"transcription/meetstream/{bot['transcript_id']}/processed_transcript.json"
    assert (
        json.loads(platform_stored(s3_server, bot["bot_id"], transcript))[0]["speaker"]
        == "Ada Lovelace"
    )
    assert staging.files(bot["bot_id"]) == []


@pytest.mark.slow
def test_simulate_recording_refuses_an_unknown_bot_or_one_that_left(api):
    with pytest.raises(CommandError, match="No bot bot_nope"):
        call_command("simulate_recording", "bot_nope")
    bot = create_bot(api)
    call_command("simulate_recording", bot["bot_id"], "--screenshots", "0", "--seconds", "0.1")

    with pytest.raises(CommandError, match="has left the meeting"):
        call_command("simulate_recording", bot["bot_id"])


@pytest.mark.slow
def test_in_simulated_mode_a_new_bot_plays_a_meeting_by_itself(api, settings, s3_server, staging):
    settings.RECORDER_MODE = "simulated"

    bot = create_bot(api)

    status = api.get(STATUS.format(bot["bot_id"])).json()
    assert status["status"] == "Done" and status["media"]["state"] == "uploaded"
    assert platform_stored(s3_server, bot["bot_id"], "audio.wav").startswith(b"RIFF")
