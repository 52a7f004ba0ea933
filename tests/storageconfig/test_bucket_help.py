"""Helping customers get their bucket right: the least policy, a dry-run check, encryption."""

import json

import pytest
from botocore.exceptions import ClientError

from storageconfig.models import StorageConfig
from tests.support.api import CONFIGS, PUT
from tests.support.stub_s3 import stub_s3

PREFIXES = {"audio": "recordings/audio", "video": "recordings/video", "transcript": "transcripts"}


def policy_for(api, server, bucket: str, mode: str, **extra) -> dict:
    query = {
        "bucket_name": bucket,
        "region": "us-east-1",
        "endpoint_url": server.url,
        "prefix": "recordings/meetstream",
        "prefixes": json.dumps(PREFIXES),
        "access_mode": mode,
        **extra,
    }
    response = api.get(f"{CONFIGS}/policy", query)
    assert response.status_code == 200, response.json()
    return response.json()


def body_with(config_body, server, bucket, keys, mode) -> dict:
    return config_body(
        bucket_name=bucket,
        endpoint_url=server.url,
        access_key_id=keys[0],
        secret_key=keys[1],
        access_mode=mode,
        prefix="recordings/meetstream",
        prefixes=PREFIXES,
    )


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["write_only", "read_write"])
def test_the_policy_we_give_lets_a_user_pass_the_live_check_of_its_mode(
    api, config_body, iam_s3_server, mode
):
    bucket = iam_s3_server.bucket()
    policy = policy_for(api, iam_s3_server, bucket, mode)
    keys = iam_s3_server.user(policy["Statement"])

    response = api.put(
        PUT, body_with(config_body, iam_s3_server, bucket, keys, mode), format="json"
    )

    assert response.status_code == 200, response.json()
    [write] = [s for s in policy["Statement"] if s["Sid"] == "WriteMedia"]
    assert sorted(write["Resource"]) == sorted(
        f"arn:aws:s3:::{bucket}/{p}/*" for p in ["recordings/meetstream", *PREFIXES.values()]
    )
    actions = {a for s in policy["Statement"] for a in s["Action"]}
    assert ("s3:GetObject" in actions) == (mode == "read_write")


def test_a_policy_missing_one_prefix_fails_the_write_only_check(api, config_body, iam_s3_server):
    bucket = iam_s3_server.bucket()
    policy = policy_for(api, iam_s3_server, bucket, "write_only")
    policy["Statement"][0]["Resource"].remove(f"arn:aws:s3:::{bucket}/transcripts/*")
    keys = iam_s3_server.user(policy["Statement"])

    response = api.put(
        PUT, body_with(config_body, iam_s3_server, bucket, keys, "write_only"), format="json"
    )

    assert response.status_code == 400
    failed = [c["key"] for c in response.json()["checks"] if not c["ok"]]
    assert len(failed) == 1 and failed[0].startswith("transcripts/.write_probe_")


