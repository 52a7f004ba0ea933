from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from meetstream.shared.ids import api_key_hash, new_api_key, new_webhook_secret
from meetstream.tenants.models import ApiKey, Tenant


@dataclass(frozen=True)
class IssuedApiKey:
    api_key: ApiKey
    plaintext: str

    def __repr__(self) -> str:
        return f"IssuedApiKey(api_key={self.api_key!r})"


def tenant_get_or_create(*, name: str) -> Tenant:
    tenant, _ = Tenant.objects.get_or_create(name=name)
    return tenant


@transaction.atomic
def api_key_create(*, tenant: Tenant) -> IssuedApiKey:
    plaintext = new_api_key()
    api_key = ApiKey.objects.create(
        tenant=tenant, key_hash=api_key_hash(plaintext), hint=plaintext[:8]
    )
    return IssuedApiKey(api_key=api_key, plaintext=plaintext)


def api_key_revoke(*, api_key: ApiKey) -> None:
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])


def tenant_webhook_secret(*, tenant: Tenant, rotate: bool = False) -> str:
    """The tenant's webhook signing secret, made on first use or anew when rotated."""
    with transaction.atomic():
        locked = Tenant.objects.select_for_update().get(pk=tenant.pk)
        if rotate or not locked.webhook_secret:
            locked.webhook_secret = new_webhook_secret()
            locked.save(update_fields=["webhook_secret"])
    tenant.webhook_secret = locked.webhook_secret
    return locked.webhook_secret
