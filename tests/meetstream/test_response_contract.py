"""The response check every API test's client runs: it must refuse what the schema does not
allow, or it proves nothing."""

import json

import pytest
from rest_framework.test import APIClient

from meetstream.tenants.services import api_key_create
from tests.support.api import PUT
from tests.support.contract import response_check

pytestmark = pytest.mark.django_db


@pytest.fixture
def plain(tenant) -> APIClient:
    """A client without the check, to hand it answers to judge."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_key_create(tenant=tenant).plaintext}")
    return client


def altered(response, **changes):
    body = {**response.json(), **changes}
    response.content = json.dumps({k: v for k, v in body.items() if v is not None}).encode()
    return response


def test_a_documented_answer_passes(plain):
    response_check(plain.get("/api/v1/bots/bot_nope/status"))
    response_check(plain.get("/api/v1/admin/configs"))


@pytest.mark.slow
@pytest.mark.parametrize(
    "changes",
    [
        {"code": None},  # every error has a code
        {"code": "write_only"},  # another shape's code
        {"extra": "field"},  # the shapes are closed
        {"message": 404},
    ],
    ids=["no-code", "other-shapes-code", "unknown-field", "wrong-type"],
)
def test_an_error_body_the_schema_does_not_allow_is_refused(plain, changes):
    response = altered(plain.get("/api/v1/bots/bot_nope/status"), **changes)

    with pytest.raises(AssertionError, match="does not allow"):
        response_check(response)


def test_an_undocumented_status_is_refused(plain):
    response = plain.get("/api/v1/bots/bot_nope/status")
    response.status_code = 418

    with pytest.raises(AssertionError, match="418"):
        response_check(response)


def test_a_429_without_its_rate_limit_headers_is_refused(plain, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"storage_config_write": "1/min"},
    }
    plain.put(PUT, {}, format="json")
    throttled = plain.put(PUT, {}, format="json")
    assert throttled.status_code == 429
    response_check(throttled)
    del throttled["RateLimit-Limit"]

    with pytest.raises(AssertionError, match="RateLimit-Limit"):
        response_check(throttled)


def test_paths_outside_the_api_are_not_judged(plain):
    response_check(plain.get("/healthz"))
    response_check(plain.get("/api/v1/no-such-operation"))
