"""Storage health checks (CONTRACT section 12): 1,000 active configurations against a stub S3,
each checked once by the engine (claims, 16 at once, the outcome recorded): the time, and the
queries and S3 requests per configuration."""

import time

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench.setup import Bench
from bench.stub_s3 import StubS3
from bench.timing import Row
from bots.pipeline.storage_health import storage_health_check
from meetstream.tenants.models import Tenant
from storageconfig.models import HealthCheck, StorageConfig
from storageconfig.services import StorageConfigInput, storage_config_recheck, storage_config_save

CONFIGS = 1000


def _configs(stub: StubS3) -> list[StorageConfig]:
    """CONFIGS tenants, each with an active read_write configuration on the stub, due now."""
    tenants = Tenant.objects.bulk_create(Tenant(name=f"health-{n}") for n in range(CONFIGS))
    data = StorageConfigInput(
        provider="aws",
        options={"bucket_name": "bench-bucket", "region": "us-east-1", "endpoint_url": stub.url},
        secrets={"access_key_id": "bench", "secret_key": "bench"},
    )
    configs = [storage_config_save(tenant=tenant, data=data) for tenant in tenants]
    HealthCheck.objects.filter(config__in=configs).update(next_attempt_at=timezone.now())
    return configs


def rows(bench: Bench) -> list[Row]:
    stub = StubS3()
    try:
        configs = _configs(stub)
        before = stub.served()
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            checked = storage_health_check(owner="bench")
            engine = time.perf_counter() - started
        after = stub.served()
        assert checked == CONFIGS, checked
        assert not StorageConfig.objects.exclude(last_check_reason="").filter(
            pk__in=[c.pk for c in configs]
        ), "a check failed against the stub"
        # The baseline: the same live checks, one after another, nothing claimed or recorded.
        started = time.perf_counter()
        for config in configs:
            storage_config_recheck(config=config)
        bare = time.perf_counter() - started
    finally:
        stub.stop()
    requests = {m: after.get(m, 0) - before.get(m, 0) for m in after}
    return [
        Row(
            f"Health check, each of {CONFIGS:,} configurations (engine: claimed, 16 at once, "
            "recorded) vs the bare check",
            engine * 1e3 / CONFIGS,
            bare * 1e3 / CONFIGS,
        ),
        Row(
            "Queries per health check vs the target of 3",
            len(queries) / CONFIGS,
            3.0,
            unit="q",
            target=1.0,
        ),
        Row(
            "S3 requests per health check vs one HEAD",
            sum(requests.values()) / CONFIGS,
            1.0,
            unit="rq",
            target=1.0,
        ),
    ]
