"""What the storage modules raise when a provider (or STS, for a role's session) says no: one
error, in words a customer can act on (never credentials, never the service's raw text)."""


class StorageError(Exception):
    """A failed storage call. `reason` is one of the README's values: the API, the upload rows
    and the webhooks all carry it."""

    def __init__(self, reason: str, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.retryable = retryable
