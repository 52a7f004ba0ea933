"""Uploads as deployed: gunicorn (the project's config) takes the recorder's `left`, and a
Celery worker (prefork, `--beat`, docs/operations.md's command) on Redis uploads; timed from `left`
until the bot is Done, against boto3 `upload_file` of the same files on the same server."""

import os
import secrets
import statistics
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests
from django.conf import settings

from bench.setup import Bench
from bench.timing import Row, spread, timed
from bench.upload import BIG, MiB, left_bot, plain_boto3, recording, screenshots
from bots.models import Bot
from bots.recorder.simulation import video_write, wav_write
from tests.support.faults import FaultProxy
from tests.support.processes import Gunicorn, Worker, children_of, gunicorn_start, worker_start

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "")
ROUNDS = 3
LONE_ROUNDS = 5
IDLE = 0.3  # seconds for moto to settle (free what it held) before the next upload starts
LATENCY_BOTS = 20


@dataclass
class Deployment:
    web: Gunicorn
    worker: Worker
    token: str

    def left(self, bot: Bot) -> float:
        """Tell the web the bot left, as the recorder does; when it was told (epoch seconds)."""
        started = time.time()
        response = requests.post(
            f"{self.web.url}/internal/v1/bots/{bot.public_id}/left",
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=30,
        )
        assert response.status_code == 202, response.text[:300]
        return started

    def most_grown(self, idle: dict[int, int]) -> tuple[float, float]:
        """The pool process that grew most since `idle` (pool_rss("VmRSS")): its growth
        (VmHWM - idle VmRSS) and its peak, in MiB."""
        peak = self.pool_rss("VmHWM")
        grown = {pid: peak[pid] - idle.get(pid, peak[pid]) for pid in peak}
        pid = max(grown, key=grown.get)
        return grown[pid] / MiB, peak[pid] / MiB

    def pool_rss(self, field: str) -> dict[int, int]:
        """VmRSS or VmHWM (bytes) of each of the worker's child processes."""
        sizes = {}
        for pid in children_of(self.worker.process.pid):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith(f"{field}:"):
                    sizes[pid] = int(line.split()[1]) * 1024
        return sizes


@contextmanager
def deployment(bench: Bench, *, processes: int = 2):
    token = secrets.token_urlsafe(32)
    queue = f"bench-{uuid.uuid4().hex[:8]}"
    folder = Path(bench.work) / queue
    folder.mkdir()
    env = {
        "REDIS_URL": REDIS_URL,
        "CELERY_QUEUE": queue,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "PLATFORM_S3_ENDPOINT_URL": bench.server.url,
        "PLATFORM_S3_ACCESS_KEY_ID": "bench",
        "PLATFORM_S3_SECRET_ACCESS_KEY": "bench",
        "RECORDER_TOKEN": token,
        "LOG_LEVEL": "INFO",
    }
    web = gunicorn_start(log=folder / "web.log", workers=2, **env)
    try:
        worker = worker_start(
            log=folder / "worker.log", queue=queue, concurrency=processes, deployed=True, **env
        )
        try:
            yield Deployment(web, worker, token)
        finally:
            worker.stop()
    finally:
        web.stop()


def _all_done(bots: list[Bot], *, timeout: float = 900) -> float:
    """When every bot was Done (epoch seconds), polled lightly so the poll steals no CPU."""
    deadline = time.monotonic() + timeout
    pks = [bot.pk for bot in bots]
    while Bot.objects.filter(pk__in=pks, status="Done").count() < len(pks):
        assert time.monotonic() < deadline, "the worker did not finish in time"
        time.sleep(0.02)
    return time.time()


def _left_to_done(deployed: Deployment, bots: list[Bot]) -> float:
    started = min(deployed.left(bot) for bot in bots)
    return _all_done(bots) - started


def _first_request_latencies(bench: Bench, deployed: Deployment) -> list[float]:
    """Milliseconds from `left` to the first S3 request of the bot's upload, one small bot at a
    time, seen by a recording proxy in front of the S3 server."""
    arrivals: list[tuple[float, str]] = []
    proxy = FaultProxy(bench.server.url, lambda _, path: arrivals.append((time.time(), path)))
    try:
        tenant = bench.tenant_storing_at(proxy.url)
        audio = Path(bench.work) / "latency.wav"
        wav_write(audio, seconds=2)
        latencies = []
        for _ in range(LATENCY_BOTS):
            bot = left_bot(tenant, {"audio.wav": audio}, leave=False)
            started = deployed.left(bot)
            _all_done([bot])
            first = min(at for at, path in arrivals if bot.public_id in path)
            latencies.append((first - started) * 1e3)
            time.sleep(0.2)  # an idle worker between bots, as when bots leave one by one
        return latencies
    finally:
        proxy.stop()


