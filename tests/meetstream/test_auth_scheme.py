"""A key sent with the wrong scheme, or none, is told how to send it."""

import pytest

from meetstream.tenants.services import api_key_create
from tests.support import leaks

HINT = "Send the API key as 'Authorization: Token <API key>'."


@pytest.fixture
def api_key(tenant) -> str:
    return api_key_create(tenant=tenant).plaintext


@pytest.fixture
def anonymous_client() -> leaks.WatchedAPIClient:
    return leaks.WatchedAPIClient()


@pytest.mark.parametrize(
    "header",
    ["Bearer {key}", "{key}", "Basic {key}", "token"],
    ids=["bearer", "no-scheme", "basic", "scheme-only"],
)
def test_a_key_without_the_token_scheme_gets_a_401_saying_how_to_send_it(
    anonymous_client, api_key, header
):
    anonymous_client.credentials(HTTP_AUTHORIZATION=header.format(key=api_key))

    response = anonymous_client.get("/api/v1/bots")

    assert response.status_code == 401
    assert HINT in response.json()["message"]
    assert api_key not in response.content.decode()
    assert response["WWW-Authenticate"] == "Token"


def test_no_authorization_header_gets_the_same_hint(anonymous_client):
    response = anonymous_client.get("/api/v1/bots")

    assert response.status_code == 401
    assert HINT in response.json()["message"]
