import hashlib
import re

import pytest

from meetstream.tenants.models import ApiKey, Tenant
from meetstream.tenants.services import api_key_create

TENANTS = "/admin/meetstream/tenant/"
KEYS = "/admin/meetstream/apikey/"


def test_staff_create_a_key_that_is_shown_once_and_stored_hashed(staff_client, tenant):
    client = staff_client("view_tenant", "add_apikey")

    response = client.post(TENANTS, {"action": "create_api_key", "_selected_action": [tenant.pk]})

    assert response.status_code == 200
    [key] = re.findall(r'<code class="api-key">(ms_[^<]+)</code>', response.content.decode())
    assert "no-store" in response["Cache-Control"]
    stored = ApiKey.objects.get(tenant=tenant)
    assert stored.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in client.get(f"{TENANTS}{tenant.pk}/change/").content.decode()
    assert key not in client.get(KEYS).content.decode()


def test_creating_a_key_needs_the_add_permission(staff_client, tenant):
    client = staff_client("view_tenant")

    response = client.post(TENANTS, {"action": "create_api_key", "_selected_action": [tenant.pk]})

    assert not ApiKey.objects.exists()
    assert "create_api_key" not in client.get(TENANTS).content.decode()
    assert response.status_code in {200, 302}


def test_staff_revoke_a_key_and_it_stops_working(staff_client, tenant):
    issued = api_key_create(tenant=tenant)
    client = staff_client("view_apikey", "change_apikey")

    client.post(KEYS, {"action": "revoke", "_selected_action": [issued.api_key.pk]})

    issued.api_key.refresh_from_db()
    assert issued.api_key.revoked_at is not None
    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {issued.plaintext}")
    assert api.get("/api/v1/admin/configs").status_code == 401


@pytest.mark.slow
def test_staff_without_permissions_see_nothing(staff_client, tenant):
    client = staff_client()

    for path in (TENANTS, KEYS, "/admin/storageconfig/storageconfig/", "/admin/bots/bot/"):
        assert client.get(path).status_code == 403, path
    assert Tenant.objects.count() == 1
