from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from meetstream import outbound
from meetstream.errors import ApiError, RuleError
from meetstream.models import Tenant
from storageconfig import s3
from storageconfig.checks import CheckOutcome, storage_check
from storageconfig.models import AccessMode, StorageConfig
from storageconfig.rules import DEFAULT_PREFIX, prefixes_distinct


@dataclass(frozen=True)
class StorageConfigInput:
    """A validated configuration as a tenant sent it; credentials stay out of repr()."""

    bucket_name: str
    region: str
    access_key_id: str = field(repr=False)
    secret_key: str = field(repr=False)
    access_mode: str = AccessMode.READ_WRITE
    prefix: str = DEFAULT_PREFIX
    prefixes: dict[str, str] = field(default_factory=dict)
    endpoint_url: str | None = None
    provider: str = "aws"
    server_side_encryption: str | None = None
    kms_key_id: str | None = None

    @classmethod
    def from_config(cls, config: StorageConfig) -> "StorageConfigInput":
        return cls(
            bucket_name=config.bucket_name,
            region=config.region,
            access_key_id=config.access_key_id,
            secret_key=config.secret_key,
            access_mode=config.access_mode,
            prefix=config.prefix,
            prefixes=config.prefixes,
            endpoint_url=config.endpoint_url or None,
            provider=config.provider,
            server_side_encryption=config.server_side_encryption or None,
            kms_key_id=config.kms_key_id or None,
        )

    def s3_target(self) -> s3.S3Target:
        return s3.S3Target(
            bucket=self.bucket_name,
            region=self.region,
            endpoint_url=self.endpoint_url,
            access_key_id=self.access_key_id,
            secret_key=self.secret_key,
            sse=self.server_side_encryption,
            kms_key_id=self.kms_key_id,
        )


class StorageCheckFailed(ApiError):
    def __init__(self, outcomes: list[CheckOutcome]) -> None:
        failures = [outcome for outcome in outcomes if not outcome.ok]
        super().__init__(
            "Storage check failed. " + " ".join(f"{o.check}: {o.message}" for o in failures),
            check=failures[0].check,
            reason=failures[0].reason,
            checks=[outcome.as_dict() for outcome in outcomes],
        )


def storage_config_check(*, data: StorageConfigInput) -> list[CheckOutcome]:
    """Guard the endpoint, then run the live check of the access mode; saves nothing."""
    if data.endpoint_url:
        try:
            outbound.url_vet(data.endpoint_url)
        except RuleError as error:
            raise ValidationError({"endpoint_url": [str(error)]}) from None
    return storage_check(
        target=data.s3_target(),
        access_mode=data.access_mode,
        prefixes=prefixes_distinct(data.prefix, data.prefixes),
    )


def storage_config_check_or_raise(*, data: StorageConfigInput) -> None:
    outcomes = storage_config_check(data=data)
    if not all(outcome.ok for outcome in outcomes):
        raise StorageCheckFailed(outcomes)


def storage_config_put(*, tenant: Tenant, data: StorageConfigInput) -> StorageConfig:
    """Check the configuration live, then save it as the tenant's new active revision."""
    storage_config_check_or_raise(data=data)
    return storage_config_save(tenant=tenant, data=data)


def storage_config_save(*, tenant: Tenant, data: StorageConfigInput) -> StorageConfig:
    """Save a configuration whose live check has just passed as the new active revision."""
    now = timezone.now()
    with transaction.atomic():
        # Serialises concurrent PUTs of one tenant: revision numbers and the active flag.
        Tenant.objects.select_for_update().filter(pk=tenant.pk).first()
        latest = StorageConfig.objects.filter(tenant=tenant).aggregate(Max("revision"))
        StorageConfig.objects.filter(tenant=tenant, is_active=True).update(
            is_active=False, retired_at=now
        )
        return StorageConfig.objects.create(
            tenant=tenant,
            revision=(latest["revision__max"] or 0) + 1,
            provider=data.provider,
            bucket_name=data.bucket_name,
            region=data.region,
            endpoint_url=data.endpoint_url or "",
            access_mode=data.access_mode,
            prefix=data.prefix,
            prefixes=data.prefixes,
            server_side_encryption=data.server_side_encryption or "",
            kms_key_id=data.kms_key_id or "",
            access_key_id=data.access_key_id,
            secret_key=data.secret_key,
            configured_at=now,
            last_validated_at=now,
            last_checked_at=now,
        )


def storage_config_revalidate(*, config: StorageConfig) -> bool:
    """Run the live check again on a saved revision and record when it passed or why not."""
    if not config.has_credentials:
        error = "The credentials of this revision were deleted."
    else:
        try:
            outcomes = storage_config_check(data=StorageConfigInput.from_config(config))
        except ValidationError as refused:
            error = " ".join(refused.messages)
        else:
            failed = [outcome for outcome in outcomes if not outcome.ok]
            error = StorageCheckFailed(outcomes).message if failed else ""
    config.last_checked_at = timezone.now()
    config.last_check_error = error
    if not error:
        config.last_validated_at = config.last_checked_at
    config.save(update_fields=["last_checked_at", "last_check_error", "last_validated_at"])
    return not error


def storage_config_delete(*, tenant: Tenant) -> None:
    """Retire the active revision and erase the credentials of every revision of the tenant."""
    now = timezone.now()
    with transaction.atomic():
        Tenant.objects.select_for_update().filter(pk=tenant.pk).first()
        revisions = StorageConfig.objects.filter(tenant=tenant)
        if not revisions.filter(is_active=True).exists():
            raise ApiError("No storage configuration is active.", status_code=404)
        revisions.filter(is_active=True).update(is_active=False, retired_at=now)
        revisions.filter(credentials_erased_at__isnull=True).update(
            access_key_id=None, secret_key=None, credentials_erased_at=now
        )
        erased = list(revisions.values_list("pk", flat=True))
    for pk in erased:
        s3.client_forget(pk)


def storage_credentials_reencrypt() -> int:
    """Rewrite every stored credential, so that it is encrypted with the first FERNET_KEYS key."""
    count = 0
    with transaction.atomic():
        for config in StorageConfig.objects.select_for_update().filter(
            credentials_erased_at__isnull=True
        ):
            config.save(update_fields=["access_key_id", "secret_key"])
            count += 1
    return count