def _scaling(bench: Bench, folder: Path) -> dict[int, float]:
    """Seconds from 20 bots leaving at once until all are Done, with 1 and 2 pool processes."""
    folder.mkdir()
    video, audio = folder / "video.mp4", folder / "audio.wav"
    video_write(video, size=16 * MiB)
    wav_write(audio, seconds=120)
    files = {"meeting_recording.mp4": video, "audio.wav": audio, **screenshots(folder, 10)}
    times = {}
    for processes in (1, 2):
        with deployment(bench, processes=processes) as deployed:
            bots = [left_bot(bench.tenant, files, leave=False) for _ in range(20)]
            times[processes] = _left_to_done(deployed, bots)
    return times


def _side_by_side(bench: Bench, deployed: Deployment, files, rounds: int):
    """Each round: the bot from `left` to Done, then boto3 upload_file of the same files, each
    started once the machine is idle again; then both copies are deleted, so every round
    starts with the same moto. A first round, not measured, warms the pool processes."""
    ours, base = [], []
    for _ in range(rounds + 1):
        bot = left_bot(bench.tenant, files, leave=False)
        time.sleep(IDLE)
        ours.append(_left_to_done(deployed, [bot]))
        time.sleep(IDLE)
        base.append(timed(lambda: plain_boto3(bench, files, one_call="upload_file")))
        bench.buckets_empty()
    return ours[1:], base[1:]


def _lone_file(work: str) -> dict[str, Path]:
    video = Path(work) / "lone" / "video.mp4"
    video.parent.mkdir()
    video_write(video, size=256 * MiB)
    return {"meeting_recording.mp4": video}


def _big_files_memory(bench: Bench, count: int = 8) -> tuple[float, float]:
    """A fresh pool process's growth (VmHWM - its idle VmRSS) and its peak, in MiB, while one
    bot's `count` files of 64 MiB go up at once (MEDIA_UPLOAD_CONCURRENCY 8)."""
    folder = Path(bench.work) / "big-files"
    folder.mkdir()
    files = {}
    for n in range(count):
        # Screenshot names, since a bot has one video: the upload reads no content.
        path = folder / f"{n}.png"
        video_write(path, size=64 * MiB)
        files[f"screenshots/{uuid.uuid4()}.png"] = path
    with deployment(bench, processes=1) as deployed:
        idle = deployed.pool_rss("VmRSS")
        _left_to_done(deployed, [left_bot(bench.tenant, files, leave=False)])
        grown = deployed.most_grown(idle)
    bench.buckets_empty()
    return grown


def rows(bench: Bench) -> list[Row]:
    if not REDIS_URL:
        print("deployed: skipped, no Redis (set REDIS_URL)")
        return []
    mixed, lone = recording(bench.work), _lone_file(bench.work)
    # A quiet disk: the gigabytes earlier sections left in moto's files, and these inputs,
    # would otherwise be flushed during the rows below.
    bench.buckets_empty()
    os.sync()
    with bench.own_server() as own:
        return _rows(own, mixed, lone)


def _rows(bench: Bench, mixed: dict[str, Path], lone: dict[str, Path]) -> list[Row]:
    with deployment(bench) as deployed:
        idle = deployed.pool_rss("VmRSS")
        lone_ours, lone_base = _side_by_side(bench, deployed, lone, LONE_ROUNDS)
        ours, base = _side_by_side(bench, deployed, mixed, ROUNDS)
        growth, _ = deployed.most_grown(idle)
        latencies = _first_request_latencies(bench, deployed)
    big_growth, big_peak = _big_files_memory(bench)
    scaled = _scaling(bench, Path(bench.work) / "scaling")
    p50, p90 = statistics.median(latencies), statistics.quantiles(latencies, n=10)[8]
    return [
        Row(
            f"Worker on Redis, single file: a lone 256 MiB video, `left` to Done vs boto3 "
            f"upload_file ({LONE_ROUNDS} runs)",
            statistics.median(lone_ours),
            statistics.median(lone_base),
            unit="s",
            target=1.1,
            spread=spread(lone_ours, lone_base),
        ),
        Row(
            f"Worker on Redis, mixed: {BIG}, `left` to Done vs boto3 upload_file ({ROUNDS} runs)",
            statistics.median(ours),
            statistics.median(base),
            unit="s",
            target=1.2,
            spread=spread(ours, base),
        ),
        Row(
            "  peak memory growth of a pool process during those uploads vs the 150 MiB bound",
            growth,
            150,
            unit="MB",
            target=1.0,
        ),
        Row(
            "Worker on Redis: 8 files of 64 MiB at once, a fresh pool process's growth vs 150 MiB",
            big_growth,
            150,
            unit="MB",
            target=1.0,
        ),
        Row("  its peak (VmHWM, Django and all) vs the same 150 MiB", big_peak, 150, unit="MB"),
        Row(
            f"Worker on Redis: `left` to first S3 request, p50 of {LATENCY_BOTS} vs 100 ms goal",
            p50,
            100,
            target=1.0,
        ),
        Row("  p90 of the same vs 200 ms", p90, 200, target=1.0),
        Row(
            "20 bots leave at once: 2 pool processes vs 1, time to all Done",
            scaled[2],
            scaled[1],
            unit="s",
        ),
    ]
