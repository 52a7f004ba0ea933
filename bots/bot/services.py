import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from bots.bot.lifecycle import RECORDING, BotEventType, IllegalTransition, next_status
from bots.bot.meetings import meeting_platform
from bots.models import Bot, BotArtifact, BotEvent
from bots.pipeline.artifacts import artifact_spec
from bots.pipeline.staging import stage, staged_delete, staged_read
from bots.webhooks.delivery import LIFECYCLE_EVENTS, webhook_emit
from meetstream.shared.errors import Conflict, RuleError
from meetstream.shared.parsers import json_loads
from meetstream.shared.tasks import task_queue
from meetstream.tenants.models import Tenant
from storageconfig.selectors import storage_config_get_active

logger = logging.getLogger(__name__)
SIDECAR_LIMIT = 64 * 1024


def bot_create(
    *,
    tenant: Tenant,
    meeting_link: str,
    bot_name: str,
    callback_url: str = "",
    transcript_provider: str = "meetstream",
    retention: dict | None = None,
    storage_config_name: str = "",
) -> Bot:
    """A bot joining its meeting. `retention` as create_bot's recording_config gives it
    (`{"type": "timed", "hours": n}` or `{"type": "forever"}`); None: MEDIA_RETENTION_HOURS.
    `storage_config_name`: the named storage configuration its media goes to (it must be
    active now; "": the default one, else the platform bucket)."""
    if storage_config_name and not storage_config_get_active(
        tenant=tenant, name=storage_config_name
    ):
        raise ValidationError(
            {
                "storage.config": [
                    f"No storage configuration named '{storage_config_name}' is active: "
                    "GET /api/v1/admin/configs/names lists them."
                ]
            }
        )
    if retention is None:
        retention_hours = settings.MEDIA_RETENTION_HOURS
    else:
        retention_hours = retention["hours"] if retention["type"] == "timed" else None
    bot = Bot.objects.create(
        tenant=tenant,
        meeting_link=meeting_link,
        platform=meeting_platform(meeting_link),
        bot_name=bot_name,
        callback_url=callback_url,
        transcript_provider=transcript_provider,
        retention_hours=retention_hours,
        storage_config_name=storage_config_name,
    )
    webhook_emit(bot=bot, event="bot.joining", message="The bot is joining the meeting.")
    if settings.RECORDER_MODE == "simulated":
        transaction.on_commit(lambda: task_queue("bots.tasks.simulate_meeting", bot.pk))
    return bot


def bot_transition(*, bot: Bot, event: str, actor: str = "") -> Bot:
    """Apply one lifecycle event from the transition table, with its event row; or refuse it.

    Leaving (or failing) starts the retention clock of what the platform holds."""
    with transaction.atomic():
        locked = Bot.objects.select_for_update().get(pk=bot.pk)
        try:
            status = next_status(locked.status, event)
        except IllegalTransition as refused:
            raise Conflict(str(refused), status=locked.status) from None
        BotEvent.objects.create(
            bot=locked, event=event, from_status=locked.status, to_status=status, actor=actor
        )
        locked.status = status
        now = timezone.now()
        if event == BotEventType.LEFT:
            locked.left_at = now
        if event in {BotEventType.LEFT, BotEventType.FAILED} and locked.retention_hours:
            locked.media_expires_at = now + timedelta(hours=locked.retention_hours)
        locked.save(update_fields=["status", "left_at", "media_expires_at"])
        if webhook := LIFECYCLE_EVENTS.get(event):
            webhook_emit(bot=locked, event=webhook, message=f"The bot is {status}.")
    bot.status, bot.left_at, bot.media_expires_at = (
        locked.status,
        locked.left_at,
        locked.media_expires_at,
    )
    return bot


def bot_event_record(*, bot: Bot, event: str, actor: str = "") -> None:
    """A record that changes no status: who asked for a deletion, when it finished."""
    BotEvent.objects.create(
        bot=bot, event=event, from_status=bot.status, to_status=bot.status, actor=actor
    )


def bot_left(*, bot: Bot) -> Bot:
    """The bot left its meeting: no more files are taken, and its media upload is queued."""
    bot_transition(bot=bot, event=BotEventType.LEFT)
    logger.info("The bot left its meeting; its upload is queued.")
    transaction.on_commit(lambda: task_queue("bots.tasks.upload_bot_media", bot.pk))
    return bot


def _captured_at(staged_name: str) -> datetime:
    raw = staged_read(staged_name, limit=SIDECAR_LIMIT)
    if len(raw) > SIDECAR_LIMIT:
        raise RuleError("A screenshot sidecar may be at most 64 KiB.")
    try:
        value = json_loads(raw)["captured_at"]
        captured_at = parse_datetime(value) if isinstance(value, str) else None
    except (ValueError, KeyError, TypeError):
        captured_at = None
    if captured_at is None or captured_at.tzinfo is None:
        raise RuleError(
            "A screenshot sidecar is a JSON object with 'captured_at' as an ISO 8601 time "
            "with its offset."
        )
    return captured_at


def artifact_stage(*, bot: Bot, name: str, stream) -> BotArtifact:
    """Take one file from the recorder into staging; a file sent again replaces the last.

    The recorder API's stream (bots.recorder.intake) refuses a body that is not the whole file: then
    nothing is staged and an earlier copy of the file stays as it was."""
    spec = artifact_spec(
        name, transcript_provider=bot.transcript_provider, transcript_id=bot.transcript_id
    )
    if bot.status not in RECORDING:
        raise _left_already_conflict(bot)
    staged = stage(bot_id=bot.public_id, name=name, stream=stream)
    try:
        if staged.size == 0:
            raise RuleError("The file is empty.")
        captured_at = _captured_at(staged.name) if spec.is_sidecar else None
        artifact, replaced = _artifact_record(bot, spec, staged, captured_at)
    except BaseException:
        staged_delete(staged.name)
        raise
    if replaced:
        transaction.on_commit(lambda: staged_delete(replaced))
    return artifact


def _artifact_record(bot, spec, staged, captured_at) -> tuple[BotArtifact, str]:
    with transaction.atomic():
        if Bot.objects.select_for_update().get(pk=bot.pk).status not in RECORDING:
            raise _left_already_conflict(bot)
        previous = BotArtifact.objects.filter(bot=bot, name=spec.name).first()
        if spec.screenshot_id and not spec.is_sidecar:
            sidecar = f"screenshots/{spec.screenshot_id}.json"
            captured_at = (
                BotArtifact.objects.filter(bot=bot, name=sidecar)
                .values_list("captured_at", flat=True)
                .first()
            )
        artifact, _ = BotArtifact.objects.update_or_create(
            bot=bot,
            name=spec.name,
            defaults={
                "category": spec.category,
                "content_type": spec.content_type,
                "staged_name": staged.name,
                "size": staged.size,
                "sha256": staged.sha256,
                "captured_at": captured_at,
            },
        )
        if spec.is_sidecar:
            BotArtifact.objects.filter(
                bot=bot, name=f"screenshots/{spec.screenshot_id}.png"
            ).update(captured_at=captured_at)
    return artifact, previous.staged_name if previous else ""


def _left_already_conflict(bot: Bot) -> Conflict:
    return Conflict(f"The bot is {bot.status}: it has left the meeting and takes no more files.")
