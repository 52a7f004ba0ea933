from django.db import models
from fernet_fields import EncryptedTextField

from meetstream.models import Tenant
from storageconfig.rules import DEFAULT_PREFIX, prefixes_distinct, prefixes_resolve
from storageconfig.s3 import S3Target
from storageconfig.sts import Role


class AccessMode(models.TextChoices):
    READ_WRITE = "read_write", "Read and write"
    WRITE_ONLY = "write_only", "Write only"


class Encryption(models.TextChoices):
    NONE = "", "None (the bucket's default)"
    AES256 = "AES256", "SSE-S3 (AES256)"
    KMS = "aws:kms", "SSE-KMS (aws:kms)"


class StorageConfig(models.Model):
    """One revision of a tenant's bucket settings. A PUT adds a revision and retires the last.

    Revisions stay (bots pinned to them are served with their credentials) until the tenant
    deletes its configuration, which erases the credentials of every revision.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="storage_configs")
    revision = models.PositiveIntegerField()
    is_active = models.BooleanField(default=True)
    provider = models.CharField(max_length=16, default="aws")
    bucket_name = models.CharField(max_length=63)
    region = models.CharField(max_length=32)
    endpoint_url = models.CharField(max_length=2048, blank=True, default="")
    access_mode = models.CharField(
        max_length=16, choices=AccessMode.choices, default=AccessMode.READ_WRITE
    )
    prefix = models.CharField(max_length=512, default=DEFAULT_PREFIX)
    # Only the categories given their own prefix; the rest inherit `prefix`.
    prefixes = models.JSONField(default=dict, blank=True)
    server_side_encryption = models.CharField(
        max_length=16, choices=Encryption.choices, blank=True, default=Encryption.NONE
    )
    kms_key_id = models.CharField(max_length=2048, blank=True, default="")
    # Either a key pair, or a role the platform assumes with the tenant's external ID.
    role_arn = models.CharField(max_length=2048, blank=True, default="")
    access_key_id = EncryptedTextField(null=True, blank=True)
    secret_key = EncryptedTextField(null=True, blank=True)
    configured_at = models.DateTimeField()
    last_validated_at = models.DateTimeField(null=True, blank=True)
    # The last live check (on save or "Validate now" in the admin) and why it failed, if it did.
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_check_error = models.TextField(blank=True, default="")
    retired_at = models.DateTimeField(null=True, blank=True)
    credentials_erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["tenant", "-revision"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant"],
                condition=models.Q(is_active=True),
                name="storageconfig_one_active_per_tenant",
            ),
            models.UniqueConstraint(
                fields=["tenant", "revision"], name="storageconfig_unique_revision"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tenant} r{self.revision}: s3://{self.bucket_name}/{self.prefix}"

    @property
    def has_credentials(self) -> bool:
        if self.credentials_erased_at is not None:
            return False
        return bool(self.role_arn or (self.access_key_id and self.secret_key))

    @property
    def credentials_kind(self) -> str:
        return "role" if self.role_arn else "keys"

    @property
    def resolved_prefixes(self) -> dict[str, str]:
        return prefixes_resolve(self.prefix, self.prefixes)

    @property
    def distinct_prefixes(self) -> list[str]:
        return prefixes_distinct(self.prefix, self.prefixes)

    def s3_target(self, tenant: Tenant) -> S3Target:
        return S3Target(
            bucket=self.bucket_name,
            region=self.region,
            endpoint_url=self.endpoint_url or None,
            access_key_id=self.access_key_id,
            secret_key=self.secret_key,
            sse=self.server_side_encryption or None,
            kms_key_id=self.kms_key_id or None,
            role=tenant_role(tenant, self.role_arn),
        )


def tenant_role(tenant: Tenant, role_arn: str | None) -> Role | None:
    """The role as the platform assumes it for this tenant, or None for a key pair."""
    if not role_arn:
        return None
    return Role(role_arn, tenant.storage_external_id, role_session_name(tenant))


def role_session_name(tenant: Tenant) -> str:
    """How the tenant's sessions show in the customer's CloudTrail."""
    return f"meetstream-{tenant.public_id}"
