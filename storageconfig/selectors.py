from dataclasses import dataclass

from meetstream.shared.errors import Forbidden
from meetstream.tenants.models import Tenant
from storageconfig.backends import PLATFORM_PROVIDER, backend_class, platform_backend, provider_get
from storageconfig.backends.base import Backend
from storageconfig.models import AccessMode, StorageConfig


def storage_config_get_active(*, tenant: Tenant, name: str = "") -> StorageConfig | None:
    """The active revision of the tenant's default configuration, or of a named one."""
    return StorageConfig.objects.filter(tenant=tenant, name=name, is_active=True).first()


def storage_config_chosen(*, tenant: Tenant, name: str) -> StorageConfig | None:
    """What a bot's media is pinned to: the active revision of the default configuration (none:
    the platform bucket), or of the named one the bot chose; if that name was deleted since,
    its last revision, whose credentials are erased (its files give up rather than go
    elsewhere)."""
    if not name:
        return storage_config_get_active(tenant=tenant)
    revisions = StorageConfig.objects.filter(tenant=tenant, name=name)
    return revisions.filter(is_active=True).first() or revisions.order_by("-revision").first()


def storage_configs_active(*, tenant: Tenant) -> list[StorageConfig]:
    """Every configuration of the tenant that is active: the default first, then by name."""
    return list(StorageConfig.objects.filter(tenant=tenant, is_active=True).order_by("name"))


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
        "name": config.name or None,
        **storage_config_provider_fields(config, tenant),
        "access_mode": config.access_mode,
        "prefix": config.prefix,
        "prefixes": config.prefixes,
        "key_template": config.key_template or None,
        "fallback": config.fallback,
        "notify_url": config.notify_url or None,
    }


def named_config_shown(config: StorageConfig) -> dict:
    """A configuration as the list of names shows it."""
    return {
        "name": config.name or None,
        "provider": config.provider,
        "bucket_name": config.location["bucket"],
        "access_mode": config.access_mode,
        "revision": config.revision,
        "configured_at": config.configured_at,
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
    """Who serves a location: the platform; else the active revision of the same configuration
    (the default, or the same name) when it names the same place (so a mode upgrade applies at
    once); else the revision that wrote it. Raises CredentialsErased when that revision's
    credentials were deleted."""
    if revision is None:
        return platform_storage()
    # The pinned revision, when still active, is the active one: no query needed.
    if revision.is_active:
        config = revision
    else:
        config = storage_config_get_active(tenant=tenant, name=revision.name)
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
