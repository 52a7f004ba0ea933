"""Hypothesis-generated requests for every operation of our own OpenAPI schema: no 5xx, ever,
and every response matches the schema. With a valid key and with a wrong one."""

import socket

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS

from meetstream.services import api_key_create
from tests.conftest import RECORDER_TOKEN

# Django's handler itself: meetstream.wsgi also checks the secrets a deployment must set.
schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
CHECKED = [
    CHECKS.get_by_names([name])[0]
    for name in (
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
    )
]
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


@schema.parametrize()
@SETTINGS
def test_with_a_valid_key_no_request_gets_a_5xx_and_every_answer_fits_the_schema(
    case, tenant, offline
):
    case.call_and_validate(headers=headers_for(case, tenant, valid=True), checks=CHECKED)


@schema.parametrize()
@SETTINGS
def test_with_a_wrong_key_every_operation_answers_401_or_less(case, tenant, offline):
    response = case.call_and_validate(
        headers=headers_for(case, tenant, valid=False), checks=CHECKED
    )
    if case.path.startswith(("/api/v1/", "/internal/")):
        assert response.status_code in {401, 429}, response.text
