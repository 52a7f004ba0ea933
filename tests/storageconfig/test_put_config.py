import pytest

from storageconfig.models import StorageConfig
from tests.support.api import PUT


def test_a_valid_read_write_config_is_saved_and_echoed_without_credentials(
    api, tenant, config_body, bucket
):
    body = config_body(
        prefix="/recordings//meetstream/",
        prefixes={"audio": "recordings/audio", "video": "recordings/video/"},
    )

    response = api.put(PUT, body, format="json")

    assert response.status_code == 200, response.json()
    assert response.json() == {
        "message": "Storage config saved successfully",
        "provider": "aws",
        "name": None,
        "credentials": "keys",
        "role_arn": None,
        "external_id": None,
        "bucket_name": bucket,
        "region": "us-east-1",
        "endpoint_url": body["endpoint_url"],
        "access_mode": "read_write",
        "prefix": "recordings/meetstream",
        "prefixes": {"audio": "recordings/audio", "video": "recordings/video"},
        "server_side_encryption": None,
        "kms_key_id": None,
        "key_template": None,
        "fallback": "none",
        "notify_url": None,
    }
    saved = StorageConfig.objects.get(tenant=tenant)
    assert saved.is_active and saved.revision == 1
    assert saved.secrets == {
        "access_key_id": body["access_key_id"],
        "secret_key": body["secret_key"],
    }
    assert saved.configured_at == saved.last_validated_at
    assert saved.resolved_prefixes == {
        "audio": "recordings/audio",
        "video": "recordings/video",
        "transcript": "recordings/meetstream",
        "metadata": "recordings/meetstream",
    }


def test_defaults_are_read_write_under_meetstream(api, config_body):
    response = api.put(PUT, config_body(), format="json")

    assert response.status_code == 200
    assert response.json()["access_mode"] == "read_write"
    assert response.json()["prefix"] == "meetstream"
    assert response.json()["prefixes"] == {}


def test_write_only_writes_one_probe_under_each_distinct_prefix(
    api, config_body, s3_server, bucket
):
    body = config_body(
        access_mode="write_only",
        prefix="base",
        prefixes={"audio": "media", "video": "media", "transcript": "text", "metadata": "base"},
    )

    response = api.put(PUT, body, format="json")

    assert response.status_code == 200, response.json()
    keys = s3_server.keys(bucket)
    assert [key.rsplit("/", 1)[0] for key in keys] == ["base", "media", "text"]
    assert all(key.split("/")[-1].startswith(".write_probe_") for key in keys)


def test_read_write_writes_nothing_into_the_bucket(api, config_body, s3_server, bucket):
    assert api.put(PUT, config_body(), format="json").status_code == 200

    assert s3_server.keys(bucket) == []


def test_each_put_adds_a_revision_and_retires_the_previous_one(api, tenant, config_body):
    api.put(PUT, config_body(prefix="first"), format="json")
    api.put(PUT, config_body(prefix="second"), format="json")

    revisions = list(StorageConfig.objects.filter(tenant=tenant).order_by("revision"))
    assert [(r.revision, r.prefix, r.is_active) for r in revisions] == [
        (1, "first", False),
        (2, "second", True),
    ]
    assert revisions[0].retired_at is not None and revisions[1].retired_at is None
    # Retired revisions keep their credentials: bots pinned to them are still served.
    assert revisions[0].has_credentials


def test_the_database_allows_one_active_revision_per_tenant(api, tenant, config_body):
    from django.db import IntegrityError, transaction

    api.put(PUT, config_body(), format="json")
    active = StorageConfig.objects.get(tenant=tenant, is_active=True)
    active.pk = None
    active.revision = 99

    with pytest.raises(IntegrityError), transaction.atomic():
        active.save()


def test_a_put_is_a_full_replacement_so_required_fields_are_required_every_time(api, config_body):
    api.put(PUT, config_body(), format="json")

    no_provider = api.put(PUT, {"prefix": "only-this"}, format="json")
    response = api.put(PUT, {"provider": "aws", "prefix": "only-this"}, format="json")

    assert no_provider.status_code == 400 and list(no_provider.json()["errors"]) == ["provider"]
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {
        "bucket_name",
        "region",
        "access_key_id",
        "secret_key",
    }
