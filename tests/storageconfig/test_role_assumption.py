"""A bucket reached through the customer's IAM role: the platform assumes it with its own
credentials and the tenant's external ID, checks it live, and never shows a key."""

import time

import pytest

from meetstream.tenants.models import Tenant
from storageconfig.backends.aws import s3
from storageconfig.models import StorageConfig
from storageconfig.services import external_id_rotate
from tests.support.api import CONFIGS, EXTERNAL_ID, POLICY, PUT, VALIDATE
from tests.support.faults import FixedAnswer, sts_error
from tests.support.sts import KEYS_GONE, PLATFORM_ACCOUNT, ROLE, put_with_sts_answering


def role_policies(api, **location) -> dict:
    response = api.get(POLICY, {"region": "us-east-1", "credentials": "role", **location})
    assert response.status_code == 200, response.json()
    return response.json()


def test_the_external_id_is_readable_before_any_configuration_and_stays_the_same(
    api, other_api, tenant, other_tenant
):
    first = api.get(EXTERNAL_ID)
    again = api.get(EXTERNAL_ID)

    assert first.status_code == 200
    external_id = first.json()["external_id"]
    assert len(external_id) >= 32 and again.json()["external_id"] == external_id
    assert first.json()["role_session_name"] == f"meetstream-{tenant.public_id}"
    assert other_api.get(EXTERNAL_ID).json()["external_id"] != external_id
    assert api.get(CONFIGS).json() == {"StorageConfig": {}}


def test_a_customer_cannot_choose_the_external_id(api, config_body):
    body = config_body(**KEYS_GONE, role_arn=ROLE, external_id="ext_chosen_by_me_0123456789abcdef")

    response = api.put(PUT, body, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"external_id": ["Unknown field."]}


@pytest.mark.parametrize(
    ("credentials", "field", "says"),
    [
        ({"role_arn": ROLE}, "role_arn", "not both"),
        (KEYS_GONE, "access_key_id", "or a role_arn"),
        ({"secret_key": ...}, "secret_key", "goes with access_key_id"),
        ({"access_key_id": ..., "role_arn": ROLE}, "role_arn", "not both"),
    ],
)
def test_keys_and_a_role_together_or_neither_are_refused(
    api, config_body, credentials, field, says
):
    response = api.put(PUT, config_body(**credentials), format="json")

    assert response.status_code == 400
    assert says in response.json()["errors"][field][0]
    assert not StorageConfig.objects.exists()


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:iam::12345678901:role/short-account",
        "arn:aws:iam::123456789012:user/not-a-role",
        "arn:aws:iam::123456789012:role/",
        "arn:aws:iam::123456789012:role/with space",
        "arn:aws:iam::123456789012:role//empty-path",
        "arn:aws:iam::123456789012:role/" + "n" * 65,
        "arn:aws:s3:::a-bucket",
        "arn:aws:iam::123456789012:role/ünïcode",
    ],
)
def test_an_invalid_role_arn_is_a_400_naming_the_form(api, config_body, arn):
    response = api.put(PUT, config_body(**KEYS_GONE, role_arn=arn), format="json")

    assert response.status_code == 400
    assert "arn:aws:iam::<12-digit account>:role/" in response.json()["errors"]["role_arn"][0]


def test_a_role_granted_only_the_probe_prefixes_passes_write_only(
    api, tenant, config_body, iam_s3_server, platform_at
):
    platform_at(iam_s3_server)
    bucket = iam_s3_server.bucket()
    location = {"bucket_name": bucket, "endpoint_url": iam_s3_server.url, "prefix": "calls"}
    policies = role_policies(api, access_mode="write_only", **location)
    arn = iam_s3_server.role(
        policies["permission_policy"]["Statement"], external_id=tenant.storage_external_id
    )
    body = config_body(**KEYS_GONE, role_arn=arn, access_mode="write_only", **location)

    response = api.put(PUT, body, format="json")

    assert response.status_code == 200, response.json()
    [probe] = iam_s3_server.keys(bucket)
    assert probe.startswith("calls/.write_probe_")
    shown = api.get(CONFIGS).json()["StorageConfig"]["aws"]
    assert shown["credentials"] == "role" and shown["role_arn"] == arn
    assert shown["external_id"] == Tenant.objects.get(pk=tenant.pk).storage_external_id
    assert shown["access_mode"] == "write_only"
    assert "access_key_id" not in shown and "secret_key" not in shown
    saved = StorageConfig.objects.get(tenant=tenant)
    assert saved.secrets == {} and saved.options["role_arn"] == arn


