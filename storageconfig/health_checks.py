"""The periodic live check of every active configuration (STORAGE_HEALTH_CHECK_MINUTES), as
rows on meetstream.shared.due_work:

    scheduled → checking (claimed, with a lease) → scheduled (`next_attempt_at` one interval on)
    scheduled, checking → retired (the configuration is no longer the active one)

A configuration's first check is one interval after it was saved (its save checked it), so the
checks of many tenants spread over the interval as their saves did. Running a check and telling
the tenant is bots.pipeline.storage_health's.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from meetstream.shared import due_work, timing
from meetstream.shared.due_work import Transitions
from storageconfig.models import HealthCheck, HealthState, StorageConfig

S = HealthState
HEALTH_CHECKS = Transitions(
    "storage_health",
    {
        "claimed": (frozenset({S.SCHEDULED, S.CHECKING}), S.CHECKING),
        "checked": (frozenset({S.CHECKING}), S.SCHEDULED),
        "retired": (frozenset({S.SCHEDULED, S.CHECKING}), S.RETIRED),
    },
)
DEFAULT_MINUTES = 360


def health_interval() -> timedelta | None:
    """How often each configuration is checked; None when the checks are off."""
    minutes = settings.STORAGE_HEALTH_CHECK_MINUTES
    return timedelta(minutes=minutes) if minutes else None


def _next_check() -> datetime:
    """One interval on (the default one while the checks are off, ready should they resume)."""
    return timezone.now() + (health_interval() or timedelta(minutes=DEFAULT_MINUTES))


def health_check_schedule(*, config: StorageConfig) -> None:
    """A new active configuration, checked as it was saved: its next check one interval on."""
    HealthCheck.objects.create(config=config, next_attempt_at=_next_check())


def health_checks_retire(*, configs) -> None:
    HEALTH_CHECKS.move(HealthCheck.objects.filter(config__in=configs), "retired")


def health_checks_due(*, now=None):
    now = now or timezone.now()
    return HealthCheck.objects.filter(due_work.due(now), state__in=[S.SCHEDULED, S.CHECKING])


def health_checks_claim(*, owner: str, limit: int) -> list[StorageConfig]:
    """Lease up to `limit` due checks to `owner`, the most overdue first; their
    configurations, with their tenants (three queries, whatever the number)."""
    due = list(
        health_checks_due().order_by("next_attempt_at").values_list("config_id", flat=True)[:limit]
    )
    if not due:
        return []
    rows = HealthCheck.objects.filter(config_id__in=due)
    due_work.claim_due(HEALTH_CHECKS, rows, owner=owner, lease=timing.LEASE)
    return list(
        StorageConfig.objects.select_related("tenant").filter(
            health_check__claimed_by=owner, health_check__state=S.CHECKING
        )
    )


def health_check_done(*, config: StorageConfig, owner: str) -> None:
    """The check this owner held is recorded: the next one is an interval on."""
    HEALTH_CHECKS.move(
        HealthCheck.objects.filter(config=config, claimed_by=owner),
        "checked",
        next_attempt_at=_next_check(),
        **due_work.released(),
    )
