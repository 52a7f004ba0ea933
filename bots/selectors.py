from django.db.models import F

from bots.models import Bot, BotArtifact, Pin
from bots.upload_lifecycle import UploadState
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
    """`{state, artifacts, uploaded, failed, files}` in two queries.

    `files` is each file not uploaded yet, with its upload state; `failed` those given up."""
    uploaded = BotArtifact.objects.filter(bot=bot, state=UploadState.UPLOADED).count()
    files = list(
        BotArtifact.objects.filter(bot=bot)
        .exclude(state=UploadState.UPLOADED)
        .order_by("name")
        .values("state", "attempts", "next_attempt_at", "last_error", file=F("name"))
    )
    failed = [
        {"file": f["file"], "error": f["last_error"]}
        for f in files
        if f["state"] == UploadState.GAVE_UP
    ]
    total = uploaded + len(files)
    if total == 0:
        state = "pending"
    elif not files:
        state = "uploaded"
    elif len(failed) < len(files):  # some still on their way
        if any(f["state"] == UploadState.RETRY_WAIT for f in files):
            state = "retrying"
        else:
            state = "uploading" if Pin.objects.filter(bot=bot).exists() else "pending"
    else:
        state = "partial" if uploaded else "failed"
    return {
        "state": state,
        "artifacts": total,
        "uploaded": uploaded,
        "failed": failed,
        "files": files,
    }
