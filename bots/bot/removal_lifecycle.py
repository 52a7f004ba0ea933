"""Deleting a bot's media, on request or when its retention runs out, as one table
(meetstream.shared.due_work):

    scheduled → removing (claimed) → done
    removing → scheduled (a refusal to try again; `next_attempt_at`)
    scheduled, removing → cancelled (a retention a deletion on request superseded)
    done, cancelled, scheduled → scheduled (asked again)
"""

from django.db import models

from meetstream.shared.due_work import Transitions


class RemovalReason(models.TextChoices):
    REQUEST = "request"  # delete_data
    RETENTION = "retention"


class RemovalState(models.TextChoices):
    SCHEDULED = "scheduled"
    REMOVING = "removing"
    DONE = "done"
    CANCELLED = "cancelled"


class RemovalEvent(models.TextChoices):
    SCHEDULED = "scheduled"
    CLAIMED = "claimed"
    FINISHED = "finished"
    DEFERRED = "deferred"
    CANCELLED = "cancelled"


S, E = RemovalState, RemovalEvent
REMOVALS = Transitions(
    "removal",
    {
        E.SCHEDULED: (frozenset({S.DONE, S.CANCELLED, S.SCHEDULED}), S.SCHEDULED),
        # removing → removing: a lapsed lease (its worker died).
        E.CLAIMED: (frozenset({S.SCHEDULED, S.REMOVING}), S.REMOVING),
        E.FINISHED: (frozenset({S.REMOVING}), S.DONE),
        E.DEFERRED: (frozenset({S.REMOVING}), S.SCHEDULED),
        E.CANCELLED: (frozenset({S.SCHEDULED, S.REMOVING}), S.CANCELLED),
    },
)
