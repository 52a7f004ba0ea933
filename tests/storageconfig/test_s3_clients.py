import pytest

from storageconfig.backends.aws import objects, s3
from storageconfig.models import StorageConfig
from tests.support.api import PUT


def test_a_client_is_built_once_per_revision_and_reused(api, tenant, config_body):
    api.put(PUT, config_body(prefix="one"), format="json")
    api.put(PUT, config_body(prefix="two"), format="json")
    first, second = StorageConfig.objects.filter(tenant=tenant).order_by("revision")

    client = s3.client(first.backend().target, cache_key=first.pk)

    assert s3.client(first.backend().target, cache_key=first.pk) is client
    assert s3.client(second.backend().target, cache_key=second.pk) is not client


def test_deleting_the_configuration_forgets_the_clients_of_its_revisions(api, tenant, config_body):
    api.put(PUT, config_body(), format="json")
    config = StorageConfig.objects.get(tenant=tenant)
    client = s3.client(config.backend().target, cache_key=config.pk)

    api.delete("/api/v1/admin/configs?key_name=aws")

    assert s3.client(config.backend().target, cache_key=config.pk) is not client


def test_the_cache_holds_a_bounded_number_of_clients(monkeypatch):
    monkeypatch.setattr(s3._clients, "size", 3)
    target = s3.S3Target(
        bucket="bucket-name", region="us-east-1", endpoint_url="http://127.0.0.1:1"
    )
    first = s3.client(target, cache_key="bounded-0")

    for n in range(1, 5):
        s3.client(target, cache_key=f"bounded-{n}")

    assert len(s3._clients) <= 3
    assert s3.client(target, cache_key="bounded-0") is not first


@pytest.mark.slow
def test_part_size_and_threads_per_file_come_from_settings(settings, s3_server, bucket, tmp_path):
    target = s3.S3Target(bucket, "us-east-1", s3_server.url, "test-key", "test-secret")
    client = s3.client(target)
    source = tmp_path / "big.bin"
    source.write_bytes(bytes(range(256)) * (12 * 4096))  # 12 MiB

    parts = {}
    for part_mb in (5, 8):
        settings.UPLOAD_PART_MB, settings.UPLOAD_THREADS = part_mb, 2
        key = f"parts-{part_mb}"
        objects.object_upload(
            client, target, key=key, source=str(source), content_type="x/y", metadata={}
        )
        parts[part_mb] = s3_server.client().head_object(Bucket=bucket, Key=key)["ETag"]
        assert s3.transfer_config().max_concurrency == 2

    # A multipart object's ETag ends with its number of parts.
    assert parts[5].strip('"').endswith("-3") and parts[8].strip('"').endswith("-2")
    assert s3_server.client().get_object(Bucket=bucket, Key="parts-5")["Body"].read() == (
        source.read_bytes()
    )
