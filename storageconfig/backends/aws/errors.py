"""What an S3 failure means, in words a customer can act on: an `StorageError` whose
message never carries credentials nor raw S3 text."""

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    HTTPClientError,
    ReadTimeoutError,
)
from botocore.parsers import ResponseParserError

from meetstream.shared import outbound
from storageconfig import failures
from storageconfig.backends.aws import sts
from storageconfig.backends.aws.target import S3Target
from storageconfig.failures import StorageError

_RETRYABLE_CODES = {
    "SlowDown",
    "InternalError",
    "ServiceUnavailable",
    "RequestTimeout",
    "RequestTimeTooSkewed",
    "Throttling",
    "ThrottlingException",
    "RequestLimitExceeded",
}


_REGION_CODES = {
    "PermanentRedirect",
    "AuthorizationHeaderMalformed",
    "IllegalLocationConstraintException",
}


_ACTIONS = {
    "HeadBucket": "s3:ListBucket",
    "PutObject": "s3:PutObject",
    "GetObject": "s3:GetObject",
    "DeleteObjects": "s3:DeleteObject",
    "AbortMultipartUpload": "s3:AbortMultipartUpload",
}


class WrongRegion(Exception):
    def __init__(self, region: str) -> None:
        super().__init__(region)
        self.region = region


# StorageError: a role's session that could not be refreshed inside an S3 call (aws.sts).
# botocore's (an answer that is not XML included), and ours.
FAILURES = (*sts.FAILURES, WrongRegion, outbound.EgressRefused, StorageError)


def error_from(
    exc: Exception, *, target: S3Target, operation: str, key: str | None = None
) -> StorageError:
    """Translate a botocore failure into an StorageError; raw S3 text is never passed on."""
    if isinstance(exc, StorageError):
        return exc
    where = f"s3://{target.bucket}/{key}" if key else f"bucket '{target.bucket}'"
    if isinstance(exc, WrongRegion):
        return _wrong_region(target, exc.region)
    if (refused := outbound.refusal_in(exc)) is not None:
        return failures.egress_refused(refused)
    if isinstance(exc, ConnectTimeoutError | ReadTimeoutError):
        return failures.timed_out(target.endpoint)
    if isinstance(exc, EndpointConnectionError | ConnectionClosedError | HTTPClientError):
        return failures.unreachable(target.endpoint)
    if isinstance(exc, ResponseParserError):
        return failures.not_understood(target.endpoint, "S3", operation)
    if not isinstance(exc, ClientError):
        return StorageError("s3_error", f"{operation} on {where} failed ({type(exc).__name__}).")

    error = exc.response.get("Error", {})
    code = str(error.get("Code", ""))
    meta = exc.response.get("ResponseMetadata", {})
    status = int(meta.get("HTTPStatusCode") or 0)
    region = error.get("Region") or meta.get("HTTPHeaders", {}).get("x-amz-bucket-region")

    if code == "NoSuchBucket" or (operation == "HeadBucket" and status == 404):
        return failures.no_bucket(target.bucket)
    if code in _REGION_CODES or status == 301:
        return _wrong_region(target, region)
    if code == "InvalidAccessKeyId":
        return StorageError("invalid_access_key_id", "S3 does not recognise the access key id.")
    if code == "SignatureDoesNotMatch":
        return StorageError(
            "signature_mismatch", "The secret key does not match the access key id."
        )
    if code.startswith("KMS.") or (
        status == 403 and "kms" in str(error.get("Message", "")).lower()
    ):
        return StorageError(
            "kms_access_denied",
            f"KMS refused the key {target.kms_key_id or '(the default aws/s3 key)'} for {where}: "
            "the credentials need kms:GenerateDataKey (and kms:Decrypt) on it.",
        )
    if code in {"InvalidToken", "ExpiredToken", "TokenRefreshRequired"}:
        return StorageError("invalid_credentials", "The credentials are expired or not valid.")
    if code in {"AccessDenied", "AllAccessDisabled", "403"} or status == 403:
        return failures.denied(_ACTIONS.get(operation, operation), where)
    if code == "NoSuchKey" or status == 404:
        return failures.no_key(where)
    if code in _RETRYABLE_CODES or status >= 500:
        return failures.unavailable("S3", operation, where, code or status)
    return StorageError("s3_error", f"S3 refused {operation} on {where} ({code or status}).")


def _wrong_region(target: S3Target, region: str | None) -> StorageError:
    if region:
        return StorageError(
            "wrong_region",
            f"The bucket '{target.bucket}' is in region '{region}', not '{target.region}'.",
        )
    return StorageError(
        "wrong_region", f"The bucket '{target.bucket}' is not in region '{target.region}'."
    )
