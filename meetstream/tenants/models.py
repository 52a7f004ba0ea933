from django.db import models
from fernet_fields import EncryptedTextField

from meetstream.shared.ids import new_external_id, new_tenant_id


class Tenant(models.Model):
    public_id = models.CharField(max_length=32, unique=True, default=new_tenant_id, editable=False)
    name = models.CharField(max_length=100, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Signs the webhooks of this tenant's bots; made on first use, rotated through the API.
    webhook_secret = EncryptedTextField(null=True, blank=True, editable=False)
    # Named by the trust policy of a role the tenant lets us assume; rotated by staff.
    storage_external_id = models.CharField(max_length=64, default=new_external_id, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ApiKey(models.Model):
    """An API key, kept only as its SHA-256: the plain key is shown once, when made."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="api_keys")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    # The first characters, so that staff can tell keys apart without the key.
    hint = models.CharField(max_length=12, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API key"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.hint}… ({self.tenant})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
