"""Finding what a fetch asks for: the bot, its pinned location, the file, who may read it."""

from dataclasses import dataclass

from django.db.models import Count, Q, Window
from django.template.defaultfilters import pluralize

from bots.bot.lifecycle import RECORDING, BotStatus
from bots.bot.selectors import BotNotFound, pin_storage
from bots.models import Bot, BotArtifact, Platform
from bots.pipeline.artifacts import SCREENSHOT, screenshot_name
from bots.pipeline.upload_lifecycle import GONE, STORED, UploadState
from meetstream.shared.errors import DomainError, Forbidden, Gone, NotFound
from meetstream.tenants.models import Tenant
from storageconfig.models import AccessMode
from storageconfig.selectors import ServingStorage, platform_storage

WRITE_ONLY_MESSAGE = (
    "Media is stored in your S3 bucket, but only write access was granted. Update your storage "
    "configuration to read+write to fetch media via the API."
)


class MediaNotFound(NotFound):
    pass


class MediaGone(Gone):
    pass


def gone_message(bot: Bot, label: str, deleted_at) -> str:
    when = deleted_at.isoformat() if deleted_at else "an unknown time"
    deleted = f"The {label} {'were' if label == 'screenshots' else 'was'} deleted at {when}"
    if bot.status == BotStatus.MEDIA_EXPIRED and not bot.deletion_requested_at:
        hours = bot.retention_hours
        return f"{deleted}: the bot's retention of {hours} hour{pluralize(hours)} ran out."
    return f"{deleted}, on request (delete_data)."


class WriteOnly(Forbidden):
    code = "write_only"

    def __init__(self, *, bucket: str, key: str) -> None:
        super().__init__(
            WRITE_ONLY_MESSAGE, access_mode=AccessMode.WRITE_ONLY, bucket=bucket, key=key
        )


def bot_get_fetchable(
    *, tenant: Tenant, bot_id: str | None = None, transcript_id: str | None = None
) -> Bot:
    """The tenant's bot with its pin and pinned revision, in one query; a 404 naming its
    status while it is still in its meeting (nothing is uploaded before it leaves)."""
    lookup = {"public_id": bot_id} if bot_id is not None else {"transcript_id": transcript_id}
    try:
        bot = Bot.objects.select_related("tenant", "pin", "pin__storage_config").get(
            tenant=tenant, **lookup
        )
    except Bot.DoesNotExist:
        raise (
            BotNotFound() if bot_id is not None else MediaNotFound("Transcript not found.")
        ) from None
    if bot.status in RECORDING:
        raise MediaNotFound(
            f"The bot is still {bot.status}; its media is uploaded after it leaves the meeting.",
            status=bot.status,
        )
    return bot


def artifact_get_fetchable(*, bot: Bot, name: str, label: str) -> BotArtifact:
    """The uploaded file, or a 404 that says why there is none."""
    try:
        artifact = BotArtifact.objects.get(bot=bot, name=name)
    except BotArtifact.DoesNotExist:
        raise MediaNotFound(f"This bot has no {label}.") from None
    if artifact.state in GONE:
        raise MediaGone(gone_message(bot, label, artifact.deleted_at))
    if artifact.state == UploadState.GAVE_UP and artifact.fallback:
        return artifact  # served from the platform bucket
    if artifact.state == UploadState.GAVE_UP:
        raise MediaNotFound(f"The {label} was not uploaded: {artifact.last_error}")
    if artifact.state == UploadState.RETRY_WAIT:
        raise MediaNotFound(
            f"The {label} has not been uploaded yet: {artifact.last_error} "
            f"It is tried again at {artifact.next_attempt_at.isoformat()}."
        )
    if artifact.state not in STORED:
        raise MediaNotFound(f"The {label} has not been uploaded yet.")
    return artifact


def serving_storage(*, bot: Bot, key: str, fallback: bool = False) -> ServingStorage:
    """Who reads the bot's pinned location (with `fallback`, the platform bucket that holds
    files given up there); 403 when the pinned configuration granted write access only."""
    storage = pin_storage(bot=bot, pin=bot.pin)
    if storage.access_mode == AccessMode.WRITE_ONLY:
        raise WriteOnly(bucket=bot.pin.bucket, key=key)
    return platform_storage() if fallback else storage


def screenshots_offered_check(bot: Bot) -> None:
    if bot.platform == Platform.ZOOM:
        raise DomainError("Screenshots are not supported for Zoom bots.")


def _screenshots(bot: Bot):
    return BotArtifact.objects.filter(
        bot=bot, name__startswith="screenshots/", name__endswith=".png"
    )


def served() -> Q:
    """Files a fetch serves: stored at the pinned location, or fallen back to the platform's."""
    return Q(state__in=STORED) | Q(state=UploadState.GAVE_UP, fallback=True)


def screenshots_uploaded(*, bot: Bot):
    return _screenshots(bot).filter(served()).order_by("captured_at", "name")


def screenshots_gone_raise(*, bot: Bot) -> None:
    """A 410 when the bot's screenshots were deleted (or expired) and none is left."""
    if bot.deletion_requested_at is None and bot.status != BotStatus.MEDIA_EXPIRED:
        return
    gone = _screenshots(bot).filter(state__in=GONE).order_by("-deleted_at").first()
    if gone is not None:
        raise MediaGone(gone_message(bot, "screenshots", gone.deleted_at))


def screenshot_name_check(screenshot_id: str) -> str:
    """The screenshot's file name, or a 404 when the id cannot be one."""
    name = screenshot_name(screenshot_id)
    if not SCREENSHOT.match(name):
        raise MediaNotFound("Screenshot not found.")
    return name


# What a page of URLs reads of each file.
_SERVED_FIELDS = ("bot_id", "name", "captured_at", "key", "fallback")


@dataclass(frozen=True)
class Page:
    count: int
    number: int
    pages: int
    items: list[BotArtifact]


def screenshots_page(*, bot: Bot, number: int, size: int) -> Page:
    """One page of the bot's uploaded screenshots, oldest first, and how many there are; no
    S3."""
    screenshots = screenshots_uploaded(bot=bot).only(*_SERVED_FIELDS)
    start = (number - 1) * size
    # The count comes with the page's rows (a window over every row, before the LIMIT): one
    # query. An empty page asks it apart, to say how many pages there are.
    counted = screenshots.annotate(total=Window(Count("pk")))
    items = list(counted[start : start + size])
    if items:
        count = items[0].total
    else:
        count = screenshots.count() if number > 1 else 0
    pages = max(1, -(-count // size))
    if number > pages:
        raise DomainError(
            f"Page {number} does not exist: there {'is' if pages == 1 else 'are'} {pages} "
            f"page{pluralize(pages)}.",
        )
    return Page(count, number, pages, items)
