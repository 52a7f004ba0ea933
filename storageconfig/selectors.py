from collections.abc import Hashable
from dataclasses import dataclass, replace

from django.conf import settings

from meetstream.errors import ApiError
from meetstream.models import Tenant
from storageconfig.models import AccessMode, StorageConfig
from storageconfig.s3 import S3Target

PLATFORM = "platform"


def storage_config_get_active(*, tenant: Tenant) -> StorageConfig | None:
    return StorageConfig.objects.filter(tenant=tenant, is_active=True).first()


def platform_target() -> S3Target:
    return S3Target(
        bucket=settings.PLATFORM_S3_BUCKET,
        region=settings.PLATFORM_S3_REGION,
        endpoint_url=settings.PLATFORM_S3_ENDPOINT_URL or None,
        access_key_id=settings.PLATFORM_S3_ACCESS_KEY_ID or None,
        secret_key=settings.PLATFORM_S3_SECRET_ACCESS_KEY or None,
        egress_vetted=False,
    )


@dataclass(frozen=True)
class ServingStorage:
    """The credentials and access mode that serve one stored location."""

    target: S3Target
    access_mode: str
    cache_key: Hashable


class CredentialsErased(ApiError):
    status_code = 403

    def __init__(self) -> None:
        super().__init__(
            "The storage configuration this media was written with has been deleted, and its "
            "credentials with it. Save a configuration for the same bucket to reach it again."
        )


def platform_storage() -> ServingStorage:
    target = platform_target()
    cache_key = (PLATFORM, target.region, target.endpoint_url, target.access_key_id)
    return ServingStorage(target, AccessMode.READ_WRITE, cache_key)


def storage_for_location(
    *, tenant: Tenant, revision: StorageConfig | None, bucket: str, region: str, endpoint_url: str
) -> ServingStorage:
    """Who serves a location: the platform; else the tenant's active configuration when it
    names the same bucket and endpoint (so a mode upgrade applies at once); else the revision
    that wrote it. Raises CredentialsErased when that revision's credentials were deleted."""
    if revision is None:
        return platform_storage()
    # The pinned revision, when still active, is the active one: no query needed.
    config = revision if revision.is_active else storage_config_get_active(tenant=tenant)
    if config is None or (config.bucket_name, config.endpoint_url) != (bucket, endpoint_url):
        config = revision
    if not config.has_credentials:
        raise CredentialsErased()
    # The configuration's keys and encryption, at the location the media was pinned to.
    target = replace(
        config.s3_target(tenant), bucket=bucket, region=region, endpoint_url=endpoint_url or None
    )
    # A role's clients are kept per external ID too: after a rotation every process assumes
    # the role anew with the new one.
    cache_key = (config.pk, region, endpoint_url, target.role and target.role.external_id)
    return ServingStorage(target, config.access_mode, cache_key)
