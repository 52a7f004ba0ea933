import json
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from meetstream.shared import outbound
from meetstream.shared.errors import DomainError, NotFound, RuleError
from meetstream.shared.ids import new_external_id
from meetstream.tenants.models import Tenant
from storageconfig.backends import PROVIDERS, backend_class
from storageconfig.backends.base import Backend
from storageconfig.checks import CheckOutcome, storage_check
from storageconfig.health_checks import health_check_schedule, health_checks_retire
from storageconfig.models import AccessMode, Fallback, StorageConfig
from storageconfig.rules import DEFAULT_PREFIX, MAX_NAMED_CONFIGS, key_folders


@dataclass(frozen=True)
class StorageConfigInput:
    """A validated configuration as a tenant sent it; its secrets stay out of repr()."""

    provider: str
    options: dict
    secrets: dict = field(repr=False)
    access_mode: str = AccessMode.READ_WRITE
    prefix: str = DEFAULT_PREFIX
    prefixes: dict[str, str] = field(default_factory=dict)
    key_template: str = ""
    fallback: str = Fallback.NONE
    notify_url: str = ""

    @classmethod
    def from_fields(cls, data: dict) -> "StorageConfigInput":
        """From the API's flat fields: the common ones, the provider's options and secrets."""
        data = dict(data)
        names = ("access_mode", "prefix", "key_template", "fallback", "notify_url")
        common = {name: data.pop(name) for name in names if name in data}
        provider, prefixes = data.pop("provider"), data.pop("prefixes", {})
        secret_fields = backend_class(provider).secret_fields
        secrets = {name: data.pop(name) for name in secret_fields if name in data}
        options = {name: value for name, value in data.items() if value is not None}
        return cls(provider, options, secrets, prefixes=prefixes, **common)

    @classmethod
    def from_config(cls, config: StorageConfig) -> "StorageConfigInput":
        return cls(
            provider=config.provider,
            options=config.options,
            secrets=config.secrets,
            access_mode=config.access_mode,
            prefix=config.prefix,
            prefixes=config.prefixes,
            key_template=config.key_template,
            fallback=config.fallback,
            notify_url=config.notify_url,
        )

    def backend(self, tenant: Tenant) -> Backend:
        backend = backend_class(self.provider)
        location = backend.location_of(self.options)
        return backend(location=location, options=self.options, secrets=self.secrets, tenant=tenant)


class StorageCheckFailed(DomainError):
    code = "storage_check_failed"

    def __init__(self, outcomes: list[CheckOutcome]) -> None:
        failures = [outcome for outcome in outcomes if not outcome.ok]
        super().__init__(
            "Storage check failed. " + " ".join(f"{o.check}: {o.message}" for o in failures),
            check=failures[0].check,
            reason=failures[0].reason,
            checks=[outcome.as_dict() for outcome in outcomes],
        )


def storage_config_check(
    *, tenant: Tenant, data: StorageConfigInput, probe_name: str | None = None
) -> list[CheckOutcome]:
    """Guard the endpoint, then run the live check of the access mode; saves nothing."""
    if endpoint_url := data.options.get("endpoint_url"):
        try:
            outbound.url_vet(endpoint_url)
        except RuleError as error:
            raise ValidationError({"endpoint_url": [str(error)]}) from None
    return storage_check(
        backend=data.backend(tenant),
        access_mode=data.access_mode,
        folders=key_folders(data.key_template, data.prefix, data.prefixes),
        probe_name=probe_name,
    )


def storage_config_check_or_raise(*, tenant: Tenant, data: StorageConfigInput) -> None:
    outcomes = storage_config_check(tenant=tenant, data=data)
    if not all(outcome.ok for outcome in outcomes):
        raise StorageCheckFailed(outcomes)


def storage_config_put(
    *, tenant: Tenant, data: StorageConfigInput, name: str = ""
) -> StorageConfig:
    """Check the configuration live, then save it as the new active revision of the tenant's
    default configuration, or of the named one."""
    named_config_room_check(tenant=tenant, name=name)
    storage_config_check_or_raise(tenant=tenant, data=data)
    return storage_config_save(tenant=tenant, data=data, name=name)


def named_config_room_check(*, tenant: Tenant, name: str) -> None:
    """A new name needs room: at most MAX_NAMED_CONFIGS besides the default one."""
    if not name:
        return
    named = StorageConfig.objects.filter(tenant=tenant, is_active=True).exclude(name="")
    if named.count() >= MAX_NAMED_CONFIGS and not named.filter(name=name).exists():
        raise ValidationError(
            {
                "name": [
                    f"A tenant keeps at most {MAX_NAMED_CONFIGS} named storage configurations "
                    "besides the default one: delete one first."
                ]
            }
        )


