import json
from collections.abc import Hashable

from django.db import models
from fernet_fields import EncryptedTextField

from meetstream.tenants.models import Tenant
from storageconfig.backends import backend_class
from storageconfig.backends.base import Backend
from storageconfig.rules import DEFAULT_PREFIX, key_folders, prefixes_resolve


class AccessMode(models.TextChoices):
    READ_WRITE = "read_write", "Read and write"
    WRITE_ONLY = "write_only", "Write only"


class Fallback(models.TextChoices):
    NONE = "none", "None: the bytes only ever go to this bucket"
    PLATFORM = "platform", "The platform bucket, when this bucket gives up"


class StorageConfig(models.Model):
    """One revision of one of a tenant's configurations: the default one (`name` ""), or a named
    one a bot chooses. A PUT adds a revision of its name and retires that name's last.

    Revisions stay (bots pinned to them are served with their credentials) until the tenant
    deletes that configuration, which erases the credentials of every revision of its name.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="storage_configs")
    name = models.CharField(max_length=64, blank=True, default="")  # "": the default one
    revision = models.PositiveIntegerField()
    is_active = models.BooleanField(default=True)
    provider = models.CharField(max_length=16, default="aws")
    access_mode = models.CharField(
        max_length=16, choices=AccessMode.choices, default=AccessMode.READ_WRITE
    )
    prefix = models.CharField(max_length=512, default=DEFAULT_PREFIX)
    # Only the categories given their own prefix; the rest inherit `prefix`.
    prefixes = models.JSONField(default=dict, blank=True)
    # How keys are made (storageconfig.rules.KEY_VARIABLES); "": the guide's layout.
    key_template = models.CharField(max_length=512, blank=True, default="")
    # The provider's fields (its backend's `Fields`): the secret ones encrypted, as one JSON
    # object, the others here.
    options = models.JSONField(default=dict, blank=True)
    secrets_json = EncryptedTextField(null=True, blank=True)
    fallback = models.CharField(max_length=16, choices=Fallback.choices, default=Fallback.NONE)
    # Where storage.config_invalid and storage.config_restored go (signed like bot events).
    notify_url = models.URLField(max_length=2048, blank=True, default="")
    configured_at = models.DateTimeField()
    last_validated_at = models.DateTimeField(null=True, blank=True)
    # The last live check (on save or "Validate now" in the admin) and why it failed, if it did.
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_check_error = models.TextField(blank=True, default="")
    last_check_reason = models.CharField(max_length=32, blank=True, default="")  # "": passed
    retired_at = models.DateTimeField(null=True, blank=True)
    credentials_erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["tenant", "name", "-revision"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "name"],
                condition=models.Q(is_active=True),
                name="storageconfig_one_active_per_name",
            ),
            models.UniqueConstraint(
                fields=["tenant", "name", "revision"], name="storageconfig_unique_revision"
            ),
        ]

    def __str__(self) -> str:
        bucket = self.location["bucket"]
        named = f" {self.name}" if self.name else ""
        return f"{self.tenant}{named} r{self.revision}: {self.provider}://{bucket}/{self.prefix}"

    @property
    def backend_class(self) -> type[Backend]:
        return backend_class(self.provider)

    @property
    def secrets(self) -> dict:
        return json.loads(self.secrets_json) if self.secrets_json else {}

    @property
    def location(self) -> dict:
        """Where this configuration writes: what its bots' pins record."""
        return self.backend_class.location_of(self.options)

    @property
    def last_check(self) -> str:
        """`ok`, or why the last live check failed (a revision checked before reasons were
        recorded: `storage_error`)."""
        if not self.last_check_error:
            return "ok"
        return self.last_check_reason or "storage_error"

    @property
    def has_credentials(self) -> bool:
        if self.credentials_erased_at is not None:
            return False
        return self.backend_class.has_credentials(self.options, self.secrets)

    @property
    def resolved_prefixes(self) -> dict[str, str]:
        return prefixes_resolve(self.prefix, self.prefixes)

    @property
    def key_folders(self) -> list[str]:
        """Each folder its keys are written under (what its policy and probes scope to)."""
        return key_folders(self.key_template, self.prefix, self.prefixes)

    def backend(self, *, location: dict | None = None, cache_key: Hashable = None) -> Backend:
        """The provider's backend with this revision's credentials, at its own location or at
        another one (where a bot was pinned)."""
        return self.backend_class(
            location=location or self.location,
            options=self.options,
            secrets=self.secrets,
            tenant=self.tenant,
            cache_key=cache_key,
        )


class HealthState(models.TextChoices):
    SCHEDULED = "scheduled"
    CHECKING = "checking"
    RETIRED = "retired"  # its configuration is no longer the active one


class HealthCheck(models.Model):
    """An active configuration's next live check (STORAGE_HEALTH_CHECK_MINUTES): the work's
    schedule and lease (meetstream.shared.due_work). Its outcome is recorded on the
    configuration."""

    config = models.OneToOneField(
        StorageConfig, on_delete=models.CASCADE, primary_key=True, related_name="health_check"
    )
    # Moved only through storageconfig.health_checks.HEALTH_CHECKS.
    state = models.CharField(
        max_length=16, choices=HealthState.choices, default=HealthState.SCHEDULED
    )
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=64, blank=True, default="")
    claimed_until = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(state__in=["scheduled", "checking"]),
                name="storageconfig_health_due",
            )
        ]

    def __str__(self) -> str:
        return f"health check of {self.config_id}: {self.state}"
