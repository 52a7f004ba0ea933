"""Plays the recorder: realistic media handed over through the same services as its API."""

import json
import math
import random
import struct
import tempfile
import time
import uuid
import wave
import zlib
from datetime import datetime, timedelta
from pathlib import Path

from django.utils import timezone

from bots.bot.lifecycle import BotEventType, BotStatus
from bots.bot.services import artifact_stage, bot_left, bot_transition
from bots.models import Bot

CHUNK = 1024 * 1024
DEMO_VIDEO = Path(__file__).with_name("demo") / "meeting.mp4"
DEMO_SECONDS = 4.0  # the demo clip's length, and so the simulated meeting's


def wav_write(path: Path, *, seconds: float, rate: int = 16_000) -> None:
    """A mono 16-bit WAV of a 440 Hz tone, written a second at a time."""
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        second = b"".join(
            struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * n / rate)))
            for n in range(rate)
        )
        whole, rest = divmod(int(seconds * rate), rate)
        for _ in range(whole):
            out.writeframes(second)
        out.writeframes(second[: rest * 2])


def video_write(path: Path, *, size: int | None = None) -> None:
    """The demo clip (4 s of H.264 and AAC, made by demo/make_meeting_mp4.py), padded with a
    trailing `free` box up to `size` bytes when a larger file is asked for: it still plays."""
    clip = DEMO_VIDEO.read_bytes()
    padding = max(0, (size or 0) - len(clip))
    if 0 < padding < 16:
        padding = 16  # the smallest box with a 64-bit size
    with path.open("wb") as out:
        out.write(clip)
        if padding:
            out.write(struct.pack(">I4sQ", 1, b"free", padding))
            block = bytes(CHUNK)
            left = padding - 16
            while left > 0:
                out.write(block[: min(left, CHUNK)])
                left -= CHUNK


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = struct.pack(">I", zlib.crc32(kind + data))
    return struct.pack(">I", len(data)) + kind + data + crc


def png_bytes(*, width: int = 64, height: int = 36, seed: int = 0) -> bytes:
    """A valid PNG of one colour."""
    colour = random.Random(seed).randbytes(3)  # noqa: S311
    rows = b"".join(b"\x00" + colour * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(rows))
        + _png_chunk(b"IEND", b"")
    )


def meeting_documents(
    bot: Bot, started: datetime, seconds: float = DEMO_SECONDS
) -> dict[str, object]:
    """The JSON files of a meeting `seconds` long: participants, chats, raw and processed
    transcript, its lines spread over the meeting and ending inside it."""
    speakers = ["Ada Lovelace", "Alan Turing"]
    said = ["Shall we start?", "Yes, the numbers are in.", "Ship it on Monday."]
    turn = seconds / len(said)
    lines = [
        {
            "speaker": speakers[n % 2],
            "transcript": text,
            "start_time": round(turn * n, 3),
            "end_time": round(turn * n + 0.8 * turn, 3),
        }
        for n, text in enumerate(said)
    ]
    at = started.isoformat()
    folder = f"transcription/{bot.transcript_provider}/{bot.transcript_id}"
    return {
        "participants.json": [{"name": name, "joined_at": at} for name in speakers],
        "chats.json": [{"sender": speakers[0], "message": "Hello!", "sent_at": at}],
        f"{folder}/raw_transcript.json": {"provider": bot.transcript_provider, "results": lines},
        f"{folder}/processed_transcript.json": [{**line, "words": []} for line in lines],
    }


def recording_simulate(
    *,
    bot: Bot,
    started: datetime,
    seconds: float = DEMO_SECONDS,
    screenshots: int = 3,
    video_bytes: int | None = None,
) -> list[str]:
    """Stage the recording of a meeting that began at `started` and lasted `seconds`: audio of
    that length, screenshots taken inside it; returns the artifact names handed over."""
    with tempfile.TemporaryDirectory() as folder:
        files: dict[str, Path] = {}

        def add(name: str, write) -> None:
            files[name] = Path(folder) / name.replace("/", "_")
            write(files[name])

        add("audio.wav", lambda path: wav_write(path, seconds=seconds))
        add("meeting_recording.mp4", lambda path: video_write(path, size=video_bytes))
        for name, document in meeting_documents(bot, started, seconds).items():
            add(name, lambda path, d=document: path.write_text(json.dumps(d, indent=2)))
        for n in range(screenshots):
            shot = str(uuid.uuid4())
            taken = (started + timedelta(seconds=seconds * (n + 0.5) / screenshots)).isoformat()
            add(f"screenshots/{shot}.png", lambda path, n=n: path.write_bytes(png_bytes(seed=n)))
            add(
                f"screenshots/{shot}.json",
                lambda path, d={"id": shot, "captured_at": taken}: path.write_text(json.dumps(d)),
            )
        for name, path in files.items():
            with path.open("rb") as stream:
                artifact_stage(bot=bot, name=name, stream=stream)
    return list(files)


def meeting_simulate(*, bot: Bot, seconds: float = DEMO_SECONDS, **media) -> None:
    """A whole meeting in real time: join, stay `seconds`, hand the recording over, leave
    (which queues the upload). Waiting keeps the media's times inside the bot's own: every
    screenshot falls between its joined and left events."""
    if bot.status == BotStatus.JOINING:
        bot_transition(bot=bot, event=BotEventType.JOINED)
    started = timezone.now()
    time.sleep(seconds)
    recording_simulate(bot=bot, started=started, seconds=seconds, **media)
    bot_left(bot=bot)
