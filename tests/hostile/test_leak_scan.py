"""One whole day of a tenant, watched end to end: the secret is in no response, log line,
Redis message or rendered page, and the database holds it only as ciphertext."""

import base64
import json
import os
import re
import threading
import time
import uuid

import pytest
import redis
from django.db import connection

from tests.support.api import PUT
from tests.support.media import create_bot, hand_over, sample_media
from tests.support.processes import needs_redis
from tests.support.workers import wait_for_done

pytestmark = needs_redis

SECRET = "leak/scan+secret-0123456789-do-not-leak-abcdef"
KEY_ID = "AKIALEAKSCANKEY00001"


class RedisTraffic:
    """Every command any client sends Redis while the test runs (MONITOR). MONITOR's stream
    lags behind under load: `seen()` waits until it has caught up with a mark sent now."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.client = redis.Redis.from_url(os.environ["REDIS_URL"])
        ready = threading.Event()

        def watch() -> None:
            with self.client.monitor() as monitor:
                ready.set()
                for command in monitor.listen():
                    self.lines.append(command["command"])
                    if "leak-scan-stop" in command["command"]:
                        return

        self.thread = threading.Thread(target=watch, daemon=True)
        self.thread.start()
        ready.wait(5)

    def seen(self) -> list[str]:
        mark = f"leak-scan-mark-{uuid.uuid4().hex}"
        self.client.get(mark)
        deadline = time.monotonic() + 30
        while not any(mark in line for line in self.lines) and time.monotonic() < deadline:
            time.sleep(0.05)
        return list(self.lines)

    def stop(self) -> None:
        self.client.get("leak-scan-stop")
        self.thread.join(10)


@pytest.fixture
def redis_traffic():
    traffic = RedisTraffic()
    yield traffic
    traffic.stop()


@pytest.mark.e2e
def test_a_whole_day_leaks_the_secret_nowhere(
    api,
    recorder,
    config_body,
    s3_server,
    bucket,
    workers,
    admin_client,
    redis_traffic,
    caplog,
    json_log,
    client,
):
    workers.start(LOG_FORMAT="json")
    body = config_body(access_key_id=KEY_ID, secret_key=SECRET)
    attempts = [
        body,
        {**body, "access_mode": "write_only"},
        {**body, "bucket_name": "no-such-bucket-x"},
        body,
    ]
    pages = [api.put(PUT, b, format="json").content for b in attempts]
    bot = create_bot(api)
    hand_over(recorder, bot["bot_id"], sample_media(bot, screenshots=2))
    wait_for_done(api, [bot["bot_id"]], workers)
    for path in ("/get_audio", "/get_video", "/screenshots", "?type=chat", "/status"):
        response = api.get(f"/api/v1/bots/{bot['bot_id']}{path}")
        assert response.status_code == 200, path
        pages.append(
            b"".join(response.streaming_content) if response.streaming else response.content
        )
    for path in (
        "/admin/storageconfig/storageconfig/",
        "/admin/storageconfig/storageconfig/add/",
        "/admin/bots/bot/",
        "/admin/meetstream/tenant/",
        "/admin/meetstream/apikey/",
    ):
        pages.append(admin_client.get(path).content)
    from bots.models import Bot

    pk = Bot.objects.get(public_id=bot["bot_id"]).pk
    pages.append(admin_client.get(f"/admin/bots/bot/{pk}/change/").content)
    pages.append(api.delete("/api/v1/admin/configs?key_name=aws").content)
    for path in ("/metrics", "/readyz", "/healthz"):
        pages.append(client.get(path).content)

    assert any(line.startswith("{") for line in workers.logs().splitlines()), "JSON lines"
    traffic = "\n".join(redis_traffic.seen())
    assert "bots.tasks.upload_bot_media" in traffic, "Redis carried the upload task"
    # Celery message bodies travel base64-encoded: read them decoded too.
    bodies = [
        base64.b64decode(b).decode() for b in re.findall(r'"body": "([A-Za-z0-9+/=]+)"', traffic)
    ]
    assert bodies, "task messages were seen"
    for body in bodies:  # task messages carry database ids only
        args = json.loads(body)[0]
        assert all(isinstance(arg, int) for arg in args), body
    places = {
        "Redis": traffic + "\n".join(bodies),
        "logs": caplog.text + workers.logs(),
        "JSON logs": json.dumps(json_log()),
        "pages": b"\n".join(pages).decode(errors="replace"),
    }
    for place, text in places.items():
        assert SECRET not in text, place
        assert KEY_ID not in text.replace(f"X-Amz-Credential={KEY_ID}", ""), place
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT secrets_json, CAST(options AS TEXT) FROM storageconfig_storageconfig"
        )
        rows = cursor.fetchall()
    stored = [bytes(secrets) for secrets, _ in rows if secrets is not None]
    stored += [options.encode() for _, options in rows]
    assert all(SECRET.encode() not in value and KEY_ID.encode() not in value for value in stored)
