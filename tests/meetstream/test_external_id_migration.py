"""Tenants made before external IDs existed each get their own when the migration runs."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("meetstream", "0003_webhook_secret_standard_base64")]
AFTER = [("meetstream", "0004_tenant_storage_external_id")]


def migrated(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


@pytest.mark.slow
def test_each_existing_tenant_gets_an_external_id_of_its_own(transactional_db):
    old = migrated(BEFORE).get_model("meetstream", "Tenant")
    for name in ("first", "second", "third"):
        old.objects.create(name=name, public_id=f"ten_{name}")
    try:
        new = migrated(AFTER).get_model("meetstream", "Tenant")
        external_ids = list(new.objects.values_list("storage_external_id", flat=True))
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())

    assert len(external_ids) == 3 == len(set(external_ids))
    assert all(len(external_id) >= 32 for external_id in external_ids)
