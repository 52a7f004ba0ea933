"""What the storage modules raise when S3 or STS says no: one error, in words a customer can
act on (never credentials, never the service's raw text)."""


class S3Error(Exception):
    """A failed S3 (or STS, for a role's session) call."""

    def __init__(self, reason: str, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.retryable = retryable
