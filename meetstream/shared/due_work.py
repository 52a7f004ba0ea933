"""Scheduled work as rows: the one engine behind uploads, webhook deliveries, deletions and
retention expiries.

Each kind of work declares its state table (`Transitions`): which event moves a row from which
states to which. A row moves only through `Transitions.move`, one conditional UPDATE on the
rows still in a source state, so two workers (or two schedulers) can never both move it. Work
that waits says when in `next_attempt_at`; work being done is held by a lease (`claimed_by`,
`claimed_until`), so a dead worker's rows become due again when the lease lapses. No lock
anywhere: `claim_due` is itself a conditional UPDATE. One beat task asks each kind what is due
and queues it (`bots.tasks.run_due_work`); every delay is in `meetstream.shared.timing`.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone


@dataclass(frozen=True)
class Transitions:
    """A kind of work's declared table: event → (the states it moves from, the state it moves
    to). The only writer of its rows' `state`."""

    kind: str
    table: Mapping[str, tuple[frozenset[str], str]]

    def target(self, event: str) -> str:
        return self.table[event][1]

    def move(self, rows: QuerySet, event: str, **fields) -> int:
        """Move those of `rows` in a source state of `event` to its target; how many moved."""
        sources, target = self.table[event]
        return rows.filter(state__in=sources).update(
            state=target, updated_at=timezone.now(), **fields
        )


def due(now) -> Q:
    """Due by the clock: no wait or one waited out, and no lease or a lapsed one."""
    return (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)) & (
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    )


def claim_due(
    transitions: Transitions,
    rows: QuerySet,
    *,
    owner: str,
    lease: timedelta,
    event: str = "claimed",
    **fields,
) -> int:
    """Lease those of `rows` that are due (or already this owner's: a redelivered task takes its
    own rows back at once) to `owner`, moving them by `event`; how many it took."""
    now = timezone.now()
    return transitions.move(
        rows.filter(due(now) | Q(claimed_by=owner)),
        event,
        claimed_by=owner,
        claimed_until=now + lease,
        **fields,
    )


def released() -> dict:
    """The fields that end a lease, for the move that finishes or defers the work."""
    return {"claimed_by": "", "claimed_until": None}
