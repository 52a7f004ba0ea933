"""Failed credentials are throttled per client address; valid ones from there still get in."""

import pytest
from django.contrib.auth.models import User
from django.test import Client
from rest_framework.test import APIClient

from tests.support.api import client_address
from tests.support.media import create_bot

LOGIN = "/admin/login/?next=/admin/"


def test_wrong_recorder_tokens_are_throttled_but_the_right_one_gets_in(settings, api):
    settings.AUTH_FAILURES_PER_MINUTE = 3
    bot = create_bot(api)
    address = client_address()
    guesser = APIClient(REMOTE_ADDR=address)
    guesser.credentials(HTTP_AUTHORIZATION="Bearer guess")
    joined = f"/internal/v1/bots/{bot['bot_id']}/joined"

    statuses = [guesser.post(joined).status_code for _ in range(4)]
    recorder = APIClient(REMOTE_ADDR=address)
    recorder.credentials(HTTP_AUTHORIZATION=f"Bearer {settings.RECORDER_TOKEN}")

    assert statuses == [401, 401, 401, 429]
    assert guesser.post(joined).json()["message"].startswith("Too many failed authentication")
    assert recorder.post(joined).status_code == 200


@pytest.fixture
def staff(db, settings):
    settings.AXES_FAILURE_LIMIT = 3
    User.objects.create_user("ops", password="right-password", is_staff=True, is_superuser=True)
    User.objects.create_user("other", password="other-password", is_staff=True)


def _login(address: str, username: str, password: str):
    client = Client(REMOTE_ADDR=address)
    return client.post(LOGIN, {"username": username, "password": password})


@pytest.mark.slow
def test_admin_logins_lock_a_user_name_at_one_address_after_repeated_failures(staff):
    address = client_address()

    failures = [_login(address, "ops", "wrong").status_code for _ in range(3)]
    locked = _login(address, "ops", "right-password")

    assert failures == [200, 200, 429]  # the form again with its error, then locked out
    assert locked.status_code == 429
    assert _login(address, "other", "other-password").status_code == 302
    assert _login(client_address(), "ops", "right-password").status_code == 302


@pytest.mark.slow
def test_a_successful_admin_login_resets_the_failures(staff):
    address = client_address()

    for _ in range(2):
        _login(address, "ops", "wrong")
    assert _login(address, "ops", "right-password").status_code == 302
    for _ in range(2):
        _login(address, "ops", "wrong")

    assert _login(address, "ops", "right-password").status_code == 302


def test_behind_the_proxy_each_client_address_it_names_is_throttled_on_its_own(db, settings):
    settings.AUTH_FAILURES_PER_MINUTE = 3
    settings.CLIENT_ADDRESS_HEADER = "HTTP_X_REAL_IP"  # as `make serve` sets it
    proxy = "127.0.0.1"  # every request arrives from the proxy

    def guesses(address: str) -> list[int]:
        client = APIClient(REMOTE_ADDR=proxy, HTTP_X_REAL_IP=address)
        client.credentials(HTTP_AUTHORIZATION="Token wrong")
        return [client.get("/api/v1/bots").status_code for _ in range(4)]

    assert guesses(client_address()) == [401, 401, 401, 429]
    assert guesses(client_address()) == [401, 401, 401, 429]  # another client, not locked out
