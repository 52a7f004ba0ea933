"""Moving a bot's staged files into its pinned bucket, and recording where each one went."""

import io
import json
import logging
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import suppress
from dataclasses import dataclass
from datetime import timedelta
from hashlib import sha256

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from bots.artifacts import MANIFEST, manifest_spec, object_key
from bots.lifecycle import BotEventType, BotStatus
from bots.models import ArtifactState, Bot, BotArtifact, Pin
from bots.selectors import pin_storage
from bots.services import bot_transition
from bots.staging import staged_delete, staged_exists, staged_source
from bots.webhooks import webhook_emit
from meetstream.errors import ApiError
from storageconfig import s3
from storageconfig.rules import DEFAULT_PREFIX, prefixes_resolve
from storageconfig.selectors import (
    CredentialsErased,
    platform_target,
    storage_config_get_active,
)

logger = logging.getLogger(__name__)

# How long an upload holds its artifacts before another delivery may take them over.
CLAIM = timedelta(hours=1)
# A failed or stuck upload is picked up again by the sweeper once it has been idle this long.
SWEEP_IDLE = timedelta(minutes=5)


@dataclass(frozen=True)
class UploadSummary:
    uploaded: int
    failed: int
    retryable: bool


def bot_pin(*, bot: Bot) -> Pin:
    """Fix where the bot's media goes, once: the tenant's active configuration at this moment,
    or the platform bucket. Every artifact gets its bucket and key in the same transaction."""
    with transaction.atomic():
        locked = Bot.objects.select_for_update().select_related("tenant").get(pk=bot.pk)
        pin = Pin.objects.select_related("storage_config").filter(bot=locked).first()
        if pin is None:
            pin = _pin_create(locked)
        artifacts = list(locked.artifacts.filter(key=""))
        for artifact in artifacts:
            artifact.bucket = pin.bucket
            artifact.key = object_key(
                pin.prefixes[artifact.category], locked.public_id, artifact.name
            )
        BotArtifact.objects.bulk_update(artifacts, ["bucket", "key"])
    return pin


def _pin_create(bot: Bot) -> Pin:
    config = storage_config_get_active(tenant=bot.tenant)
    if config is not None:
        return Pin.objects.create(
            bot=bot,
            storage_config=config,
            bucket=config.bucket_name,
            region=config.region,
            endpoint_url=config.endpoint_url,
            prefixes=config.resolved_prefixes,
        )
    platform = platform_target()
    return Pin.objects.create(
        bot=bot,
        bucket=platform.bucket,
        region=platform.region,
        endpoint_url=platform.endpoint_url or "",
        prefixes=prefixes_resolve(DEFAULT_PREFIX, {}),
    )


def _claim(bot: Bot, owner: str) -> list[BotArtifact]:
    """Take the bot's unfinished files for this upload; files another live upload holds stay."""
    now = timezone.now()
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now) | Q(claimed_by=owner)
    unfinished = BotArtifact.objects.filter(bot=bot).exclude(state=ArtifactState.UPLOADED)
    unfinished.exclude(name=MANIFEST).filter(free).update(
        claimed_by=owner, claimed_until=now + CLAIM
    )
    return list(unfinished.filter(claimed_by=owner).exclude(name=MANIFEST))


def _transfer(client, target: s3.S3Target, artifact: BotArtifact) -> s3.S3Error | None:
    """Runs in a worker thread: S3 only, no database."""
    if not staged_exists(artifact.staged_name):
        return s3.S3Error(
            "staged_file_missing", "The staged file is missing; it cannot be uploaded."
        )
    source = staged_source(artifact.staged_name)
    try:
        s3.object_upload(
            client,
            target,
            key=artifact.key,
            source=source,
            content_type=artifact.content_type,
            metadata={"sha256": artifact.sha256},
        )
    except s3.S3Error as failure:
        return failure
    finally:
        if not isinstance(source, str):
            source.close()
    return None


# Webhook events for files whose upload says something to the customer.
_PROCESSED = {"audio": "audio.processed", "video": "video.processed"}


def _processed_event(artifact: BotArtifact) -> str | None:
    if artifact.name == MANIFEST:
        return "manifest.completed"
    if artifact.name.endswith("processed_transcript.json"):
        return "transcription.processed"
    return _PROCESSED.get(artifact.category)


def _notify(
    bot: Bot, artifact: BotArtifact, failure: s3.S3Error | None, newly_failed: bool
) -> None:
    where = {"file": artifact.name, "bucket": artifact.bucket, "key": artifact.key}
    if failure is None and (event := _processed_event(artifact)):
        webhook_emit(bot=bot, event=event, message=f"{artifact.name} is stored.", data=where)
    elif failure is not None and newly_failed:
        webhook_emit(
            bot=bot,
            event="storage.upload_failed",
            message=failure.message,
            data={**where, "reason": failure.reason},
        )


