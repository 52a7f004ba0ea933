"""A role must prove it requires the tenant's external ID before it is saved or validated, and
STS answers that are not XML are reasons, not 500s."""

import pytest

from storageconfig.models import StorageConfig
from tests.support.api import POLICY, PUT, VALIDATE
from tests.support.faults import FixedAnswer
from tests.support.sts import KEYS_GONE, PLATFORM_ACCOUNT, put_with_sts_answering

ANYTHING_IN_S3 = [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]

UNPROTECTED = [
    pytest.param(None, "StringEquals", "without an external ID", id="no condition"),
    pytest.param("*", "StringLike", "with an external ID other than yours", id="any external ID"),
]


def condition_shown(tenant) -> str:
    return f'"Condition": {{"StringEquals": {{"sts:ExternalId": "{tenant.storage_external_id}"}}}}'


@pytest.mark.parametrize(("external_id", "condition", "says"), UNPROTECTED)
def test_a_role_that_does_not_require_the_tenants_external_id_is_not_saved(
    api, tenant, config_body, s3_server, sts_stand_in, external_id, condition, says
):
    arn = s3_server.role(ANYTHING_IN_S3, external_id=external_id, condition=condition)

    response = api.put(PUT, config_body(**KEYS_GONE, role_arn=arn), format="json")

    assert response.status_code == 400
    assert (response.json()["check"], response.json()["reason"]) == (
        "AssumeRole",
        "role_not_protected",
    )
    assert says in response.json()["message"]
    assert condition_shown(tenant) in response.json()["message"]
    assert not StorageConfig.objects.exists()


def test_a_role_that_requires_the_tenants_external_id_saves_and_validates(
    api, config_body, sts_stand_in, role_arn
):
    refused_before = len(sts_stand_in.refused)

    saved = api.put(PUT, config_body(**KEYS_GONE, role_arn=role_arn), format="json")
    checked = api.post(VALIDATE)

    assert saved.status_code == 200, saved.json()
    assert checked.status_code == 200 and checked.json()["ok"] is True
    # Each time, STS refused the platform without an external ID and with a wrong one.
    assert len(sts_stand_in.refused) - refused_before == 4


@pytest.mark.parametrize(("external_id", "condition", "says"), UNPROTECTED)
def test_validate_fails_once_the_role_no_longer_requires_the_external_id(
    api, tenant, config_body, s3_server, role_arn, external_id, condition, says
):
    assert (
        api.put(PUT, config_body(**KEYS_GONE, role_arn=role_arn), format="json").status_code == 200
    )
    s3_server.trust_update(role_arn, external_id=external_id, condition=condition)

    checked = api.post(VALIDATE)

    assert checked.status_code == 200 and checked.json()["ok"] is False  # validate's shape
    [check] = checked.json()["checks"]
    assert (check["check"], check["reason"]) == ("AssumeRole", "role_not_protected")
    assert says in check["message"] and condition_shown(tenant) in check["message"]


def test_a_role_in_the_platforms_own_account_is_refused_without_being_assumed(
    api, config_body, settings, sts_seen
):
    settings.PLATFORM_AWS_PRINCIPAL_ARN = ""  # the account is GetCallerIdentity's
    arn = f"arn:aws:iam::{PLATFORM_ACCOUNT}:role/platform-media"

    response = api.put(PUT, config_body(**KEYS_GONE, role_arn=arn), format="json")

    assert response.status_code == 400 and response.json()["reason"] == "role_not_protected"
    assert "in the platform's own AWS account" in response.json()["message"]
    assert sts_seen() == []
    assert not StorageConfig.objects.exists()


@pytest.mark.parametrize("status", [200, 403])
def test_an_sts_that_answers_no_xml_is_a_reason_not_a_500(api, config_body, monkeypatch, status):
    html = FixedAnswer(status, b"<html><body>Not STS</body></html", "text/html")

    response = put_with_sts_answering(api, config_body, monkeypatch, html)

    assert response.status_code == 400
    assert (response.json()["check"], response.json()["reason"]) == (
        "AssumeRole",
        "invalid_response",
    )
    assert "Not STS" not in response.json()["message"]


def test_a_platform_principal_sts_answers_without_xml_is_a_503_not_a_500(
    api, bucket, monkeypatch, settings
):
    settings.PLATFORM_AWS_PRINCIPAL_ARN = ""
    settings.PLATFORM_S3_ACCESS_KEY_ID = "AKIA-ANOTHER-PLATFORM-KEY"  # nothing cached for it
    html = FixedAnswer(200, b"<html><body>Not STS</body></html", "text/html")
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", html.url)
    try:
        response = api.get(
            POLICY, {"region": "us-east-1", "credentials": "role", "bucket_name": bucket}
        )
    finally:
        html.stop()

    assert response.status_code == 503
    assert "PLATFORM_AWS_PRINCIPAL_ARN" in response.json()["message"]
