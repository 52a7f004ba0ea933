from dataclasses import dataclass

from meetstream.shared.errors import Forbidden
from meetstream.tenants.models import Tenant
from storageconfig.backends import PLATFORM_PROVIDER, backend_class, platform_backend, provider_get
from storageconfig.backends.base import Backend
from storageconfig.models import AccessMode, StorageConfig


def storage_config_get_active(*, tenant: Tenant) -> StorageConfig | None:
    return StorageConfig.objects.filter(tenant=tenant, is_active=True).first()


def external_id_shown(tenant: Tenant) -> dict:
    """The ExternalId a role must require, and how the tenant's sessions are named."""
    return {
        "external_id": tenant.storage_external_id,
        "role_session_name": backend_class(PLATFORM_PROVIDER).role_session_name(tenant),
    }


def storage_config_provider_fields(config: StorageConfig, tenant: Tenant) -> dict:
    """The configuration's provider fields as the API and the admin show them: no secret."""
    names = provider_get(config.provider).shown_class().fields
    return config.backend_class.shown(config.options, tenant, names)


def storage_config_shown(config: StorageConfig, tenant: Tenant) -> dict:
    """A configuration as GET and the PUT's answer show it."""
    return {
        "provider": config.provider,
        **storage_config_provider_fields(config, tenant),
        "access_mode": config.access_mode,
        "prefix": config.prefix,
        "prefixes": config.prefixes,
        "fallback": config.fallback,
        "notify_url": config.notify_url or None,
    }


@dataclass(frozen=True)
class ServingStorage:
    """The backend and access mode that serve one stored location, and where its files go
    when they give up there (`fallback`)."""

    backend: Backend
    access_mode: str
    fallback: str = "none"


class CredentialsErased(Forbidden):
    code = "credentials_erased"

    def __init__(self) -> None:
        super().__init__(
            "The storage configuration this media was written with has been deleted, and its "
            "credentials with it. Save a configuration for the same bucket to reach it again."
        )


def platform_storage() -> ServingStorage:
    return ServingStorage(platform_backend(), AccessMode.READ_WRITE)


def storage_for_location(
    *, tenant: Tenant, revision: StorageConfig | None, provider: str, location: dict
) -> ServingStorage:
    """Who serves a location: the platform; else the tenant's active configuration when it
    names the same place (so a mode upgrade applies at once); else the revision that wrote
    it. Raises CredentialsErased when that revision's credentials were deleted."""
    if revision is None:
        return platform_storage()
    # The pinned revision, when still active, is the active one: no query needed.
    config = revision if revision.is_active else storage_config_get_active(tenant=tenant)
    if config is None or (config.provider, config.location) != (provider, location):
        config = revision
    if not config.has_credentials:
        raise CredentialsErased()
    # A role's clients are kept per external ID too: after a rotation every process assumes
    # the role anew with the new one.
    role = config.options.get("role_arn")
    where = tuple(sorted(location.items()))
    cache_key = (config.pk, where, role and tenant.storage_external_id)
    return ServingStorage(
        config.backend(location=location, cache_key=cache_key), config.access_mode, config.fallback
    )
