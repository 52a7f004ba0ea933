from django.db.models import F, Q, QuerySet
from django.utils import timezone

from bots.bot.lifecycle import SETTLED, BotStatus
from bots.bot.media_state import COUNTS, with_media
from bots.models import Bot, BotArtifact, Pin
from bots.pipeline.upload_lifecycle import UNFINISHED
from bots.pipeline.upload_lifecycle import UploadState as S
from meetstream.shared.errors import NotFound
from meetstream.tenants.models import Tenant
from storageconfig.selectors import ServingStorage, storage_for_location


class BotNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("Bot not found.")


def bot_get_for_tenant(*, tenant: Tenant, bot_id: str) -> Bot:
    """Another tenant's bot is not found, exactly like a bot that does not exist."""
    try:
        return Bot.objects.select_related("tenant").get(tenant=tenant, public_id=bot_id)
    except Bot.DoesNotExist:
        raise BotNotFound() from None


def bot_get(*, bot_id: str) -> Bot:
    try:
        return Bot.objects.select_related("tenant").get(public_id=bot_id)
    except Bot.DoesNotExist:
        raise BotNotFound() from None


def upload_over() -> Q:
    """Bots whose meeting and upload are over: Done, Error, MediaExpired, or Stopped with
    files given up and none on its way (a Stopped bot with every file stored becomes Done)."""
    files = BotArtifact.objects.values("bot_id")
    stopped_settled = (
        Q(status=BotStatus.STOPPED)
        & Q(pk__in=files.filter(state=S.GAVE_UP))
        & ~Q(pk__in=files.filter(state__in=UNFINISHED))
    )
    return Q(status__in=SETTLED) | stopped_settled


def pin_storage(*, bot: Bot, pin: Pin) -> ServingStorage:
    """Who serves the bot's pinned location (raises CredentialsErased when nobody can)."""
    return storage_for_location(
        tenant=bot.tenant,
        revision=pin.storage_config,
        provider=pin.provider,
        location=pin.location,
    )


def bot_media_summary(*, bot: Bot) -> dict:
    """Where the bot's media stands, in two queries: the state and counts (bots.bot.media_state),
    and the files that need a word: on their way, given up, or kept after a deletion."""
    counts = with_media(Bot.objects.filter(pk=bot.pk), detail=True).values(*COUNTS).get()
    files = list(
        BotArtifact.objects.filter(bot=bot, state__in=[*UNFINISHED, S.GAVE_UP, S.KEPT])
        .order_by("name")
        .values(
            "state",
            "attempts",
            "next_attempt_at",
            "last_error",
            "last_reason",
            "bucket",
            "key",
            "fallback",
            "held_until",
            "staged_name",
            file=F("name"),
        )
    )
    kept = [f for f in files if f["state"] == S.KEPT]
    waiting = [f for f in files if f["state"] != S.KEPT]
    given_up = [f for f in waiting if f["state"] == S.GAVE_UP]
    now = timezone.now()
    holds = [f["held_until"] for f in given_up if f["staged_name"] and f["held_until"]]
    return {
        "state": counts["media_state"],
        "artifacts": counts["media_artifacts"],
        "uploaded": counts["media_uploaded"],
        "expired": counts["media_expired"],
        "deleted": counts["media_deleted"],
        "kept": len(kept),
        "fallback": sum(f["fallback"] for f in given_up),
        "redeliverable_until": max((h for h in holds if h > now), default=None),
        "failed": [
            {"file": f["file"], "error": f["last_error"], "reason": f["last_reason"]}
            for f in waiting
            if f["state"] == S.GAVE_UP
        ],
        "files": [
            {
                name: f[name]
                for name in ("file", "state", "attempts", "next_attempt_at", "last_error")
            }
            for f in waiting
        ],
        "kept_files": [kept_file(f) for f in kept],
        "deletion_requested_at": bot.deletion_requested_at,
        "deletion_finished_at": bot.deletion_finished_at,
    }


def kept_file(row: dict) -> dict:
    return {
        "file": row["file"],
        "bucket": row["bucket"],
        "key": row["key"],
        "reason": row["last_reason"],
        "message": row["last_error"],
    }


def bot_retention(*, bot: Bot) -> dict:
    if bot.retention_hours is None:
        return {"type": "forever", "hours": None, "expires_at": None}
    return {"type": "timed", "hours": bot.retention_hours, "expires_at": bot.media_expires_at}


_LIST_FILTERS = {
    "status": "status",
    "media_state": "media_state",
    "created_after": "created_at__gt",
    "created_before": "created_at__lt",
    "storage_config": "storage_config_name",
}


def bot_list(*, tenant: Tenant, filters: dict) -> QuerySet[Bot]:
    """The tenant's bots with their media state, narrowed by the listing's filters (any of
    status, media_state, created_after, created_before, storage_config); the caller orders
    and pages."""
    lookups = {
        _LIST_FILTERS[name]: value for name, value in filters.items() if name in _LIST_FILTERS
    }
    return with_media(Bot.objects.filter(tenant=tenant)).filter(**lookups)
