"""A webhook event's delivery as one table (meetstream.shared.due_work):

pending → delivering (claimed, at most WEBHOOK_TENANT_CONCURRENCY per tenant, and only the
          oldest open event of its bot) → delivered
delivering → pending (the receiver failed; `next_attempt_at`) or failed (attempts used up)
delivered, failed, pending → pending (staff resend it)
"""

from django.db import models

from meetstream.shared.due_work import Transitions


class WebhookState(models.TextChoices):
    PENDING = "pending"
    DELIVERING = "delivering"
    DELIVERED = "delivered"
    FAILED = "failed"  # given up after the last attempt


class DeliveryEvent(models.TextChoices):
    CLAIMED = "claimed"
    DELIVERED = "delivered"
    DEFERRED = "deferred"
    GAVE_UP = "gave_up"
    RESENT = "resent"


S, E = WebhookState, DeliveryEvent
WEBHOOKS = Transitions(
    "webhook",
    {
        # delivering → delivering: a lapsed lease (its worker died mid-attempt).
        E.CLAIMED: (frozenset({S.PENDING, S.DELIVERING}), S.DELIVERING),
        E.DELIVERED: (frozenset({S.DELIVERING}), S.DELIVERED),
        E.DEFERRED: (frozenset({S.DELIVERING}), S.PENDING),
        E.GAVE_UP: (frozenset({S.DELIVERING}), S.FAILED),
        E.RESENT: (frozenset({S.DELIVERED, S.FAILED, S.PENDING}), S.PENDING),
    },
)
# Not yet delivered or given up: a later event of the same bot waits behind these.
OPEN = frozenset({S.PENDING, S.DELIVERING})
