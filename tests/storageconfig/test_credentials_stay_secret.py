"""Credentials go in once and never come out: not in responses, logs, reprs or plain in the DB."""

import logging

import pytest
from django.db import connection

from storageconfig.models import StorageConfig
from storageconfig.services import StorageConfigInput
from tests.support.api import CONFIGS, PUT


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


@pytest.mark.slow
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
    for name in ("botocore", "boto3", "s3transfer", "urllib3", "azure.core", "google.auth"):
        assert logging.getLogger(name).getEffectiveLevel() >= logging.WARNING


def test_credentials_are_stored_as_ciphertext(api, tenant, config_body):
    body = config_body()
    api.put(PUT, body, format="json")

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT secrets_json, options FROM storageconfig_storageconfig WHERE tenant_id = %s",
            [tenant.pk],
        )
        raw_secrets, options = cursor.fetchone()
    raw_secrets, options = bytes(raw_secrets), str(options)

    for raw in (raw_secrets, options.encode()):
        assert body["secret_key"].encode() not in raw
        assert body["access_key_id"].encode() not in raw
    assert raw_secrets.startswith(b"gAAAAA")  # a Fernet token
    assert StorageConfig.objects.get(tenant=tenant).secrets["secret_key"] == body["secret_key"]


def test_reprs_of_configurations_and_backends_leave_credentials_out(api, tenant, config_body):
    body = config_body()
    api.put(PUT, body, format="json")
    config = StorageConfig.objects.get(tenant=tenant)
    secrets = {"access_key_id": body["access_key_id"], "secret_key": body["secret_key"]}
    data = StorageConfigInput("aws", {"bucket_name": "b", "region": "us-east-1"}, secrets)

    for text in (
        repr(config),
        str(config),
        repr(config.backend()),
        repr(config.backend().target),
        repr(data),
        repr(data.backend(tenant)),
    ):
        assert body["secret_key"] not in text and body["access_key_id"] not in text