def storage_config_save(
    *, tenant: Tenant, data: StorageConfigInput, name: str = ""
) -> StorageConfig:
    """Save a configuration whose live check has just passed as the new active revision of
    its name ("": the default configuration)."""
    now = timezone.now()
    with transaction.atomic():
        # Serialises concurrent PUTs of one tenant: revision numbers, active flags, the limit.
        Tenant.objects.select_for_update().filter(pk=tenant.pk).first()
        named_config_room_check(tenant=tenant, name=name)
        revisions = StorageConfig.objects.filter(tenant=tenant, name=name)
        latest = revisions.aggregate(Max("revision"))
        retiring = revisions.filter(is_active=True)
        health_checks_retire(configs=retiring)
        retiring.update(is_active=False, retired_at=now)
        config = StorageConfig.objects.create(
            tenant=tenant,
            name=name,
            revision=(latest["revision__max"] or 0) + 1,
            provider=data.provider,
            access_mode=data.access_mode,
            prefix=data.prefix,
            prefixes=data.prefixes,
            key_template=data.key_template,
            options=data.options,
            secrets_json=json.dumps(data.secrets) if data.secrets else None,
            fallback=data.fallback,
            notify_url=data.notify_url,
            configured_at=now,
            last_validated_at=now,
            last_checked_at=now,
        )
        health_check_schedule(config=config)
    return config


@dataclass(frozen=True)
class Recheck:
    """A saved revision's live check run again: its outcomes, and the first failure's."""

    outcomes: list[CheckOutcome]
    error: str = ""
    reason: str = ""
    check: str = ""


def storage_config_recheck(*, config: StorageConfig, probe_name: str | None = None) -> Recheck:
    """Run the live check of a saved revision again (network only: nothing is recorded).
    Write-only probes get `probe_name` (the periodic check writes over one probe per prefix).

    Raises ValidationError when its endpoint is refused now."""
    if not config.has_credentials:
        return Recheck([], "The credentials of this revision were deleted.", "credentials_erased")
    data = StorageConfigInput.from_config(config)
    outcomes = storage_config_check(tenant=config.tenant, data=data, probe_name=probe_name)
    failed = [outcome for outcome in outcomes if not outcome.ok]
    if not failed:
        return Recheck(outcomes)
    return Recheck(
        outcomes, StorageCheckFailed(outcomes).message, failed[0].reason, failed[0].check
    )


def storage_config_revalidate(*, config: StorageConfig) -> list[CheckOutcome]:
    """Run the live check again on a saved revision and record when it passed or why not.

    Raises ValidationError when its endpoint is refused now."""
    try:
        recheck = storage_config_recheck(config=config)
    except ValidationError as refused:
        check_record(config, " ".join(refused.messages), "endpoint_refused")
        raise
    check_record(config, recheck.error, recheck.reason)
    return recheck.outcomes


def check_record(config: StorageConfig, error: str, reason: str = "") -> None:
    """Record a live check's outcome on its revision (one UPDATE)."""
    config.last_checked_at = timezone.now()
    config.last_check_error = error
    config.last_check_reason = (reason or "storage_error") if error else ""
    if not error:
        config.last_validated_at = config.last_checked_at
    config.save(
        update_fields=[
            "last_checked_at",
            "last_check_error",
            "last_check_reason",
            "last_validated_at",
        ]
    )


def storage_config_delete(*, tenant: Tenant, provider: str | None = None, name: str = "") -> None:
    """Retire the active revision of the default configuration (or of the named one) and erase
    the credentials of every revision of it. With a provider, only when the active revision is
    that provider's."""
    now = timezone.now()
    with transaction.atomic():
        Tenant.objects.select_for_update().filter(pk=tenant.pk).first()
        revisions = StorageConfig.objects.filter(tenant=tenant, name=name)
        active = revisions.filter(is_active=True)
        if not active.filter(**({"provider": provider} if provider else {})).exists():
            which = f"{provider} storage configuration" if provider else "storage configuration"
            named = f" named '{name}'" if name else ""
            raise NotFound(f"No {which}{named} is active.")
        health_checks_retire(configs=active)
        revisions.filter(is_active=True).update(is_active=False, retired_at=now)
        revisions.filter(credentials_erased_at__isnull=True).update(
            secrets_json=None, credentials_erased_at=now
        )
        erased = list(revisions.values_list("pk", flat=True))
    _clients_forget(erased)


def external_id_rotate(*, tenant: Tenant) -> str:
    """Give the tenant a new external ID. A role configuration must then pass a check again:
    its role trusts the old ID until the customer changes the trust policy."""
    now = timezone.now()
    with transaction.atomic():
        Tenant.objects.select_for_update().filter(pk=tenant.pk).first()
        tenant.storage_external_id = new_external_id()
        tenant.save(update_fields=["storage_external_id"])
        roles = StorageConfig.objects.filter(options__has_key="role_arn")
        roles.filter(tenant=tenant, is_active=True).update(
            last_validated_at=None,
            last_checked_at=now,
            last_check_reason="role_assumption_failed",
            last_check_error="The external ID was rotated: put the new one in the role's trust "
            "policy, then check the configuration again.",
        )
        revisions = list(StorageConfig.objects.filter(tenant=tenant).values_list("pk", flat=True))
    _clients_forget(revisions)
    return tenant.storage_external_id


def _clients_forget(revisions: list[int]) -> None:
    for provider in PROVIDERS:
        for pk in revisions:
            backend_class(provider).forget(pk)
