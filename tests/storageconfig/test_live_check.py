import time

import pytest

from storageconfig.models import StorageConfig
from tests.support.api import PUT
from tests.support.stub_s3 import stub_s3

MODES = ["read_write", "write_only"]


def refused(response, reason: str) -> dict:
    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["reason"] == reason, body
    assert body["message"].startswith("Storage check failed.")
    assert not StorageConfig.objects.exists()
    return body


@pytest.mark.parametrize("mode", MODES)
def test_a_bucket_that_does_not_exist_is_refused(api, config_body, mode):
    response = api.put(
        PUT, config_body(bucket_name="no-such-bucket-here", access_mode=mode), format="json"
    )

    body = refused(response, "no_such_bucket")
    assert "The bucket 'no-such-bucket-here' does not exist." in body["message"]
    assert body["check"] == ("HeadBucket" if mode == "read_write" else "PutObject")


def test_a_bucket_in_another_region_is_refused_naming_its_region(api, config_body, s3_server):
    west = s3_server.bucket(region="us-west-2")

    response = api.put(PUT, config_body(bucket_name=west, region="us-east-1"), format="json")

    body = refused(response, "wrong_region")
    assert f"The bucket '{west}' is in region 'us-west-2', not 'us-east-1'." in body["message"]


def test_the_right_region_passes(api, config_body, s3_server):
    west = s3_server.bucket(region="us-west-2")

    response = api.put(PUT, config_body(bucket_name=west, region="us-west-2"), format="json")

    assert response.status_code == 200


@pytest.mark.slow
@pytest.mark.parametrize("mode", MODES)
def test_an_unknown_access_key_id_is_refused_as_such(api, config_body, iam_s3_server, mode):
    bucket = iam_s3_server.bucket()
    body = config_body(
        bucket_name=bucket,
        endpoint_url=iam_s3_server.url,
        access_mode=mode,
        access_key_id="AKIANOSUCHKEY0000000",
    )

    body = refused(api.put(PUT, body, format="json"), "invalid_access_key_id")
    assert "S3 does not recognise the access key id." in body["message"]


@pytest.mark.parametrize("mode", MODES)
def test_a_secret_that_does_not_match_the_key_is_refused_as_such(
    api, config_body, iam_s3_server, mode
):
    bucket = iam_s3_server.bucket()
    key_id, _ = iam_s3_server.user(
        [{"Effect": "Allow", "Action": "s3:*", "Resource": f"arn:aws:s3:::{bucket}/*"}]
    )
    body = config_body(
        bucket_name=bucket,
        endpoint_url=iam_s3_server.url,
        access_mode=mode,
        access_key_id=key_id,
        secret_key="not-the-secret-of-this-key",
    )

    body = refused(api.put(PUT, body, format="json"), "signature_mismatch")
    assert "The secret key does not match the access key id." in body["message"]


@pytest.mark.parametrize("mode", MODES)
def test_an_endpoint_nobody_listens_on_is_refused_as_unreachable(api, config_body, mode):
    body = config_body(endpoint_url="http://127.0.0.1:9", access_mode=mode)

    body = refused(api.put(PUT, body, format="json"), "endpoint_unreachable")
    assert "Could not connect to the endpoint http://127.0.0.1:9." in body["message"]


@pytest.mark.slow
@pytest.mark.parametrize("mode", MODES)
def test_an_endpoint_that_never_answers_is_refused_within_10_seconds(
    api, config_body, silent_endpoint, mode
):
    body = config_body(
        endpoint_url=silent_endpoint,
        access_mode=mode,
        prefixes={"audio": "a", "video": "v", "transcript": "t", "metadata": "m"},
    )

    started = time.monotonic()
    response = api.put(PUT, body, format="json")
    elapsed = time.monotonic() - started

    body = refused(response, "timeout")
    assert elapsed < 10, elapsed
    assert silent_endpoint in body["message"]


@pytest.fixture
def redirecting_endpoint():
    """An S3 look-alike answering every request the way S3 does for a bucket in eu-west-1."""
    redirect = {"x-amz-bucket-region": "eu-west-1"}
    with stub_s3(301, "PermanentRedirect", "Use the specified endpoint.", redirect) as url:
        yield url


@pytest.mark.parametrize("mode", MODES)
def test_a_redirect_to_another_region_is_refused_not_followed(
    api, config_body, redirecting_endpoint, mode
):
    body = config_body(endpoint_url=redirecting_endpoint, access_mode=mode)

    body = refused(api.put(PUT, body, format="json"), "wrong_region")
    assert "is in region 'eu-west-1', not 'us-east-1'" in body["message"]


def test_a_failed_check_leaves_the_active_configuration_in_place(api, tenant, config_body):
    assert api.put(PUT, config_body(prefix="kept"), format="json").status_code == 200

    response = api.put(PUT, config_body(bucket_name="no-such-bucket-here"), format="json")

    assert response.status_code == 400
    active = StorageConfig.objects.get(tenant=tenant, is_active=True)
    assert (active.revision, active.prefix) == (1, "kept")
    assert StorageConfig.objects.filter(tenant=tenant).count() == 1
