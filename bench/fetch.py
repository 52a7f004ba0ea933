"""Fetches served by gunicorn to concurrent clients, and fetches for a tenant with 100,000 files."""

import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from django.conf import settings

from bench.setup import Bench, ok, statistics_refresh, tenant_client
from bench.timing import Row, compare
from bots.bot.services import bot_create
from bots.models import Bot, BotArtifact, Pin
from bots.pipeline.uploads import media_upload
from bots.recorder.simulation import meeting_simulate
from meetstream.tenants.services import tenant_get_or_create
from tests.support.media import uploaded_screenshot_rows
from tests.support.processes import Gunicorn, gunicorn_start

ROOT = Path(__file__).resolve().parents[1]
CLIENTS = 4
REQUESTS = 300
ROUNDS = 3


def _recorded_bot(tenant) -> Bot:
    bot = bot_create(tenant=tenant, meeting_link="https://meet.google.com/abc", bot_name="bench")
    meeting_simulate(bot=bot, screenshots=20, seconds=0.1)
    # `left` queued the upload for a worker; the bench has none, so it uploads here.
    media_upload(bot=bot, owner="bench")
    bot.refresh_from_db()
    assert bot.status == "Done", bot.status
    return bot


def _gunicorn(work: str) -> Gunicorn:
    """The web as deployed (the project's gunicorn config: gthread, 4 threads), 2 workers."""
    return gunicorn_start(
        log=Path(work) / "fetch-web.log",
        workers=2,
        PLATFORM_S3_ENDPOINT_URL=settings.PLATFORM_S3_ENDPOINT_URL,
        PLATFORM_S3_ACCESS_KEY_ID="bench",
        PLATFORM_S3_SECRET_ACCESS_KEY="bench",
    )


def _load(url: str, key: str) -> tuple[float, list[float]]:
    """CLIENTS sessions send REQUESTS requests in all; requests per second and latencies (ms)."""
    sessions = [requests.Session() for _ in range(CLIENTS)]
    for session in sessions:
        session.headers["Authorization"] = f"Token {key}"

    def one(n: int) -> float:
        started = time.perf_counter()
        response = sessions[n % CLIENTS].get(url, timeout=30)
        assert response.status_code == 200, response.text[:300]
        return (time.perf_counter() - started) * 1e3

    started = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        latencies = list(pool.map(one, range(REQUESTS)))
    return REQUESTS / (time.perf_counter() - started), latencies


def _served_rows(bench: Bench, bot: Bot) -> list[Row]:
    server = _gunicorn(bench.work)
    base = server.url
    paths = {
        "status": f"/api/v1/bots/{bot.public_id}/status",
        "get_audio": f"/api/v1/bots/{bot.public_id}/get_audio",
        "?type=chat": f"/api/v1/bots/{bot.public_id}?type=chat",
        "screenshots": f"/api/v1/bots/{bot.public_id}/screenshots",
        "screenshots, attachment": (
            f"/api/v1/bots/{bot.public_id}/screenshots?disposition=attachment"
        ),
    }
    rates: dict[str, list[float]] = {name: [] for name in paths}
    latencies: dict[str, list[float]] = {name: [] for name in paths}
    try:
        for path in paths.values():
            _load(f"{base}{path}", bench.key)  # warm up
        for _ in range(ROUNDS):
            for name, path in paths.items():
                rate, times = _load(f"{base}{path}", bench.key)
                rates[name].append(rate)
                latencies[name] += times
    finally:
        server.stop()

    def p99(name: str) -> float:
        return statistics.quantiles(latencies[name], n=100)[98]

    floor = statistics.median(rates["status"])
    rows = []
    targets = {"get_audio": 0.8, "screenshots": 0.6, "screenshots, attachment": 0.6}
    for name in ("get_audio", "?type=chat", "screenshots", "screenshots, attachment"):
        rows.append(
            Row(
                f"gunicorn, {CLIENTS} clients: {name} vs status (req/s)",
                statistics.median(rates[name]),
                floor,
                unit="/s",
                kind="throughput",
                target=targets.get(name),
            )
        )
        rows.append(Row(f"  p99 latency {name} vs status", p99(name), p99("status")))
    return rows


def _crowd(tenant, artifacts: int) -> None:
    """A tenant holding `artifacts` uploaded files over bots of a thousand files each."""
    per_bot = 1000
    for start in range(0, artifacts, per_bot):
        bot = Bot.objects.create(
            tenant=tenant,
            meeting_link="https://meet.google.com/x",
            bot_name="crowd",
            platform="google_meet",
            status="Done",
        )
        where = {"bucket": "bench-bucket", "region": "us-east-1", "endpoint_url": ""}
        Pin.objects.create(bot=bot, location=where, prefixes={})
        uploaded_screenshot_rows(bot, min(per_bot, artifacts - start), bucket="bench-bucket")


def _scale_rows(bench: Bench) -> list[Row]:
    clients, bots = {}, {}
    for name, extra in (("small", 0), ("large", 100_000)):
        tenant = tenant_get_or_create(name=f"scale-{name}")
        bots[name] = _recorded_bot(tenant)
        _crowd(tenant, extra)
        clients[name] = tenant_client(tenant)
    statistics_refresh()
    total = BotArtifact.objects.filter(bot__tenant__name="scale-large").count()
    rows = []
    for label, suffix in (
        ("get_audio", "/get_audio"),
        ("status", "/status"),
        ("screenshots", "/screenshots"),
    ):
        rows.append(
            compare(
                f"{label}: tenant with {total:,} files vs with {BotArtifact.objects.filter(bot__tenant__name='scale-small').count()}",
                lambda s=suffix: ok(
                    clients["large"].get(f"/api/v1/bots/{bots['large'].public_id}{s}")
                ),
                lambda s=suffix: ok(
                    clients["small"].get(f"/api/v1/bots/{bots['small'].public_id}{s}")
                ),
                rounds=200,
                target=1.2,
            )
        )
    return rows


def rows(bench: Bench) -> list[Row]:
    bot = _recorded_bot(bench.tenant)
    return _served_rows(bench, bot) + _scale_rows(bench)