def _record(bot: Bot, artifact: BotArtifact, failure: s3.S3Error | None) -> None:
    newly_failed = failure is not None and artifact.state != ArtifactState.FAILED
    artifact.attempts += 1
    artifact.claimed_by, artifact.claimed_until = "", None
    if failure is None:
        artifact.state, artifact.last_error = ArtifactState.UPLOADED, ""
        artifact.uploaded_at = timezone.now()
    else:
        artifact.state, artifact.last_error = ArtifactState.FAILED, failure.message
        logger.warning(
            "Upload of %s for bot %s failed: %s", artifact.name, artifact.bot_id, failure.reason
        )
    staged_name = artifact.staged_name if failure is None else ""
    if staged_name:
        artifact.staged_name = ""
    with transaction.atomic():
        artifact.save(
            update_fields=[
                "attempts",
                "claimed_by",
                "claimed_until",
                "state",
                "last_error",
                "uploaded_at",
                "staged_name",
                "updated_at",
            ]
        )
        _notify(bot, artifact, failure, newly_failed)
    if staged_name:
        # Only once the upload is confirmed and recorded does the staged copy go.
        try:
            staged_delete(staged_name)
        except OSError:
            logger.warning("Could not delete staged file %s", staged_name, exc_info=True)


def media_upload(*, bot: Bot, owner: str) -> UploadSummary:
    """Upload every unfinished file of a bot that has left, then its manifest, then mark it Done.

    Safe to run again or twice at once: uploaded files are skipped and claimed ones left alone.
    """
    pin = bot_pin(bot=bot)
    claimed = _claim(bot, owner)
    failures: list[s3.S3Error] = []
    try:
        storage = pin_storage(bot=bot, pin=pin)
    except CredentialsErased as erased:
        failure = s3.S3Error("credentials_erased", erased.message)
        for artifact in claimed:
            _record(bot, artifact, failure)
        return UploadSummary(uploaded=0, failed=len(claimed), retryable=False)

    client = s3.client(storage.target, cache_key=storage.cache_key)
    with ThreadPoolExecutor(max_workers=settings.MEDIA_UPLOAD_CONCURRENCY) as pool:
        futures = {pool.submit(_transfer, client, storage.target, a): a for a in claimed}
        for future in as_completed(futures):
            failure = future.result()
            _record(bot, futures[future], failure)
            if failure is not None:
                failures.append(failure)
    if not failures:
        failure = _manifest_write(bot, pin, client, storage.target)
        if failure is not None:
            failures.append(failure)
    return UploadSummary(
        uploaded=len(claimed) - len(failures),
        failed=len(failures),
        retryable=any(failure.retryable for failure in failures),
    )


def _manifest_write(bot: Bot, pin: Pin, client, target: s3.S3Target) -> s3.S3Error | None:
    """Written last, once every other file is uploaded: each object's key, size and digest."""
    artifacts = BotArtifact.objects.filter(bot=bot)
    if artifacts.filter(name=MANIFEST, state=ArtifactState.UPLOADED).exists():
        return None
    if artifacts.exclude(name=MANIFEST).exclude(state=ArtifactState.UPLOADED).exists():
        return None
    objects = list(
        artifacts.exclude(name=MANIFEST)
        .order_by("name")
        .values("key", "size", "sha256", "content_type", file=F("name"))
    )
    manifest = {
        "bot_id": bot.public_id,
        "transcript_id": bot.transcript_id,
        "bucket": pin.bucket,
        "objects": objects,
    }
    body = json.dumps(manifest, indent=2).encode()
    spec = manifest_spec()
    row, _ = BotArtifact.objects.update_or_create(
        bot=bot,
        name=MANIFEST,
        defaults={
            "category": spec.category,
            "content_type": spec.content_type,
            "size": len(body),
            "sha256": sha256(body).hexdigest(),
            "bucket": pin.bucket,
            "key": object_key(pin.prefixes[spec.category], bot.public_id, MANIFEST),
        },
    )
    try:
        s3.object_upload(
            client,
            target,
            key=row.key,
            source=io.BytesIO(body),
            content_type=spec.content_type,
            metadata={"sha256": row.sha256},
        )
    except s3.S3Error as failure:
        _record(bot, row, failure)
        return failure
    _record(bot, row, None)
    if Bot.objects.filter(pk=bot.pk, status=BotStatus.STOPPED).exists():
        with suppress(ApiError):  # a concurrent delivery marked it Done first
            bot_transition(bot=bot, event=BotEventType.MEDIA_UPLOADED)
    return None


def media_upload_due(*, now=None) -> list[int]:
    """Bots with failed or stuck files that have sat idle long enough to be tried again."""
    now = now or timezone.now()
    return list(
        BotArtifact.objects.filter(bot__status=BotStatus.STOPPED, updated_at__lt=now - SWEEP_IDLE)
        .exclude(state=ArtifactState.UPLOADED)
        .filter(attempts__lt=settings.MEDIA_UPLOAD_MAX_ATTEMPTS)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .values_list("bot_id", flat=True)
        .distinct()
    )
