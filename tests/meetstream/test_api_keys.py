import hashlib

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from meetstream.tenants.models import ApiKey, Tenant
from meetstream.tenants.services import api_key_create, api_key_revoke
from tests.support.api import CONFIGS, client_address

pytestmark = pytest.mark.django_db


@pytest.mark.slow
def test_create_api_key_prints_the_key_alone_on_the_last_line_and_stores_its_hash(capsys):
    call_command("create_api_key", "--tenant", "initech")

    key = capsys.readouterr().out.strip().splitlines()[-1]
    stored = ApiKey.objects.get(tenant__name="initech")
    assert key.startswith("ms_") and len(key) > 40
    assert stored.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in {stored.key_hash, stored.hint}
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get(CONFIGS).status_code == 200


def test_create_api_key_reuses_an_existing_tenant(capsys):
    call_command("create_api_key", "--tenant", "initech")
    call_command("create_api_key", "--tenant", "initech")

    assert Tenant.objects.filter(name="initech").count() == 1
    assert ApiKey.objects.filter(tenant__name="initech").count() == 2


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Token ms_not-a-real-key",
        "Token",
        "Token a b",
        "Bearer whatever",
        "Token \u00e9t\u00e9",
    ],
)
def test_a_missing_or_wrong_key_is_401_with_a_message(header):
    client = APIClient()
    if header is not None:
        client.credentials(HTTP_AUTHORIZATION=header)

    response = client.get(CONFIGS)

    assert response.status_code == 401
    assert response.json()["message"]
    assert response["WWW-Authenticate"] == "Token"


def test_a_revoked_key_is_401(tenant):
    issued = api_key_create(tenant=tenant)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issued.plaintext}")
    assert client.get(CONFIGS).status_code == 200

    api_key_revoke(api_key=issued.api_key)

    response = client.get(CONFIGS)
    assert response.status_code == 401
    assert response.json() == {"message": "Invalid API key.", "code": "authentication_failed"}


def test_the_issued_key_does_not_show_its_plaintext_in_repr(tenant):
    issued = api_key_create(tenant=tenant)

    assert issued.plaintext not in repr(issued)


def test_repeated_failures_from_one_address_are_throttled_but_a_valid_key_gets_in(settings, tenant):
    settings.AUTH_FAILURES_PER_MINUTE = 3
    address = client_address()
    attacker = APIClient(REMOTE_ADDR=address)
    attacker.credentials(HTTP_AUTHORIZATION="Token ms_guess")

    statuses = [attacker.get(CONFIGS).status_code for _ in range(4)]

    assert statuses == [401, 401, 401, 429]
    throttled = attacker.get(CONFIGS).json()
    assert throttled["message"].startswith("Too many failed authentication attempts.")
    assert 0 < throttled["retry_after"] <= 60
    valid = APIClient(REMOTE_ADDR=address)
    valid.credentials(HTTP_AUTHORIZATION=f"Token {api_key_create(tenant=tenant).plaintext}")
    assert valid.get(CONFIGS).status_code == 200
    assert attacker.get(CONFIGS).status_code == 429
    elsewhere = APIClient(REMOTE_ADDR=client_address())
    elsewhere.credentials(HTTP_AUTHORIZATION="Token ms_guess")
    assert elsewhere.get(CONFIGS).status_code == 401


def test_keys_are_looked_up_by_hash_so_no_plaintext_comparison_happens(tenant):
    issued = api_key_create(tenant=tenant)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issued.plaintext}")

    with CaptureQueriesContext(connection) as queries:
        client.get(CONFIGS)

    lookup = queries.captured_queries[0]["sql"]
    assert issued.api_key.key_hash in lookup and issued.plaintext not in lookup
