from dataclasses import dataclass, field

from storageconfig.backends.aws.sts import Role


@dataclass(frozen=True)
class S3Target:
    """Where to reach a bucket and as whom. Credentials are left out of repr()."""

    bucket: str
    region: str
    endpoint_url: str | None = None
    access_key_id: str | None = field(default=None, repr=False)
    secret_key: str | None = field(default=None, repr=False)
    session_token: str | None = field(default=None, repr=False)
    # Instead of keys: the customer's role, assumed with the platform's own credentials.
    role: Role | None = None
    # Server-side encryption asked of every write: None, "AES256" or "aws:kms" (with a key).
    sse: str | None = None
    kms_key_id: str | None = None
    # A tenant's endpoint is reached only through the egress guard; the platform's is ours.
    egress_vetted: bool = True

    @property
    def endpoint(self) -> str:
        return self.endpoint_url or f"https://s3.{self.region}.amazonaws.com"

    def write_args(self) -> dict[str, str]:
        args = {"ServerSideEncryption": self.sse} if self.sse else {}
        if self.sse == "aws:kms" and self.kms_key_id:
            args["SSEKMSKeyId"] = self.kms_key_id
        return args
