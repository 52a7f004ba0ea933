"""A recorder's files for a test bot, and handing them over through the recorder API."""

import io
import json
import uuid
import wave
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bots.recorder.simulation import meeting_documents, png_bytes

STATUS = "/api/v1/bots/{}/status"
MEDIA = "/internal/v1/bots/{}/media/{}"


def staged_files(media_root, bot_id: str) -> list[Path]:
    """Every file in a bot's staging folder, partial ones included."""
    return sorted(
        path for path in (Path(media_root) / "staging" / bot_id).rglob("*") if path.is_file()
    )


def wav_bytes(seconds: float = 1.0, rate: int = 8000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(bytes(int(seconds * rate) * 2))
    return buffer.getvalue()


def sample_media(bot: dict, *, screenshots: int = 2, video_bytes: int = 4096) -> dict[str, bytes]:
    """name → bytes for every kind of artifact, for a bot as create_bot answered it."""
    started = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)

    class Named:
        transcript_id = bot["transcript_id"]
        transcript_provider = bot.get("provider", "meetstream")

    files = {
        "audio.wav": wav_bytes(),
        "audio.mp3": b"ID3\x04\x00" + bytes(range(256)) * 4,
        "meeting_recording.mp4": (b"\x00\x00\x00\x18ftypisom" + bytes(range(256)) * 64)[
            :video_bytes
        ],
    }
    for name, document in meeting_documents(Named, started).items():
        files[name] = json.dumps(document).encode()
    for n in range(screenshots):
        shot = str(uuid.UUID(int=n + 1))
        files[f"screenshots/{shot}.png"] = png_bytes(seed=n)
        taken = (started + timedelta(seconds=n)).isoformat()
        files[f"screenshots/{shot}.json"] = json.dumps({"captured_at": taken}).encode()
    return files


def hand_over(recorder, bot_id: str, files: dict[str, bytes], *, leave: bool = True) -> None:
    for name, data in files.items():
        response = recorder.put(
            f"/internal/v1/bots/{bot_id}/media/{name}",
            data,
            content_type="application/octet-stream",
        )
        assert response.status_code == 201, (name, response.json())
    if leave:
        response = recorder.post(f"/internal/v1/bots/{bot_id}/left")
        assert response.status_code == 202, response.json()


MEETING_LINK = "https://meet.google.com/abc-defg-hij"


def create_bot_request(api, link: str = MEETING_LINK, **extra):
    """The create_bot response as it is, for tests of what it refuses."""
    return api.post(
        "/api/v1/bots/create_bot",
        {"meeting_link": link, "bot_name": "Notetaker", **extra},
        format="json",
    )


def create_bot(api, link: str = MEETING_LINK, **extra) -> dict:
    response = create_bot_request(api, link, **extra)
    assert response.status_code == 201, response.json()
    return response.json()


def uploaded_screenshot_rows(bot, count: int, *, bucket: str) -> None:
    """`count` screenshots recorded as uploaded, straight into the database (no S3 objects):
    for what only reads rows, such as listings and query counts."""
    from bots.models import BotArtifact, UploadState

    BotArtifact.objects.bulk_create(
        [
            BotArtifact(
                bot=bot,
                name=f"screenshots/{n:08x}-0000-0000-0000-000000000000.png",
                category="metadata",
                content_type="image/png",
                size=1,
                sha256="0" * 64,
                state=UploadState.UPLOADED,
                bucket=bucket,
                key=f"meetstream/{bot.public_id}_screenshots/{n}.png",
            )
            for n in range(count)
        ],
        batch_size=1000,
    )


def recorded_bot(api, recorder, **extra) -> tuple[str, dict[str, bytes]]:
    """A bot whose recorder handed over every kind of file and left, uploaded and Done."""
    bot = create_bot(api, **extra)
    files = sample_media(bot, screenshots=2)
    hand_over(recorder, bot["bot_id"], files)
    assert api.get(STATUS.format(bot["bot_id"])).json()["status"] == "Done"
    return bot["bot_id"], files


def platform_stored(s3_server, bot_id: str, name: str) -> bytes:
    """A file of the bot as the platform bucket holds it."""
    from tests.support.workers import PLATFORM_BUCKET

    key = f"meetstream/{bot_id}_{name}"
    return s3_server.client().get_object(Bucket=PLATFORM_BUCKET, Key=key)["Body"].read()
