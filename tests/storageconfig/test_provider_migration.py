"""S3 configurations and pins made before the provider seam move into its generic fields, and
back again."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

TENANTS = ("meetstream", "0004_tenant_storage_external_id")
BEFORE = [TENANTS, ("storageconfig", "0004_role_arn"), ("bots", "0006_artifact_gave_up_index")]
AFTER = [TENANTS, ("storageconfig", "0005_provider_options"), ("bots", "0007_pin_location")]
KEYS = {"access_key_id": "AKIAMIGRATEDKEY00000", "secret_key": "migrated/secret+0123456789"}


def migrated(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


def old_rows(apps) -> None:
    tenant = apps.get_model("meetstream", "Tenant").objects.create(name="t", public_id="ten_m")
    configs = apps.get_model("storageconfig", "StorageConfig")
    now = timezone.now()
    keys = configs.objects.create(
        tenant=tenant,
        revision=1,
        is_active=False,
        bucket_name="keys-bucket",
        region="eu-west-1",
        endpoint_url="https://s3.example.com",
        server_side_encryption="aws:kms",
        kms_key_id="alias/media",
        configured_at=now,
        **KEYS,
    )
    configs.objects.create(
        tenant=tenant,
        revision=2,
        bucket_name="role-bucket",
        region="us-east-1",
        role_arn="arn:aws:iam::123456789012:role/media",
        configured_at=now,
    )
    bot = apps.get_model("bots", "Bot").objects.create(
        tenant=tenant, bot_name="b", meeting_link="https://meet.google.com/x", platform="zoom"
    )
    apps.get_model("bots", "Pin").objects.create(
        bot=bot,
        storage_config=keys,
        bucket="keys-bucket",
        region="eu-west-1",
        endpoint_url="https://s3.example.com",
        prefixes={"audio": "meetstream"},
    )


@pytest.mark.slow
def test_s3_columns_become_the_aws_providers_options_secrets_and_pin_location(
    transactional_db,
):
    old_rows(migrated(BEFORE))
    try:
        apps = migrated(AFTER)
        configs = apps.get_model("storageconfig", "StorageConfig").objects.order_by("revision")
        keys, role = ((config.provider, config.options, config.secrets_json) for config in configs)
        pin = apps.get_model("bots", "Pin").objects.get()
        location = (pin.provider, pin.location)
        back = migrated(BEFORE)
        restored = back.get_model("storageconfig", "StorageConfig").objects.get(revision=1)
        pin_back = back.get_model("bots", "Pin").objects.get()
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())

    assert keys[:2] == (
        "aws",
        {
            "bucket_name": "keys-bucket",
            "region": "eu-west-1",
            "endpoint_url": "https://s3.example.com",
            "server_side_encryption": "aws:kms",
            "kms_key_id": "alias/media",
        },
    )
    assert keys[2].startswith('{"access_key_id"') and '"secret_key"' in keys[2]
    assert role == (
        "aws",
        {
            "bucket_name": "role-bucket",
            "region": "us-east-1",
            "role_arn": "arn:aws:iam::123456789012:role/media",
        },
        None,
    )
    assert location == (
        "aws",
        {"bucket": "keys-bucket", "region": "eu-west-1", "endpoint_url": "https://s3.example.com"},
    )
    assert (restored.access_key_id, restored.secret_key) == tuple(KEYS.values())
    assert (restored.bucket_name, restored.kms_key_id) == ("keys-bucket", "alias/media")
    assert (pin_back.bucket, pin_back.region) == ("keys-bucket", "eu-west-1")
