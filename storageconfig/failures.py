"""What the storage modules raise when a provider (or STS, for a role's session) says no: one
error, in words a customer can act on (never credentials, never the service's raw text)."""

# Every `reason` the API, the upload rows and the webhooks may carry (docs/api.md's table).
REASONS = (
    "no_such_bucket",
    "no_such_key",
    "wrong_region",
    "access_denied",
    "kms_access_denied",
    "invalid_access_key_id",
    "signature_mismatch",
    "invalid_credentials",
    "endpoint_unreachable",
    "endpoint_refused",
    "invalid_response",
    "timeout",
    "role_assumption_failed",
    "invalid_role_arn",
    "role_not_protected",
    "sts_region_disabled",
    "platform_principal_unknown",
    "credentials_erased",
    "write_only",
    "unavailable",
    "storage_error",
    "s3_error",
    # Uploads only: the file's staged copy is gone (deleted by hand, a lost disk); permanent.
    "staged_file_missing",
)


class StorageError(Exception):
    """A failed storage call. `reason` is one of REASONS: the API, the upload rows and the
    webhooks all carry it."""

    def __init__(self, reason: str, message: str, *, retryable: bool = False) -> None:
        if reason not in REASONS:
            raise ValueError(f"Not a storage failure reason: {reason}")
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.retryable = retryable


# The failures every provider meets, in the same words whichever it is.


def timed_out(endpoint: str) -> StorageError:
    return StorageError(
        "timeout", f"The endpoint {endpoint} did not answer in time.", retryable=True
    )


def unreachable(endpoint: str) -> StorageError:
    return StorageError(
        "endpoint_unreachable", f"Could not connect to the endpoint {endpoint}.", retryable=True
    )


def not_understood(endpoint: str, service: str, operation: str) -> StorageError:
    return StorageError(
        "invalid_response",
        f"The endpoint {endpoint} answered {operation} with something that is not {service}'s "
        f"answer: does it serve the {service} API?",
    )


def egress_refused(refused) -> StorageError:
    """The egress guard's refusal (meetstream.shared.outbound.EgressRefused)."""
    return StorageError(refused.reason, f"Refused to connect to the endpoint: {refused}")


def no_bucket(bucket: str, *, kind: str = "bucket") -> StorageError:
    return StorageError("no_such_bucket", f"The {kind} '{bucket}' does not exist.")


def no_key(where: str) -> StorageError:
    return StorageError("no_such_key", f"{where} does not exist.")


def denied(action: str, where: str) -> StorageError:
    return StorageError(
        "access_denied", f"Access denied: the credentials may not {action} on {where}."
    )


def unavailable(service: str, operation: str, where: str, code) -> StorageError:
    return StorageError(
        "unavailable",
        f"{service} could not serve {operation} on {where} right now ({code}).",
        retryable=True,
    )
