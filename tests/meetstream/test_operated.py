"""The processes as docs/operations.md runs them: a worker's level and format come
from LOG_LEVEL and LOG_FORMAT alone, gunicorn's own lines are JSON too, a worker's metrics are
behind METRICS_TOKEN on loopback, and a web and a worker sharing PROMETHEUS_MULTIPROC_DIR count
apart."""

import json
import os
import re
import signal
import time
from pathlib import Path

import pytest
import requests

from meetstream.shared.processes import free_port
from tests.support.media import create_bot, hand_over, sample_media
from tests.support.processes import children_of, gunicorn_start, needs_redis
from tests.support.workers import wait_for_done

TOKEN = "metrics-token-for-tests"
UPLOADED = re.compile(r'meetstream_uploads_total\{outcome="uploaded",reason="none"\} (\S+)')


@pytest.fixture(autouse=True)
def _committed(transactional_db):
    """Uploads are queued on commit, as in production."""


def not_json(text: str) -> list[str]:
    """The lines of a log that are not one JSON object each."""
    wrong = []
    for line in filter(None, text.splitlines()):
        try:
            json.loads(line)
        except ValueError:
            wrong.append(line)
    return wrong


def messages(text: str) -> list[str]:
    return [json.loads(line)["message"] for line in filter(None, text.splitlines())]


def uploads_counted(url: str, **headers) -> float:
    response = requests.get(url, headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    found = UPLOADED.search(response.text)
    return float(found[1]) if found else 0.0


def listening_addresses(port: int) -> set[str]:
    """The local addresses a TCP socket listens on for this port (from /proc/net/tcp)."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, hex_port = local.split(":")
        if int(hex_port, 16) == port and state == "0A":
            found.add(".".join(str(b) for b in reversed(bytes.fromhex(address))))
    return found


@pytest.mark.e2e
@needs_redis
def test_a_worker_run_as_the_readme_says_logs_info_in_json_and_guards_its_metrics(
    api, recorder, workers, tmp_path
):
    port = free_port()
    worker = workers.start(
        loglevel=None,  # `celery -A meetstream worker`, as docs/operations.md writes it
        LOG_LEVEL="INFO",
        LOG_FORMAT="json",
        WORKER_METRICS_PORT=str(port),
        METRICS_TOKEN=TOKEN,
    )
    bot = create_bot(api)
    files = sample_media(bot, screenshots=1)
    hand_over(recorder, bot["bot_id"], files)
    wait_for_done(api, [bot["bot_id"]], workers)
    for child in children_of(worker.process.pid):
        os.kill(child, signal.SIGKILL)  # billiard says so in a line of its own
    time.sleep(1)
    url = f"http://127.0.0.1:{port}/metrics"
    refused = requests.get(url, timeout=10)
    counted = uploads_counted(url, Authorization=f"Bearer {TOKEN}")
    worker.stop()

    output = worker.log.read_text()
    assert not_json(output) == [], output[-3000:]
    said = messages(output)
    assert any(message.startswith("Upload pass") for message in said), said
    assert any("succeeded in" in message for message in said), said  # Celery's task lines
    assert any("exited with" in message for message in said), said
    assert refused.status_code == 401 and "METRICS_TOKEN" in refused.json()["message"]
    assert counted == len(files) + 1


@pytest.mark.e2e
@needs_redis
def test_the_worker_metrics_listen_on_loopback_unless_told(workers):
    port = free_port()
    workers.start(WORKER_METRICS_PORT=str(port))

    assert listening_addresses(port) == {"127.0.0.1"}
    other = free_port()
    workers.start(WORKER_METRICS_PORT=str(other), WORKER_METRICS_ADDRESS="0.0.0.0")
    assert listening_addresses(other) == {"0.0.0.0"}


@pytest.mark.e2e
@needs_redis
def test_a_web_and_a_worker_sharing_one_metrics_folder_count_apart(
    api, recorder, workers, tmp_path
):
    shared = tmp_path / "metrics"
    port = free_port()
    workers.start(WORKER_METRICS_PORT=str(port), PROMETHEUS_MULTIPROC_DIR=str(shared))
    bot = create_bot(api)
    files = sample_media(bot, screenshots=1)
    hand_over(recorder, bot["bot_id"], files)
    wait_for_done(api, [bot["bot_id"]], workers)
    worker_url = f"http://127.0.0.1:{port}/metrics"

    web = gunicorn_start(log=tmp_path / "web.log", PROMETHEUS_MULTIPROC_DIR=str(shared))
    try:
        web_counted = uploads_counted(f"{web.url}/metrics")
    finally:
        web.stop()
    again = gunicorn_start(log=tmp_path / "web-again.log", PROMETHEUS_MULTIPROC_DIR=str(shared))
    again.stop()

    assert web_counted == 0, "the web uploads nothing"
    assert uploads_counted(worker_url) == len(files) + 1, "a web's restart kept them"
    assert sorted(folder.name.split("-")[0] for folder in shared.iterdir()) == ["worker"]


@pytest.mark.e2e
def test_gunicorn_writes_its_own_lines_in_json_too(tmp_path):
    server = gunicorn_start(log=tmp_path / "gunicorn.log", LOG_FORMAT="json")
    try:
        [first] = children_of(server.process.pid)
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not [
            pid for pid in children_of(server.process.pid) if pid != first
        ]:
            time.sleep(0.1)
        assert requests.get(f"{server.url}/healthz", timeout=10).status_code == 200
    finally:
        server.stop()

    output = server.log.read_text()
    assert not_json(output) == [], output[-3000:]
    said = messages(output)
    assert sum("Booting worker" in message for message in said) == 2, said
    assert any(str(first) in message for message in said[2:]), said
