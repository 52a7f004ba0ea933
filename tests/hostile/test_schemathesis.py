"""Hypothesis-generated requests for every operation of our own OpenAPI schema: no 5xx, ever,
and every response matches the schema. With a valid key and with a wrong one."""

import socket

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import override_settings
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS
from schemathesis.config import SchemathesisConfig

from meetstream.tenants.services import api_key_create
from tests.conftest import RECORDER_TOKEN
from tests.support import contract

# What a schema cannot say, so a schema-valid request may still be a 400 there (with the
# message that says why): whether the bucket passes its live check, whether a name resolves to
# an address the egress guard allows (nothing resolves in these tests), whether a bucket name
# is shaped like an IP address, whether a cursor is one the API gave.
BEYOND_THE_SCHEMA = {
    "include-operation-id": [
        "storage_config_put",
        "storage_config_validate",
        "storage_config_policy",
        "bot_create",
        "recorder_artifact_put",  # whether a file name is one a bot produces
    ],
    "checks": {
        "positive_data_acceptance": {
            "expected-statuses": ["2xx", "400", "401", "403", "404", "409", "429"]
        }
    },
}
# The listing: a cursor is beyond the schema too, and it ignores query parameters it does not
# know, as list endpoints do; schemathesis counts those a violation, so a negative case whose
# only other change removes the Authorization header (which these tests always send) is
# answered 200.
LISTING = {
    "include-operation-id": ["bot_list"],
    "checks": {
        **BEYOND_THE_SCHEMA["checks"],
        "negative_data_rejection": {
            "expected-statuses": ["200", "400", "401", "403", "404", "405", "406", "429"]
        },
    },
}
CONFIG = SchemathesisConfig.from_dict({"operations": [BEYOND_THE_SCHEMA, LISTING]})
# Django's handler itself: meetstream.wsgi also checks the secrets a deployment must set. Its
# middleware reads the settings once, here: the suite speaks plain HTTP (tests/conftest.py).
with override_settings(SECURE_SSL_REDIRECT=False):
    app = get_wsgi_application()
schema = schemathesis.openapi.from_wsgi("/api/schema/", app, config=CONFIG)
# The recorder's schema is served only with its token, which the tests set later: the same
# document, generated here.
recorder_schema = schemathesis.openapi.from_dict(contract.schema(internal=True), config=CONFIG)
recorder_schema.app = app
# `--checks all`: response conformance (schema, status, headers, content type), negative and
# positive data, auth, methods, resources.
CHECKED = CHECKS.get_all()
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@pytest.fixture
def keep_connection():
    """Like Django's test client: requests must not close the test's database connection."""
    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (signals.request_started, signals.request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def offline(monkeypatch, settings, keep_connection):
    """Generated endpoint URLs and regions must reach nothing: every name but loopback fails
    to resolve, and the guard against private endpoints is on."""
    settings.STORAGE_ALLOW_PRIVATE_ENDPOINTS = False
    resolve = socket.getaddrinfo

    def loopback_only(host, *args, **kwargs):
        if host in LOOPBACK:
            return resolve(host, *args, **kwargs)
        raise socket.gaierror(socket.EAI_NONAME, "resolution is off in this test")

    monkeypatch.setattr(socket, "getaddrinfo", loopback_only)


def headers_for(case, tenant, *, valid: bool) -> dict[str, str]:
    if case.path.startswith("/internal/"):
        return {"Authorization": f"Bearer {RECORDER_TOKEN if valid else 'wrong'}"}
    key = api_key_create(tenant=tenant).plaintext if valid else "ms_wrong"
    return {"Authorization": f"Token {key}"}


SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)


@pytest.mark.slow
@schema.parametrize()
@SETTINGS
def test_with_a_valid_key_no_request_gets_a_5xx_and_every_answer_fits_the_schema(
    case, tenant, offline
):
    case.call_and_validate(headers=headers_for(case, tenant, valid=True), checks=CHECKED)


@pytest.mark.slow
@schema.parametrize()
@SETTINGS
def test_with_a_wrong_key_every_operation_answers_401_or_less(case, tenant, offline):
    response = case.call_and_validate(
        headers=headers_for(case, tenant, valid=False), checks=CHECKED
    )
    if case.path.startswith(("/api/v1/", "/internal/")):
        assert response.status_code in {401, 429}, response.text


@pytest.mark.slow
@recorder_schema.parametrize()
@SETTINGS
def test_the_recorder_api_answers_within_its_own_schema(case, tenant, offline):
    case.call_and_validate(headers=headers_for(case, tenant, valid=True), checks=CHECKED)


@pytest.mark.slow
@recorder_schema.parametrize()
@SETTINGS
def test_the_recorder_api_with_a_wrong_token_answers_401_or_429(case, tenant, offline):
    response = case.call_and_validate(
        headers=headers_for(case, tenant, valid=False), checks=CHECKED
    )
    assert response.status_code in {401, 429}, response.text