def test_the_policy_of_the_active_configuration_and_its_kms_statement(api, config_body, bucket):
    api.put(
        PUT,
        config_body(
            server_side_encryption="aws:kms", kms_key_id="1234abcd-12ab-34cd-56ef-1234567890ab"
        ),
        format="json",
    )

    policy = api.get(f"{CONFIGS}/policy").json()

    sids = [s["Sid"] for s in policy["Statement"]]
    assert sids == ["WriteMedia", "ReadMedia", "CheckBucket", "EncryptMedia"]
    kms = policy["Statement"][-1]
    assert kms["Action"] == ["kms:GenerateDataKey", "kms:Decrypt"]
    assert kms["Resource"] == "arn:aws:kms:us-east-1:*:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    assert policy["Statement"][0]["Resource"] == [f"arn:aws:s3:::{bucket}/meetstream/*"]


def test_the_policy_needs_a_configuration_and_valid_parameters(api):
    assert api.get(f"{CONFIGS}/policy").status_code == 404
    assert list(
        api.get(f"{CONFIGS}/policy", {"bucket_name": "Bad_Name", "region": "us-east-1"}).json()[
            "errors"
        ]
    ) == ["bucket_name"]
    assert list(api.get(f"{CONFIGS}/policy", {"access_mode": "all"}).json()["errors"]) == [
        "access_mode"
    ]
    bad_json = api.get(
        f"{CONFIGS}/policy", {"bucket_name": "ok-bucket", "region": "us-east-1", "prefixes": "{"}
    )
    assert list(bad_json.json()["errors"]) == ["prefixes"]


def test_validate_checks_a_body_without_saving_it(api, config_body, iam_s3_server):
    bucket = iam_s3_server.bucket()
    keys = iam_s3_server.user(policy_for(api, iam_s3_server, bucket, "write_only")["Statement"])
    body = body_with(config_body, iam_s3_server, bucket, keys, "write_only")

    passed = api.post(f"{CONFIGS}/validate", body, format="json")
    failed = api.post(f"{CONFIGS}/validate", {**body, "access_mode": "read_write"}, format="json")

    assert passed.status_code == failed.status_code == 200
    assert passed.json()["ok"] is True and len(passed.json()["checks"]) == 4
    assert failed.json()["ok"] is False and failed.json()["checks"][0]["reason"] == "access_denied"
    assert not StorageConfig.objects.exists()


def test_validate_without_a_body_checks_the_active_configuration(
    api, config_body, s3_server, bucket
):
    assert api.post(f"{CONFIGS}/validate").status_code == 404
    api.put(PUT, config_body(), format="json")
    assert api.post(f"{CONFIGS}/validate").json() == {
        "ok": True,
        "checks": [
            {"check": "HeadBucket", "key": None, "ok": True, "reason": None, "message": None}
        ],
    }

    s3_server.client().delete_bucket(Bucket=bucket)
    result = api.post(f"{CONFIGS}/validate").json()
    assert result["ok"] is False and result["checks"][0]["reason"] == "no_such_bucket"
    assert list(
        api.post(f"{CONFIGS}/validate", {"bucket_name": "x"}, format="json").json()["errors"]
    )


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)  # the upload is queued on commit
@pytest.mark.parametrize(
    ("sse", "kms"),
    [("AES256", None), ("aws:kms", "1234abcd-12ab-34cd-56ef-1234567890ab"), ("aws:kms", None)],
)
def test_encryption_reaches_every_probe_and_upload(
    api, recorder, config_body, s3_server, bucket, sse, kms
):
    from tests.support.media import create_bot, hand_over

    body = config_body(access_mode="write_only", server_side_encryption=sse, kms_key_id=kms)
    saved = api.put(PUT, body, format="json")
    assert saved.status_code == 200 and saved.json()["server_side_encryption"] == sse
    bot = create_bot(api)
    hand_over(
        recorder,
        bot["bot_id"],
        {"chats.json": b"[]", "meeting_recording.mp4": bytes(9 * 1024 * 1024)},
    )

    admin = s3_server.client()
    keys = s3_server.keys(bucket)
    assert any(".write_probe_" in key for key in keys) and len(keys) == 4
    for key in keys:
        head = admin.head_object(Bucket=bucket, Key=key)
        assert head["ServerSideEncryption"] == sse, key
        assert head.get("SSEKMSKeyId") == kms, key


def test_a_kms_key_without_sse_kms_is_refused(api, config_body):
    response = api.put(PUT, config_body(kms_key_id="abc"), format="json")

    assert response.status_code == 400 and list(response.json()["errors"]) == ["kms_key_id"]


@pytest.fixture
def kms_refusing_endpoint():
    """An S3 look-alike that refuses every write the way S3 does when KMS says no."""
    with stub_s3(403, "AccessDenied", "Not authorized to perform: kms:GenerateDataKey") as url:
        yield url


def test_a_kms_refusal_is_reported_as_such(api, config_body, kms_refusing_endpoint):
    body = config_body(
        endpoint_url=kms_refusing_endpoint,
        access_mode="write_only",
        server_side_encryption="aws:kms",
        kms_key_id="alias/my-key",
    )

    response = api.put(PUT, body, format="json")

    assert response.status_code == 400
    assert response.json()["reason"] == "kms_access_denied"
    assert "KMS refused the key alias/my-key" in response.json()["message"]


def test_a_prefix_with_iam_wildcards_grants_no_more_than_itself(api, iam_s3_server):
    bucket = iam_s3_server.bucket()
    query = {"bucket_name": bucket, "region": "us-east-1", "access_mode": "write_only"}
    policy = api.get(f"{CONFIGS}/policy", {**query, "prefix": "a*", "prefixes": '{"audio": "q?$"}'})
    assert policy.status_code == 200, policy.json()
    key_id, secret = iam_s3_server.user(policy.json()["Statement"])
    client = iam_s3_server.client(access_key_id=key_id, secret_key=secret)

    [write] = [s for s in policy.json()["Statement"] if s["Sid"] == "WriteMedia"]
    assert sorted(write["Resource"]) == [
        f"arn:aws:s3:::{bucket}/a${{*}}/*",
        f"arn:aws:s3:::{bucket}/q${{?}}${{$}}/*",
    ]
    for key in ("ab/x", "a/x", "a-anything/x", "qz/x", "q/x"):
        with pytest.raises(ClientError, match="AccessDenied"):
            client.put_object(Bucket=bucket, Key=key, Body=b"x")


@pytest.mark.slow
@pytest.mark.parametrize(
    "kms_key_id",
    [
        "1234abcd-12ab-34cd-56ef-1234567890ab",
        "mrk-1234abcd12ab34cd56ef1234567890ab",
        "alias/media-key",
        "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "arn:aws:kms:eu-west-1:111122223333:alias/media-key",
    ],
)
def test_kms_key_ids_aliases_and_arns_are_taken(api, config_body, kms_key_id):
    body = config_body(server_side_encryption="aws:kms", kms_key_id=kms_key_id)

    response = api.post(f"{CONFIGS}/validate", body, format="json")

    assert response.status_code == 200, response.json()


@pytest.mark.parametrize(
    "kms_key_id",
    ["my-key", "alias/", "alias/has space", "arn:aws:kms:us-east-1:1:key/x", "*", "../key"],
)
def test_a_kms_key_id_of_no_known_form_is_a_400_naming_it(api, config_body, kms_key_id):
    body = config_body(server_side_encryption="aws:kms", kms_key_id=kms_key_id)

    response = api.put(PUT, body, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["kms_key_id"]
