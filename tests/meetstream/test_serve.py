"""`make serve`, the web tier as deployed on one machine: slow clients do not freeze it.

gunicorn's gthread workers give a connection a thread while its headers arrive: eight clients
trickling header lines once kept `/healthz` from answering for 20 s. `make serve` puts nginx in
front, which reads headers on its event loop."""

import hashlib
import http.client
import json
import shutil
import signal
import socket
import tempfile
import threading
import time
from pathlib import Path

import pytest

from meetstream.management.commands.serve import nginx_path
from tests.conftest import RECORDER_TOKEN
from tests.support.api import PUT
from tests.support.media import MEDIA, create_bot
from tests.support.processes import served_start

pytestmark = [
    pytest.mark.skipif(
        nginx_path() is None, reason="Debian's nginx is not installed (.ci/run installs it)"
    ),
    pytest.mark.django_db(transaction=True),
]

SLOW_CLIENTS = 64


class Tricklers:
    """Clients that open a request and send one header line at a time, never ending it."""

    def __init__(self, port: int, count: int, every: float = 0.25) -> None:
        self.sockets = [
            socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(count)
        ]
        for sock in self.sockets:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        self.lines_sent = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._trickle, args=(every,), daemon=True)
        self._thread.start()

    def _trickle(self, every: float) -> None:
        while not self._stop.wait(every):
            for sock in self.sockets:
                sock.sendall(b"X-Trickle: still coming\r\n")
            self.lines_sent += 1

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        for sock in self.sockets:
            sock.close()


def healthz(port: int) -> tuple[int, float]:
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "/healthz")
        status = connection.getresponse().status
    finally:
        connection.close()
    return status, time.monotonic() - started


@pytest.fixture
def served(tmp_path):
    server = served_start(log=tmp_path / "serve.log", RECORDER_TOKEN=RECORDER_TOKEN)
    yield server
    server.stop()


@pytest.mark.slow
def test_healthz_answers_within_a_second_while_64_clients_trickle_their_headers(served):
    port = int(served.url.rsplit(":", 1)[1])
    slow = Tricklers(port, SLOW_CLIENTS)
    try:
        time.sleep(1)  # every slow client is in, holding its connection
        answers = []
        for _ in range(10):
            answers.append(healthz(port))
            time.sleep(0.2)
        still_trickling = slow.lines_sent
    finally:
        slow.stop()

    assert still_trickling >= 10  # the slow clients were sending all along
    assert [status for status, _ in answers] == [200] * 10
    slowest = max(seconds for _, seconds in answers)
    assert slowest < 1, f"/healthz took {slowest:.2f} s"


@pytest.mark.slow
def test_the_api_and_a_streamed_recorder_upload_work_through_the_front(served, api):
    bot = create_bot(api)
    data = bytes(range(256)) * 4096 * 5  # 5 MiB, sent chunked: nginx passes it on as it comes
    port = int(served.url.rsplit(":", 1)[1])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request(
        "PUT",
        MEDIA.format(bot["bot_id"], "meeting_recording.mp4"),
        body=iter([data[: len(data) // 2], data[len(data) // 2 :]]),
        headers={
            "Authorization": f"Bearer {RECORDER_TOKEN}",
            "Content-Type": "application/octet-stream",
        },
        encode_chunked=True,
    )
    stored = connection.getresponse()
    answer = json.loads(stored.read())
    connection.close()

    assert stored.status == 201, answer
    assert answer["size"] == len(data) and answer["sha256"] == hashlib.sha256(data).hexdigest()


@pytest.mark.slow
def test_a_body_too_large_for_the_api_is_a_413_with_a_message(served):
    port = int(served.url.rsplit(":", 1)[1])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request(
        "PUT",
        PUT,
        body=b"{" + b" " * (2 * 1024 * 1024) + b"}",
        headers={"Content-Type": "application/json"},
    )
    response = connection.getresponse()

    assert response.status == 413
    assert json.loads(response.read())["message"]


@pytest.mark.e2e
def test_sigterm_stops_both_servers_and_leaves_nothing_behind(tmp_path):
    scratch = tempfile.mkdtemp(prefix="ms-")  # short: it holds the Unix socket's folder
    server = served_start(log=tmp_path / "serve.log", TMPDIR=scratch)
    port = int(server.url.rsplit(":", 1)[1])
    try:
        assert len(list(Path(scratch).glob("meetstream-serve-*"))) == 1
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=30) == 0
    finally:
        server.stop()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1)
    assert list(Path(scratch).glob("meetstream-serve-*")) == []
    shutil.rmtree(scratch)
