"""/healthz and /readyz: what a load balancer asks, answered without auth and without detail."""

import time

import pytest
import requests
from django.test import Client

from meetstream.celery import app as celery_app
from meetstream.shared.processes import free_port
from tests.support.processes import gunicorn_start


def test_liveness_is_ok_without_touching_the_database():
    # No database fixture: pytest-django fails any query this test makes.
    response = Client().get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_readiness_is_ok_when_every_dependency_answers():
    response = Client().get("/readyz")

    assert response.status_code == 200, response.json()
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "broker": "ok", "staging": "ok", "platform_bucket": "ok"},
    }


@pytest.fixture
def broker_stopped():
    saved = celery_app.conf.broker_url
    celery_app.conf.broker_url = f"redis://127.0.0.1:{free_port()}/0"
    yield
    celery_app.conf.broker_url = saved


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_readiness_names_a_stopped_broker_and_an_unreachable_platform_bucket(
    settings, broker_stopped, caplog
):
    port = free_port()
    settings.PLATFORM_S3_ENDPOINT_URL = f"http://127.0.0.1:{port}"

    response = Client().get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["broker", "platform_bucket"]
    assert body["checks"] == {
        "database": "ok",
        "broker": "unavailable",
        "staging": "ok",
        "platform_bucket": "unavailable",
    }
    assert body["message"] == "Not ready: broker, platform_bucket unavailable."
    text = response.content.decode()
    for detail in ("127.0.0.1", str(port), settings.PLATFORM_S3_ACCESS_KEY_ID, "Error", "redis"):
        assert detail not in text
    # The log says why, down to the cause: the connection refused, and where.
    [broker] = [r.getMessage() for r in caplog.records if "broker is unavailable" in r.getMessage()]
    assert "Connection refused" in broker or "Error 111" in broker, broker
    [bucket] = [
        r.getMessage() for r in caplog.records if "platform_bucket is unavail" in r.getMessage()
    ]
    assert "unreachable" in bucket or str(port) in bucket, bucket


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_silent_platform_bucket_fails_readiness_within_its_bound(settings, silent_endpoint):
    settings.PLATFORM_S3_ENDPOINT_URL = silent_endpoint
    started = time.monotonic()

    response = Client().get("/readyz")

    # HeadBucket is bounded to 2 s; the whole answer, with margin for a loaded machine, well
    # under a load balancer's usual 5 to 10 s probe timeout.
    assert time.monotonic() - started < 4.5
    assert response.status_code == 503
    assert response.json()["failing"] == ["platform_bucket"]


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_with_the_database_down_liveness_says_ok_and_readiness_names_it(tmp_path):
    server = gunicorn_start(
        log=tmp_path / "gunicorn.log", DATABASE_URL=f"postgres://nobody@127.0.0.1:{free_port()}/x"
    )
    try:
        live = requests.get(f"{server.url}/healthz", timeout=10)
        ready = requests.get(f"{server.url}/readyz", timeout=10)
    finally:
        server.stop()

    assert (live.status_code, live.json()) == (200, {"status": "ok"})
    assert ready.status_code == 503
    assert "database" in ready.json()["failing"]
    assert "127.0.0.1" not in ready.text and "nobody" not in ready.text