def test_the_session_is_held_to_the_roles_policy_not_the_platforms(
    api, tenant, config_body, iam_s3_server, platform_at
):
    platform_at(iam_s3_server)  # the platform's own key may do everything
    bucket = iam_s3_server.bucket()
    arn = iam_s3_server.role(
        [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::other/*"}],
        external_id=tenant.storage_external_id,
    )
    body = config_body(
        **KEYS_GONE,
        role_arn=arn,
        bucket_name=bucket,
        endpoint_url=iam_s3_server.url,
        access_mode="write_only",
    )

    response = api.put(PUT, body, format="json")

    assert response.status_code == 400
    assert [check["check"] for check in response.json()["checks"]] == ["AssumeRole", "PutObject"]
    assert response.json()["reason"] == "access_denied"
    assert iam_s3_server.keys(bucket) == []


def test_sts_access_denied_is_the_assume_role_400(
    api, config_body, iam_s3_server, platform_at, settings
):
    s3_only = iam_s3_server.user([{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}])
    platform_at(iam_s3_server)
    settings.PLATFORM_S3_ACCESS_KEY_ID, settings.PLATFORM_S3_SECRET_ACCESS_KEY = s3_only
    arn = iam_s3_server.role([{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}])
    body = config_body(**KEYS_GONE, role_arn=arn, endpoint_url=iam_s3_server.url)

    response = api.put(PUT, body, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "message": f"Storage check failed. AssumeRole: The platform could not assume {arn}: "
        "check the role's trust policy and the external ID.",
        "code": "storage_check_failed",
        "check": "AssumeRole",
        "reason": "role_assumption_failed",
        "checks": [
            {
                "check": "AssumeRole",
                "key": None,
                "ok": False,
                "reason": "role_assumption_failed",
                "message": f"The platform could not assume {arn}: check the role's trust policy "
                "and the external ID.",
            }
        ],
    }
    assert not StorageConfig.objects.exists()


def test_the_assume_role_request_names_the_tenants_external_id_and_session(
    api, tenant, config_body, sts_seen, role_arn
):
    response = api.put(PUT, config_body(**KEYS_GONE, role_arn=role_arn), format="json")

    assert response.status_code == 200, response.json()
    *probes, request = sts_seen()
    tenant.refresh_from_db()
    assert [probe.get("ExternalId") for probe in probes] == [
        None,
        f"not-{tenant.storage_external_id}",
    ]
    assert request["RoleArn"] == role_arn
    assert request["ExternalId"] == tenant.storage_external_id
    assert request["RoleSessionName"] == f"meetstream-{tenant.public_id}"
    assert request["DurationSeconds"] == "3600"


SESSION_TOO_LONG = "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."


@pytest.mark.slow
@pytest.mark.parametrize(
    ("code", "status", "sts_says", "reason", "says"),
    [
        ("RegionDisabledException", 403, "", "sts_region_disabled", "STS is not active in region"),
        ("ValidationError", 400, "", "invalid_role_arn", "STS does not accept the role ARN"),
        ("ValidationError", 400, SESSION_TOO_LONG, "role_assumption_failed", "MaxSessionDuration"),
        ("InvalidClientTokenId", 403, "", "role_assumption_failed", "the platform's own"),
    ],
)
def test_each_sts_refusal_has_its_own_message(
    api, config_body, monkeypatch, code, status, sts_says, reason, says
):
    response = put_with_sts_answering(
        api, config_body, monkeypatch, FixedAnswer(status, sts_error(code, sts_says or "refused"))
    )

    assert response.status_code == 400
    assert response.json()["check"] == "AssumeRole" and response.json()["reason"] == reason
    assert says in response.json()["message"]
    if sts_says:  # STS's own text is never passed on
        assert sts_says not in response.json()["message"]


@pytest.mark.slow
def test_a_silent_sts_fails_the_check_within_ten_seconds(
    api, config_body, monkeypatch, silent_endpoint
):
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", silent_endpoint)
    started = time.monotonic()

    response = api.put(PUT, config_body(**KEYS_GONE, role_arn=ROLE), format="json")

    assert time.monotonic() - started < 10
    assert response.status_code == 400
    assert response.json()["check"] == "AssumeRole" and response.json()["reason"] == "timeout"


def test_the_policy_endpoint_gives_the_trust_policy_and_the_permission_policy(
    api, tenant, bucket, settings
):
    settings.PLATFORM_AWS_PRINCIPAL_ARN = "arn:aws:iam::999999999999:role/meetstream-platform"
    location = {"bucket_name": bucket, "prefix": "calls", "access_mode": "write_only"}

    both = role_policies(api, **location)

    tenant.refresh_from_db()
    assert both["trust_policy"] == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "MeetStreamAssumesThisRole",
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::999999999999:role/meetstream-platform"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": tenant.storage_external_id}},
            }
        ],
    }
    keys_only = api.get(POLICY, {"region": "us-east-1", **location}).json()
    assert both["permission_policy"] == keys_only
    assert api.get(POLICY, {**location, "region": "us-east-1", "credentials": "x"}).json()[
        "errors"
    ] == {"credentials": ["Use 'keys' or 'role'."]}


@pytest.mark.slow
def test_without_a_principal_setting_sts_names_the_platforms_principal(
    api, bucket, iam_s3_server, platform_at, settings
):
    settings.PLATFORM_AWS_PRINCIPAL_ARN = ""
    platform_at(iam_s3_server)

    both = role_policies(api, bucket_name=bucket)

    principal = both["trust_policy"]["Statement"][0]["Principal"]["AWS"]
    assert principal == f"arn:aws:iam::{PLATFORM_ACCOUNT}:user/admin"


def test_the_policy_of_the_active_role_configuration(api, config_body, settings, role_arn):
    settings.PLATFORM_AWS_PRINCIPAL_ARN = "arn:aws:iam::999999999999:root"
    body = config_body(**KEYS_GONE, role_arn=role_arn)
    assert api.put(PUT, body, format="json").status_code == 200

    both = api.get(POLICY, {"credentials": "role"}).json()

    assert set(both) == {"trust_policy", "permission_policy"}
    assert both["permission_policy"]["Statement"][0]["Sid"] == "WriteMedia"


@pytest.mark.slow
def test_after_a_rotation_the_role_configuration_must_be_checked_again(
    api, tenant, config_body, staff_client, sts_seen, s3_server, role_arn
):
    body = config_body(**KEYS_GONE, role_arn=role_arn)
    assert api.put(PUT, body, format="json").status_code == 200
    before = api.get(EXTERNAL_ID).json()["external_id"]
    staff = staff_client("change_tenant", "view_tenant")

    page = staff.post(
        "/admin/meetstream/tenant/",
        {"action": "rotate_external_id", "_selected_action": [tenant.pk]},
        follow=True,
    )

    assert page.status_code == 200 and b"Rotated the external ID of 1 tenant" in page.content
    after = api.get(EXTERNAL_ID).json()["external_id"]
    assert after != before and len(after) >= 32
    shown = api.get(CONFIGS).json()["StorageConfig"]["aws"]
    assert shown["external_id"] == after and shown["last_validated_at"] is None
    assert "rotated" in StorageConfig.objects.get(is_active=True).last_check_error
    refused = api.post(VALIDATE)  # the role still requires the old one
    s3_server.trust_update(role_arn, external_id=after)  # as the customer does

    checked = api.post(VALIDATE)

    assert refused.json()["ok"] is False
    assert refused.json()["checks"][0]["reason"] == "role_assumption_failed"
    assert checked.status_code == 200 and checked.json()["ok"] is True
    assert sts_seen()[-1]["ExternalId"] == after
    assert api.get(CONFIGS).json()["StorageConfig"]["aws"]["last_validated_at"] is not None
    assert StorageConfig.objects.get(is_active=True).last_check_error == ""


def test_the_tenant_page_shows_the_external_id(tenant, staff_client):
    staff = staff_client("view_tenant")

    page = staff.get(f"/admin/meetstream/tenant/{tenant.pk}/change/")

    assert tenant.storage_external_id.encode() in page.content


def test_a_rotation_drops_the_sessions_this_process_holds(api, tenant, config_body, role_arn):
    body = config_body(**KEYS_GONE, role_arn=role_arn)
    assert api.put(PUT, body, format="json").status_code == 200
    config = StorageConfig.objects.get(is_active=True)
    cache_key = (config.pk, "us-east-1", tenant.storage_external_id)
    s3.client(config.backend().target, purpose="fetch", cache_key=cache_key)
    assert s3.role_sessions_held(config.pk)

    external_id_rotate(tenant=tenant)

    assert s3.role_sessions_held(config.pk) == []
