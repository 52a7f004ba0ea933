import pytest

from storageconfig.models import StorageConfig
from tests.support.api import CONFIGS, PUT

DELETE = f"{CONFIGS}?key_name=aws"


def test_get_without_a_configuration_is_an_empty_storage_config(api):
    response = api.get(CONFIGS)

    assert response.status_code == 200
    assert response.json() == {"StorageConfig": {}}


def test_get_shows_the_active_revision_in_the_guides_shape(api, config_body, bucket):
    prefixes = {"audio": "recordings/audio", "metadata": "metadata"}
    api.put(PUT, config_body(prefix="old"), format="json")
    api.put(
        PUT,
        config_body(prefix="recordings/meetstream", prefixes=prefixes, access_mode="write_only"),
        format="json",
    )

    response = api.get(CONFIGS)

    assert response.status_code == 200
    aws = response.json()["StorageConfig"]["aws"]
    configured_at, validated_at = aws.pop("configured_at"), aws.pop("last_validated_at")
    assert aws.pop("last_checked_at") == validated_at
    assert aws == {
        "active": True,
        "revision": 2,
        "provider": "aws",
        "name": None,
        "credentials": "keys",
        "role_arn": None,
        "external_id": None,
        "bucket_name": bucket,
        "region": "us-east-1",
        "endpoint_url": config_body()["endpoint_url"],
        "access_mode": "write_only",
        "prefix": "recordings/meetstream",
        "prefixes": prefixes,
        "server_side_encryption": None,
        "kms_key_id": None,
        "key_template": None,
        "fallback": "none",
        "notify_url": None,
        "last_check": "ok",
    }
    assert configured_at.endswith("Z") and configured_at == validated_at


def test_delete_erases_the_credentials_of_every_revision(api, tenant, config_body):
    api.put(PUT, config_body(prefix="one"), format="json")
    api.put(PUT, config_body(prefix="two"), format="json")

    response = api.delete(DELETE)

    assert response.status_code == 200
    assert "platform bucket" in response.json()["message"]
    revisions = StorageConfig.objects.filter(tenant=tenant)
    assert revisions.count() == 2
    for revision in revisions:
        assert (revision.secrets_json, revision.secrets) == (None, {})
        assert not revision.is_active and not revision.has_credentials
        assert revision.credentials_erased_at is not None and revision.retired_at is not None
    assert api.get(CONFIGS).json() == {"StorageConfig": {}}


def test_delete_leaves_the_objects_in_the_bucket(api, config_body, s3_server, bucket):
    api.put(PUT, config_body(access_mode="write_only"), format="json")
    probes = s3_server.keys(bucket)

    api.delete(DELETE)

    assert probes and s3_server.keys(bucket) == probes


def test_delete_without_an_active_configuration_is_404(api, config_body):
    assert api.delete(DELETE).status_code == 404
    api.put(PUT, config_body(), format="json")
    api.delete(DELETE)

    response = api.delete(DELETE)

    assert response.status_code == 404
    assert response.json() == {
        "message": "No aws storage configuration is active.",
        "code": "not_found",
    }


@pytest.mark.parametrize("query", ["", "?key_name=dropbox", "?key_name="])
def test_delete_with_a_missing_or_other_key_name_is_400_and_erases_nothing(
    api, tenant, config_body, query
):
    api.put(PUT, config_body(), format="json")

    response = api.delete(f"{CONFIGS}{query}")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["key_name"]
    assert StorageConfig.objects.get(tenant=tenant).has_credentials


def test_a_new_put_after_delete_starts_the_next_revision(api, tenant, config_body):
    api.put(PUT, config_body(), format="json")
    api.delete(DELETE)

    api.put(PUT, config_body(prefix="again"), format="json")

    active = StorageConfig.objects.get(tenant=tenant, is_active=True)
    assert (active.revision, active.prefix, active.has_credentials) == (2, "again", True)


def test_a_tenant_never_sees_nor_deletes_another_tenants_configuration(
    api, other_api, tenant, other_tenant, config_body
):
    api.put(PUT, config_body(prefix="acme-only"), format="json")

    assert other_api.get(CONFIGS).json() == {"StorageConfig": {}}
    assert other_api.delete(DELETE).status_code == 404
    assert StorageConfig.objects.get(tenant=tenant).has_credentials
    other_api.put(PUT, config_body(prefix="globex-only"), format="json")
    assert api.get(CONFIGS).json()["StorageConfig"]["aws"]["prefix"] == "acme-only"
    assert other_api.get(CONFIGS).json()["StorageConfig"]["aws"]["prefix"] == "globex-only"
    assert StorageConfig.objects.get(tenant=other_tenant).revision == 1
