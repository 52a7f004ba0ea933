"""Assuming a tenant's IAM role: the platform's own credentials ask STS for a session, naming
the tenant's external ID (AWS's confused-deputy guard), and the session is refreshed before a
URL signed with it could outlive it.

STS is reached through botocore's standard settings (`AWS_ENDPOINT_URL_STS` in tests and
`make run`). The clients are made by `s3`, which owns timeouts and retries.
"""

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime

from botocore.credentials import DeferredRefreshableCredentials
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)
from botocore.parsers import ResponseParserError
from django.conf import settings

from storageconfig import failures
from storageconfig.failures import StorageError

# A presigned URL is valid this long unless its session ends sooner.
URL_SECONDS = 3600
# A session is used at least this long before it is refreshed.
_SESSION_MIN_USE = 600
_ADVISORY_MARGIN = 300
# What an STS call may raise: botocore does not count an answer it cannot parse a BotoCoreError.
FAILURES = (BotoCoreError, ClientError, ResponseParserError)
# The probes that prove a role refuses strangers ask for the shortest session STS gives.
_SHORTEST_SESSION = 900


@dataclass(frozen=True)
class Role:
    """A customer's role, as the platform assumes it for one tenant."""

    arn: str
    external_id: str
    session_name: str


def now() -> datetime:
    return datetime.now(UTC)


def url_floor() -> int:
    """The least life a URL signed by a session gets: the session is refreshed below it.

    With the default 3,600 s session that is 3,000 s (50 minutes); a session of two hours or
    more (STORAGE_ROLE_SESSION_SECONDS and the role's MaxSessionDuration) gives every URL the
    full hour."""
    return min(URL_SECONDS, settings.STORAGE_ROLE_SESSION_SECONDS - _SESSION_MIN_USE)


class RoleCredentials(DeferredRefreshableCredentials):
    """botocore's refreshable credentials, refreshed while they still have `url_floor()`
    seconds left rather than botocore's 10 minutes, so a URL signed now lives that long."""

    def __init__(self, refresh_using) -> None:
        # The clock is looked up at each call, so that tests can move it.
        super().__init__(refresh_using=refresh_using, method="assume-role", time_fetcher=_now)
        floor = url_floor()
        self._mandatory_refresh_timeout = floor
        self._advisory_refresh_timeout = min(
            floor + _ADVISORY_MARGIN, settings.STORAGE_ROLE_SESSION_SECONDS - _ADVISORY_MARGIN
        )

    def seconds_left(self) -> int:
        """Whole seconds until the session ends, refreshed first when it is due."""
        self.get_frozen_credentials()
        return max(0, math.floor(self._seconds_remaining()))


def _now() -> datetime:
    return now()


def assume(sts, role: Role, *, region: str) -> dict:
    """One AssumeRole: the session's keys and expiry, in the form botocore refreshes from."""
    try:
        answer = sts.assume_role(
            RoleArn=role.arn,
            RoleSessionName=role.session_name,
            ExternalId=role.external_id,
            DurationSeconds=settings.STORAGE_ROLE_SESSION_SECONDS,
        )
    except FAILURES as exc:
        raise role_error(exc, role=role, region=region) from None
    session = answer["Credentials"]
    return {
        "access_key": session["AccessKeyId"],
        "secret_key": session["SecretAccessKey"],
        "token": session["SessionToken"],
        "expiry_time": session["Expiration"].isoformat(),
    }


