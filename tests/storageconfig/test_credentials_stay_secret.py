"""Credentials go in once and never come out: not in responses, logs, reprs or plain in the DB."""

import logging

import pytest
from django.db import connection

from storageconfig.models import StorageConfig
from storageconfig.services import StorageConfigInput

CONFIGS = "/api/v1/admin/configs"
PUT = f"{CONFIGS}?config_type=storage"


@pytest.fixture
def iam_keys(iam_s3_server):
    bucket = iam_s3_server.bucket()
    statements = [
        {
            "Effect": "Allow",
            "Action": ["s3:PutObject"],
            "Resource": f"arn:aws:s3:::{bucket}/meetstream/*",
        }
    ]
    key_id, secret = iam_s3_server.user(statements)
    return bucket, key_id, secret


def test_credentials_appear_in_no_response_nor_log_line(
    api, config_body, iam_s3_server, iam_keys, caplog
):
    caplog.set_level(logging.DEBUG)
    bucket, key_id, secret = iam_keys
    good = config_body(
        bucket_name=bucket,
        endpoint_url=iam_s3_server.url,
        access_key_id=key_id,
        secret_key=secret,
        access_mode="write_only",
    )
    responses = [
        api.put(PUT, good, format="json"),
        api.put(PUT, {**good, "access_mode": "read_write"}, format="json"),
        api.put(PUT, {**good, "secret_key": secret[::-1]}, format="json"),
        api.put(PUT, {**good, "bucket_name": "no-such-bucket-here"}, format="json"),
        api.put(PUT, {**good, "surprise": True}, format="json"),
        api.get(CONFIGS),
        api.delete(f"{CONFIGS}?key_name=aws"),
    ]

    assert [r.status_code for r in responses] == [200, 400, 400, 400, 400, 200, 200]
    assert caplog.records, "the failing requests must have logged something to check"
    for text in [caplog.text, *(r.content.decode() for r in responses)]:
        assert secret not in text
        assert key_id not in text


def test_botocore_never_logs_at_debug_even_when_the_root_logger_does():
    for name in ("botocore", "boto3", "s3transfer", "urllib3"):
        assert logging.getLogger(name).getEffectiveLevel() >= logging.WARNING


def test_credentials_are_stored_as_ciphertext(api, tenant, config_body):
    body = config_body()
    api.put(PUT, body, format="json")

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT access_key_id, secret_key FROM storageconfig_storageconfig"
            " WHERE tenant_id = %s",
            [tenant.pk],
        )
        raw_key_id, raw_secret = (bytes(value) for value in cursor.fetchone())

    assert body["secret_key"].encode() not in raw_secret
    assert body["access_key_id"].encode() not in raw_key_id
    assert raw_secret.startswith(b"gAAAAA")  # a Fernet token
    assert StorageConfig.objects.get(tenant=tenant).secret_key == body["secret_key"]


def test_reprs_of_configurations_and_targets_leave_credentials_out(api, tenant, config_body):
    body = config_body()
    api.put(PUT, body, format="json")
    config = StorageConfig.objects.get(tenant=tenant)
    data = StorageConfigInput(
        bucket_name="b",
        region="us-east-1",
        access_key_id=body["access_key_id"],
        secret_key=body["secret_key"],
    )

    for text in (
        repr(config),
        str(config),
        repr(config.s3_target(tenant)),
        repr(data),
        repr(data.s3_target(tenant)),
    ):
        assert body["secret_key"] not in text and body["access_key_id"] not in text
