"""Where a bot's media goes, fixed once when its upload first starts: its pin."""

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat

from bots.models import Bot, Pin
from bots.pipeline.artifacts import object_key
from storageconfig.rules import DEFAULT_PREFIX, prefixes_resolve
from storageconfig.selectors import platform_storage, storage_config_get_active


def bot_pin(*, bot: Bot) -> Pin:
    """Fix where the bot's media goes, once: the tenant's active configuration at this moment,
    or the platform bucket. Every artifact gets its bucket and key in the same transaction."""
    with transaction.atomic():
        locked = Bot.objects.select_for_update().select_related("tenant").get(pk=bot.pk)
        pin = Pin.objects.select_related("storage_config").filter(bot=locked).first()
        if pin is None:
            pin = _pin_create(locked)
        # One UPDATE per category, whatever the number of files (a bulk_update of 2,000 rows
        # took seconds to compile). The key is object_key(prefix, bot_id, name), in SQL.
        unkeyed = locked.artifacts.filter(key="")
        for category, prefix in pin.prefixes.items():
            folder = object_key(prefix, locked.public_id, "")
            unkeyed.filter(category=category).update(
                bucket=pin.bucket, key=Concat(Value(folder), F("name"))
            )
    return pin


def _pin_create(bot: Bot) -> Pin:
    config = storage_config_get_active(tenant=bot.tenant)
    if config is not None:
        return Pin.objects.create(
            bot=bot,
            storage_config=config,
            provider=config.provider,
            location=config.location,
            prefixes=config.resolved_prefixes,
        )
    platform = platform_storage().backend
    return Pin.objects.create(
        bot=bot,
        provider=platform.provider,
        location=platform.location,
        prefixes=prefixes_resolve(DEFAULT_PREFIX, {}),
    )
