"""The receipt of a bot's upload: once it is over, one `storage.delivered` saying what arrived
where, as the bucket answered; and once per bot, `storage.fallback_used` naming the files the
platform bucket holds instead."""

from django.db.models import Count, F, Q
from django.utils import timezone

from bots.models import Bot, BotArtifact, Pin
from bots.pipeline.artifacts import MANIFEST
from bots.pipeline.upload_lifecycle import UNFINISHED, UploadState
from bots.webhooks.delivery import webhook_emit
from storageconfig.selectors import platform_storage


def delivered_objects(files, *fields, **named) -> list[dict]:
    """Each file's key, size, SHA-256, ETag and version id (null when the bucket does not
    version), by name, with `fields` and `named` besides: the receipt's and the manifest's."""
    shown = ("key", "size", "sha256", *fields, "etag", "version_id")
    rows = list(files.order_by("name").values(*shown, **named))
    for row in rows:
        row["version_id"] = row["version_id"] or None
    return rows


def delivery_report(*, bot: Bot) -> None:
    """In the transaction that recorded files: when the bot's upload is over (nothing on its
    way, and the manifest uploaded unless a file gave up), write its receipt, once a round.

    The bot's row is locked first: of two passes ending at once, the later one sees the other's
    files as they ended, so one of them always writes it."""
    reported = (
        Bot.objects.select_for_update()
        .filter(pk=bot.pk)
        .values_list("delivery_reported_at", "fallback_reported_at")
        .get()
    )
    if reported[0] is not None:
        return
    files = BotArtifact.objects.filter(bot=bot)
    counts = files.aggregate(
        unfinished=Count("pk", filter=Q(state__in=UNFINISHED)),
        missing=Count("pk", filter=~Q(state=UploadState.UPLOADED)),
        manifest=Count("pk", filter=Q(name=MANIFEST)),
    )
    if counts["unfinished"] or not (counts["missing"] or counts["manifest"]):
        return
    now = timezone.now()
    pin = Pin.objects.get(bot=bot)
    objects = delivered_objects(files.filter(state=UploadState.UPLOADED))
    complete = counts["missing"] == 0
    webhook_emit(
        bot=bot,
        event="storage.delivered",
        message=f"{len(objects)} file(s) delivered to {pin.bucket}"
        + ("." if complete else f"; {counts['missing']} did not arrive."),
        data={
            "bot_id": bot.public_id,
            "complete": complete,
            "provider": pin.provider,
            "bucket": pin.bucket,
            "objects": objects,
        },
    )
    fallen = list(
        files.filter(state=UploadState.GAVE_UP, fallback=True)
        .order_by("name")
        .values("key", "last_reason", file=F("name"))
    )
    reported_fallback = {}
    if fallen and reported[1] is None:
        reported_fallback = {"fallback_reported_at": now}
        webhook_emit(
            bot=bot,
            event="storage.fallback_used",
            message=f"{len(fallen)} file(s) could not be stored in {pin.bucket} and are kept in "
            "the platform bucket: fix the bucket, then redeliver.",
            data={
                "bucket": platform_storage().backend.bucket,
                "files": [
                    {"file": f["file"], "key": f["key"], "reason": f["last_reason"]} for f in fallen
                ],
            },
        )
    Bot.objects.filter(pk=bot.pk).update(delivery_reported_at=now, **reported_fallback)
