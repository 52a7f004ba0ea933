"""Storage health: each active configuration's live check, run again every
STORAGE_HEALTH_CHECK_MINUTES (storageconfig.health_checks holds the schedule), and the
tenant's `notify_url` told once when a passing configuration starts failing
(`storage.config_invalid`) and once when it passes again (`storage.config_restored`).
"""

import logging
from concurrent.futures import ThreadPoolExecutor

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from bots.webhooks.delivery import tenant_webhook_emit
from storageconfig.health_checks import health_check_done, health_checks_claim
from storageconfig.models import StorageConfig
from storageconfig.services import Recheck, check_record, storage_config_recheck

logger = logging.getLogger(__name__)
BATCH = 100  # checks claimed at once
CHECKS_AT_ONCE = 16  # each answers within the live check's deadline (7 s)
PROBE_NAME = "health"  # write_only: one probe object per prefix, written over each time


def _recheck(config: StorageConfig) -> Recheck:
    """Network only (runs in a pool's thread): the check's outcome, never an exception."""
    try:
        return storage_config_recheck(config=config, probe_name=PROBE_NAME)
    except ValidationError as refused:
        return Recheck([], " ".join(refused.messages), "endpoint_refused", "endpoint")
    except Exception as unexpected:  # one tenant's surprise never stops the others' checks
        logger.exception("The health check of configuration %s failed", config.pk)
        return Recheck([], f"The check failed ({type(unexpected).__name__}).", "storage_error")


def _record(config: StorageConfig, recheck: Recheck, owner: str) -> None:
    """The outcome on the configuration, the next check scheduled, and the tenant told when
    the outcome changed: two UPDATEs (and the event when there is one)."""
    was_passing = not config.last_check_error
    check_record(config, recheck.error, recheck.reason)
    health_check_done(config=config, owner=owner)
    if was_passing == (not recheck.error):
        return
    where = {
        "checked_at": config.last_checked_at.isoformat(),
        "name": config.name or None,
        "provider": config.provider,
        "bucket": config.location["bucket"],
    }
    if recheck.error:
        logger.warning("Storage configuration %s started failing: %s", config.pk, recheck.reason)
        event, message = "storage.config_invalid", recheck.error
        data = {"check": recheck.check, "reason": recheck.reason, "message": message, **where}
    else:
        event = "storage.config_restored"
        message = "The storage configuration passes its live check again."
        data = where
    tenant_webhook_emit(
        tenant_pk=config.tenant_id, url=config.notify_url, event=event, message=message, data=data
    )


def storage_health_check(*, owner: str) -> int:
    """Run the due health checks, BATCH at a time under this owner's lease, CHECKS_AT_ONCE at
    once, each batch's outcomes recorded in one transaction; how many ran."""
    ran = 0
    with ThreadPoolExecutor(CHECKS_AT_ONCE, thread_name_prefix="health-check") as pool:
        while configs := health_checks_claim(owner=owner, limit=BATCH):
            rechecks = list(pool.map(_recheck, configs))
            with transaction.atomic():  # one commit a batch
                for config, recheck in zip(configs, rechecks, strict=True):
                    _record(config, recheck, owner)
            ran += len(configs)
    if ran:
        logger.info("Ran %d storage health check(s) at %s", ran, timezone.now().isoformat())
    return ran
