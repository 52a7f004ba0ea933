"""What a Google failure means, in words a customer can act on; never the service's raw text."""

import requests
from google.api_core import exceptions as google
from google.auth import exceptions as auth

from storageconfig import failures
from storageconfig.failures import StorageError


def error_from(
    exc: Exception, operation: str, *, bucket: str, endpoint: str, key: str | None = None
) -> StorageError:
    """A Google failure in words a customer can act on; never the service's raw text."""
    if isinstance(exc, StorageError):
        return exc
    where = f"gs://{bucket}/{key}" if key else f"bucket '{bucket}'"
    if isinstance(exc, google.RetryError) and exc.cause is not None:
        exc = exc.cause
    if isinstance(exc, requests.Timeout):
        return failures.timed_out(endpoint)
    if isinstance(exc, requests.ConnectionError | auth.TransportError):
        return failures.unreachable(endpoint)
    if isinstance(exc, auth.RefreshError | google.Unauthorized):
        return StorageError(
            "invalid_credentials", "Google did not accept the service account's key."
        )
    code = getattr(exc, "code", None) or type(exc).__name__
    if isinstance(exc, google.NotFound):
        return failures.no_bucket(bucket) if key is None else failures.no_key(where)
    if isinstance(exc, google.Forbidden):
        return failures.denied(operation, where)
    if isinstance(exc, google.TooManyRequests | google.ServerError):
        return failures.unavailable("Google Cloud Storage", operation, where, code)
    return StorageError("storage_error", f"{operation} on {where} failed ({code}).")
