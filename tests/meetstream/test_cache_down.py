"""Redis away: the throttles that count in it fail open (docs/operations.md),
and nobody gets a 500 for it."""

import time

import pytest

from meetstream.shared import throttling
from meetstream.shared.processes import free_port
from tests.support.api import PUT


@pytest.fixture
def cache_unreachable(settings, db):
    """The shared cache points at a port nothing listens on."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {"socket_timeout": 1, "socket_connect_timeout": 1},
        }
    }
    throttling.cache_down_forget()
    yield
    throttling.cache_down_forget()


def test_a_wrong_api_key_is_a_401_while_the_cache_is_away(cache_unreachable, client, caplog):
    response = client.get("/api/v1/bots", HTTP_AUTHORIZATION="Token not-a-key")

    assert response.status_code == 401
    assert response.json()["message"] == "Invalid API key."
    assert "requests are not throttled" in caplog.text


def test_a_wrong_recorder_token_is_a_401_while_the_cache_is_away(cache_unreachable, client):
    response = client.post(
        "/internal/v1/bots/nobody/left", HTTP_AUTHORIZATION="Bearer not-the-token"
    )

    assert response.status_code == 401
    assert response.json()["message"] == "Invalid recorder token."


def test_a_configuration_is_saved_while_the_cache_is_away(cache_unreachable, api, config_body):
    response = api.put(PUT, config_body(), format="json")

    assert response.status_code == 200, response.json()


def test_after_one_failure_the_cache_is_left_alone_for_a_while(cache_unreachable, client):
    client.get("/api/v1/bots", HTTP_AUTHORIZATION="Token not-a-key")
    started = time.monotonic()
    statuses = [
        client.get("/api/v1/bots", HTTP_AUTHORIZATION="Token not-a-key").status_code
        for _ in range(20)
    ]

    assert statuses == [401] * 20
    assert throttling.cache_down()
    assert time.monotonic() - started < 5  # not 20 connection attempts
