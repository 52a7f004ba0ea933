from django.db.models import Count, Q

from bots.models import ArtifactState, Bot, BotArtifact, Pin
from meetstream.errors import ApiError
from meetstream.models import Tenant
from storageconfig.selectors import ServingStorage, storage_for_location


class BotNotFound(ApiError):
    status_code = 404

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


def pin_storage(*, bot: Bot, pin: Pin) -> ServingStorage:
    """Who serves the bot's pinned location (raises CredentialsErased when nobody can)."""
    return storage_for_location(
        tenant=bot.tenant,
        revision=pin.storage_config,
        bucket=pin.bucket,
        region=pin.region,
        endpoint_url=pin.endpoint_url,
    )


def bot_media_summary(*, bot: Bot) -> dict:
    """`{state, artifacts, uploaded, failed: [{file, error}]}` in two queries."""
    counts = BotArtifact.objects.filter(bot=bot).aggregate(
        total=Count("pk"),
        uploaded=Count("pk", filter=Q(state=ArtifactState.UPLOADED)),
        failed=Count("pk", filter=Q(state=ArtifactState.FAILED)),
    )
    failed = [
        {"file": name, "error": error}
        for name, error in BotArtifact.objects.filter(bot=bot, state=ArtifactState.FAILED)
        .order_by("name")
        .values_list("name", "last_error")
    ]
    total, uploaded = counts["total"], counts["uploaded"]
    pending = total - uploaded - counts["failed"]
    if total == 0:
        state = "pending"
    elif uploaded == total:
        state = "uploaded"
    elif pending:
        state = "uploading" if Pin.objects.filter(bot=bot).exists() else "pending"
    else:
        state = "partial" if uploaded else "failed"
    return {"state": state, "artifacts": total, "uploaded": uploaded, "failed": failed}
