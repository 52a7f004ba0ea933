"""What an Azure failure means, in words a customer can act on; never the service's raw text."""

from azure.core import exceptions as azure

from meetstream.shared import outbound
from storageconfig import failures
from storageconfig.failures import StorageError


def error_from(
    exc: Exception, operation: str, *, bucket: str, endpoint: str, key: str | None = None
) -> StorageError:
    """An Azure failure in words a customer can act on; never the service's raw text."""
    if isinstance(exc, StorageError):
        return exc
    where = f"{bucket}/{key}" if key else f"container '{bucket}'"
    if (refused := outbound.refusal_in(exc)) is not None:
        return failures.egress_refused(refused)
    if isinstance(exc, azure.ServiceResponseTimeoutError | azure.ServiceRequestTimeoutError):
        return failures.timed_out(endpoint)
    if isinstance(exc, azure.ServiceRequestError | azure.ServiceResponseError):
        return failures.unreachable(endpoint)
    code = getattr(exc, "error_code", None) or ""
    code = str(getattr(code, "value", code))  # the SDK's enum, or the header's text
    status = getattr(exc, "status_code", None) or 0
    if code == "ContainerNotFound" or (status == 404 and key is None):
        return failures.no_bucket(bucket, kind="container")
    if status == 404:
        return failures.no_key(where)
    if code in {"AuthenticationFailed", "AuthorizationFailure"} or isinstance(
        exc, azure.ClientAuthenticationError
    ):
        return StorageError(
            "invalid_credentials", "Azure did not accept the account key or the SAS token."
        )
    if status == 403:
        return failures.denied(operation, where)
    if status == 429 or status >= 500:
        return failures.unavailable("Azure", operation, where, status)
    return StorageError("storage_error", f"{operation} on {where} failed ({code or status}).")
