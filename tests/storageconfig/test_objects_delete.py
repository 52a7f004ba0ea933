"""storageconfig.backends.aws.objects.objects_delete through a proxy in front of the moto server."""

import pytest

from storageconfig.backends.aws import objects, s3
from tests.support.faults import FaultProxy


def target_through(proxy: FaultProxy, server, bucket: str) -> s3.S3Target:
    return s3.S3Target(
        bucket=bucket,
        region="us-east-1",
        endpoint_url=proxy.url,
        access_key_id=server.access_key_id,
        secret_key=server.secret_key,
        egress_vetted=False,
    )


def put_keys(server, bucket: str, count: int) -> list[str]:
    keys = [f"meetstream/bot_x_{n}.json" for n in range(count)]
    for key in keys:
        server.client().put_object(Bucket=bucket, Key=key, Body=b"{}")
    return keys


@pytest.mark.slow
def test_a_batch_the_server_keeps_failing_is_deleted_key_by_key(s3_server, bucket):
    keys = put_keys(s3_server, bucket, 3)
    proxy = FaultProxy(s3_server.url, lambda method, path: "503" if "delete" in path else None)
    try:
        target = target_through(proxy, s3_server, bucket)
        refused = objects.objects_delete(s3.client(target, purpose="fetch"), target, keys=keys)
    finally:
        proxy.stop()

    assert refused == {}
    assert s3_server.keys(bucket) == []
    batches = [path for method, path, _ in proxy.seen if method == "POST"]
    assert len(batches) == 3  # botocore's bounded retries of the one batch, then one by one
    assert sorted(path for method, path, _ in proxy.seen if method == "DELETE") == sorted(
        f"/{bucket}/{key}" for key in keys
    )


@pytest.mark.slow
def test_keys_that_stay_refused_are_reported_with_the_reason(s3_server, bucket):
    keys = put_keys(s3_server, bucket, 2)
    proxy = FaultProxy(s3_server.url, lambda method, path: "503" if method != "GET" else None)
    try:
        target = target_through(proxy, s3_server, bucket)
        refused = objects.objects_delete(s3.client(target, purpose="fetch"), target, keys=keys)
    finally:
        proxy.stop()

    assert sorted(refused) == keys
    assert {failure.reason for failure in refused.values()} == {"unavailable"}
    assert s3_server.keys(bucket) == keys