def role_protection_check(sts, role: Role, *, region: str, account: str) -> None:
    """AWS's guard against a confused deputy, verified rather than trusted: the platform sends
    each tenant's own external ID, which protects only a role that requires it. So a role is
    refused when STS lets the platform assume it without an external ID or with a wrong one,
    and outright when it is in the platform's own account (`account`)."""
    if role.arn.split(":")[4] == account:
        raise StorageError(
            "role_not_protected",
            f"The role {role.arn} is in the platform's own AWS account: give a role in yours.",
        )
    for external_id in (None, f"not-{role.external_id}"):
        try:
            sts.assume_role(
                RoleArn=role.arn,
                RoleSessionName=role.session_name,
                DurationSeconds=_SHORTEST_SESSION,
                **({"ExternalId": external_id} if external_id else {}),
            )
        except FAILURES as exc:
            if (
                isinstance(exc, ClientError)
                and exc.response.get("Error", {}).get("Code") == "AccessDenied"
            ):
                continue  # refused, as it should be
            raise role_error(exc, role=role, region=region) from None
        raise StorageError(
            "role_not_protected",
            f"The role {role.arn} lets the platform assume it "
            f"{'with an external ID other than yours' if external_id else 'without an external ID'}"
            ", so another customer of the platform could reach your bucket through it. Add to "
            f"the statement of its trust policy that trusts the platform: "
            f'"Condition": {json.dumps(external_id_condition(role.external_id))}',
        )


def external_id_condition(external_id: str) -> dict:
    """The trust policy's condition that holds a role to one tenant."""
    return {"StringEquals": {"sts:ExternalId": external_id}}


def caller_arn(sts) -> str:
    """The platform's own principal, as a trust policy names it: an assumed role (an instance
    or task role) is named by its role's ARN. A role with a path needs
    PLATFORM_AWS_PRINCIPAL_ARN, since STS does not tell the path."""
    arn = sts.get_caller_identity()["Arn"]
    _, partition, _, _, account, resource = arn.split(":", 5)
    if resource.startswith("assumed-role/"):
        return f"arn:{partition}:iam::{account}:role/{resource.split('/')[1]}"
    return arn


def role_error(exc: Exception, *, role: Role, region: str) -> StorageError:
    if isinstance(exc, NoCredentialsError):
        return StorageError(
            "role_assumption_failed",
            "The platform has no AWS credentials of its own to assume the role with.",
        )
    if isinstance(exc, ConnectTimeoutError | ReadTimeoutError):
        return StorageError(
            "timeout", f"STS in region '{region}' did not answer in time.", retryable=True
        )
    if isinstance(exc, EndpointConnectionError):
        return StorageError(
            "endpoint_unreachable",
            f"Could not connect to STS in region '{region}': is it a region?",
            retryable=True,
        )
    if isinstance(exc, ResponseParserError):
        return failures.not_understood(f"of STS in region '{region}'", "STS", "AssumeRole")
    if not isinstance(exc, ClientError):
        return StorageError(
            "role_assumption_failed", f"AssumeRole on {role.arn} failed ({type(exc).__name__})."
        )
    error = exc.response.get("Error", {})
    code = str(error.get("Code", ""))
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    if code == "RegionDisabledException":
        return StorageError(
            "sts_region_disabled",
            f"STS is not active in region '{region}' for the role's account: activate it in "
            "the account's IAM settings, or configure the bucket's region where it is.",
        )
    if code in {"InvalidClientTokenId", "SignatureDoesNotMatch", "ExpiredToken"}:
        return StorageError(
            "role_assumption_failed",
            "STS refused the platform's own credentials; this is ours to fix, not your role.",
            retryable=True,
        )
    if code == "ValidationError" and "DurationSeconds" in str(error.get("Message", "")):
        return StorageError(
            "role_assumption_failed",
            f"The role {role.arn} allows shorter sessions than the platform asks for "
            f"({settings.STORAGE_ROLE_SESSION_SECONDS} s): raise its MaxSessionDuration.",
        )
    if code == "ValidationError":
        return StorageError("invalid_role_arn", f"STS does not accept the role ARN {role.arn}.")
    if code in {"Throttling", "ThrottlingException"} or status >= 500:
        return StorageError(
            "unavailable", f"STS could not answer right now ({code or status}).", retryable=True
        )
    return StorageError(
        "role_assumption_failed",
        f"The platform could not assume {role.arn}: check the role's trust policy and the "
        "external ID.",
    )
