"""A bot's media state as one SQL expression: the status endpoint shows it, the listing shows
and filters by it, and the admin filters by it, so they can never disagree."""

from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce

from bots.models import BotArtifact, Pin
from bots.upload_lifecycle import UploadState

S = UploadState
MEDIA_STATES = (
    "pending",  # nothing pinned yet, or no file yet
    "uploading",
    "retrying",  # some file failed for now and waits for its next attempt
    "uploaded",
    "partial",  # nothing on its way any more; some files given up (or expired unuploaded)
    "failed",  # nothing on its way any more; every file given up
    "expired",  # the retention ran out and what the platform held is deleted
    "deleting",
    "deleted",
)


def _files(*states: str):
    return BotArtifact.objects.filter(bot=OuterRef("pk"), state__in=states)


def _has(*states: str) -> Exists:
    return Exists(_files(*states))


def _count(*states: str):
    files = _files(*states) if states else BotArtifact.objects.filter(bot=OuterRef("pk"))
    counted = files.order_by().values("bot").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def media_state_expression() -> Case:
    deleting = Q(deletion_requested_at__isnull=False, deletion_finished_at__isnull=True)
    on_the_way = _has(S.STAGED, S.UPLOADING)
    return Case(
        When(deleting, then=Value("deleting")),
        When(deletion_finished_at__isnull=False, then=Value("deleted")),
        When(~_has(*S.values), then=Value("pending")),
        When(_has(S.RETRY_WAIT), then=Value("retrying")),
        When(on_the_way & Exists(Pin.objects.filter(bot=OuterRef("pk"))), then=Value("uploading")),
        When(on_the_way, then=Value("pending")),
        When(_has(S.UPLOADED, S.KEPT) & ~_has(S.GAVE_UP, S.EXPIRED), then=Value("uploaded")),
        When(_has(S.UPLOADED, S.KEPT), then=Value("partial")),
        When(_has(S.GAVE_UP), then=Value("failed")),
        default=Value("expired"),
    )


COUNTS = ("media_state", "media_artifacts", "media_uploaded", "media_expired", "media_deleted")


def with_media(bots, *, detail: bool = False):
    """The bots annotated with `media_state`, `media_artifacts` and `media_uploaded` (and with
    `detail`, `media_expired` and `media_deleted`): each a lookup by bot on the files' index,
    so a page costs the same in a tenant of any size."""
    extra = {"media_expired": _count(S.EXPIRED), "media_deleted": _count(S.DELETED)}
    return bots.annotate(
        media_state=media_state_expression(),
        media_artifacts=_count(),
        media_uploaded=_count(S.UPLOADED),
        **(extra if detail else {}),
    )
