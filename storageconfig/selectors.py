from meetstream.models import Tenant
from storageconfig.models import StorageConfig


def storage_config_get_active(*, tenant: Tenant) -> StorageConfig | None:
    return StorageConfig.objects.filter(tenant=tenant, is_active=True).first()
