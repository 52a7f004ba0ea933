from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from meetstream import outbound
from meetstream.errors import ApiError, RuleError
from meetstream.ids import new_external_id
from meetstream.models import Tenant
from storageconfig import s3
from storageconfig.checks import CheckOutcome, storage_check
from storageconfig.models import AccessMode, StorageConfig, tenant_role
from storageconfig.rules import DEFAULT_PREFIX, prefixes_distinct


@dataclass(frozen=True)
class StorageConfigInput:
    """A validated configuration as a tenant sent it; credentials stay out of repr()."""

    bucket_name: str
    region: str
    access_key_id: str | None = field(default=None, repr=False)
    secret_key: str | None = field(default=None, repr=False)
    role_arn: str | None = None
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
            role_arn=config.role_arn or None,
            access_mode=config.access_mode,
            prefix=config.prefix,
            prefixes=config.prefixes,
            endpoint_url=config.endpoint_url or None,
            provider=config.provider,
            server_side_encryption=config.server_side_encryption or None,
            kms_key_id=config.kms_key_id or None,
        )

    def s3_target(self, tenant: Tenant) -> s3.S3Target:
        return s3.S3Target(
            bucket=self.bucket_name,
            region=self.region,
            endpoint_url=self.endpoint_url,
            access_key_id=self.access_key_id,
            secret_key=self.secret_key,
            sse=self.server_side_encryption,
            kms_key_id=self.kms_key_id,
            role=tenant_role(tenant, self.role_arn),
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


def storage_config_check(*, tenant: Tenant, data: StorageConfigInput) -> list[CheckOutcome]:
    """Guard the endpoint, then run the live check of the access mode; saves nothing."""
    if data.endpoint_url:
        try:
            outbound.url_vet(data.endpoint_url)
        except RuleError as error:
            raise ValidationError({"endpoint_url": [str(error)]}) from None
    return storage_check(
        target=data.s3_target(tenant),
        access_mode=data.access_mode,
        prefixes=prefixes_distinct(data.prefix, data.prefixes),
    )


def storage_config_check_or_raise(*, tenant: Tenant, data: StorageConfigInput) -> None:
    outcomes = storage_config_check(tenant=tenant, data=data)
    if not all(outcome.ok for outcome in outcomes):
        raise StorageCheckFailed(outcomes)


def storage_config_put(*, tenant: Tenant, data: StorageConfigInput) -> StorageConfig:
    """Check the configuration live, then save it as the tenant's new active revision."""
    storage_config_check_or_raise(tenant=tenant, data=data)
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
            role_arn=data.role_arn or "",
            configured_at=now,
            last_validated_at=now,
            last_checked_at=now,
        )


def storage_config_revalidate(*, config: StorageConfig) -> list[CheckOutcome]:
    """Run the live check again on a saved revision and record when it passed or why not.

    Raises ValidationError when its endpoint is refused now."""
    outcomes = []
    if not config.has_credentials:
        error = "The credentials of this revision were deleted."
    else:
        try:
            data = StorageConfigInput.from_config(config)
            outcomes = storage_config_check(tenant=config.tenant, data=data)
        except ValidationError as refused:
            _check_record(config, " ".join(refused.messages))
            raise
        failed = [outcome for outcome in outcomes if not outcome.ok]
        error = StorageCheckFailed(outcomes).message if failed else ""
    _check_record(config, error)
    return outcomes


def _check_record(config: StorageConfig, error: str) -> None:
    config.last_checked_at = timezone.now()
    config.last_check_error = error
    if not error:
        config.last_validated_at = config.last_checked_at
    config.save(update_fields=["last_checked_at", "last_check_error", "last_validated_at"])


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


def external_id_rotate(*, tenant: Tenant) -> str:
    """Give the tenant a new external ID. A role configuration must then pass a check again:
    its role trusts the old ID until the customer changes the trust policy."""
    now = timezone.now()
    with transaction.atomic():
        Tenant.objects.select_for_update().filter(pk=tenant.pk).first()
        tenant.storage_external_id = new_external_id()
        tenant.save(update_fields=["storage_external_id"])
        StorageConfig.objects.filter(tenant=tenant, is_active=True).exclude(role_arn="").update(
            last_validated_at=None,
            last_checked_at=now,
            last_check_error="The external ID was rotated: put the new one in the role's trust "
            "policy, then check the configuration again.",
        )
        revisions = list(StorageConfig.objects.filter(tenant=tenant).values_list("pk", flat=True))
    for pk in revisions:
        s3.client_forget(pk)
    return tenant.storage_external_id


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
