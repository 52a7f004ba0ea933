"""A recorder upload cut off by a dying web worker leaves a `.part` file in staging: the engine's
sweep deletes it once its writer is gone, and a deletion of the bot's media takes it at once."""

import os
import signal
import socket
import time
from pathlib import Path

import pytest

from bots.tasks import run_due_work
from tests.conftest import RECORDER_TOKEN
from tests.support.media import create_bot, staged_files
from tests.support.processes import children_of, gunicorn_start

pytestmark = pytest.mark.django_db(transaction=True)  # uploads are queued on commit


MiB = 1024 * 1024


def put_started(url: str, bot_id: str, *, length: int, sent: int) -> socket.socket:
    """A recorder PUT that announces `length` bytes and sends `sent` of them, then waits."""
    host, port = url.removeprefix("http://").split(":")
    conn = socket.create_connection((host, int(port)), timeout=10)
    conn.sendall(
        f"PUT /internal/v1/bots/{bot_id}/media/meeting_recording.mp4 HTTP/1.1\r\n"
        f"Host: {host}\r\nAuthorization: Bearer {RECORDER_TOKEN}\r\n"
        f"Content-Type: application/octet-stream\r\nContent-Length: {length}\r\n\r\n".encode()
    )
    conn.sendall(bytes(sent))
    return conn


def partial_of(media_root, bot_id: str, within: float = 20) -> Path:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        parts = [path for path in staged_files(media_root, bot_id) if path.suffix == ".part"]
        if parts and parts[0].stat().st_size > 0:
            return parts[0]
        time.sleep(0.05)
    raise AssertionError("no partial file appeared")


def aged(path: Path, seconds: float = 600) -> None:
    """As if the file had not been written to for a while."""
    then = time.time() - seconds
    os.utime(path, (then, then))


@pytest.mark.e2e
def test_a_killed_web_workers_partial_file_is_deleted_and_a_live_ones_kept(
    api, media_root, tmp_path
):
    bot = create_bot(api)
    server = gunicorn_start(
        log=tmp_path / "gunicorn.log", MEDIA_ROOT=str(media_root), RECORDER_TOKEN=RECORDER_TOKEN
    )
    try:
        conn = put_started(server.url, bot["bot_id"], length=64 * MiB, sent=2 * MiB)
        partial = partial_of(media_root, bot["bot_id"])
        aged(partial)

        alive = run_due_work()["staged_partials"]
        assert (alive, partial.exists()) == (0, True), "its writer is alive: it stays"

        for worker in children_of(server.process.pid):
            os.kill(worker, signal.SIGKILL)
        conn.close()
        # Its lock goes once the killed worker is reaped: under load, not at once.
        deadline = time.monotonic() + 20
        while not (dead := run_due_work()["staged_partials"]) and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        server.stop()

    assert (dead, partial.exists()) == (1, False)


def test_a_young_partial_file_is_left_to_its_writer(api, media_root):
    bot = create_bot(api)
    folder = Path(media_root) / "staging" / bot["bot_id"]
    folder.mkdir(parents=True)
    (folder / "0123-audio.wav.part").write_bytes(b"just created, not yet locked")

    assert run_due_work()["staged_partials"] == 0
    assert [path.name for path in staged_files(media_root, bot["bot_id"])] == [
        "0123-audio.wav.part"
    ]


@pytest.mark.slow
def test_deleting_a_bots_media_deletes_its_partial_files_at_once(api, recorder, media_root):
    bot = create_bot(api)
    assert recorder.post(f"/internal/v1/bots/{bot['bot_id']}/left").status_code == 202
    folder = Path(media_root) / "staging" / bot["bot_id"]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "0123-audio.wav.part").write_bytes(b"left by a killed request")

    response = api.post(f"/api/v1/bots/{bot['bot_id']}/delete_data")

    assert response.status_code == 202, response.json()
    assert staged_files(media_root, bot["bot_id"]) == []
    media = api.get(f"/api/v1/bots/{bot['bot_id']}/status").json()["media"]
    assert media["state"] == "deleted"
