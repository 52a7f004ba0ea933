"""Where a bot's media goes, fixed once when its upload first starts: its pin."""

from django.db import transaction

from bots.models import Bot, Pin
from bots.pipeline.keys import object_key_sql
from storageconfig.rules import DEFAULT_PREFIX, prefixes_resolve
from storageconfig.selectors import platform_storage, storage_config_chosen


def bot_pin(*, bot: Bot) -> Pin:
    """Fix where the bot's media goes, once: its configuration's active revision at this moment
    (the named one it chose, or the tenant's default), or the platform bucket. Every artifact
    gets its bucket and key in the same transaction."""
    with transaction.atomic():
        locked = Bot.objects.select_for_update().select_related("tenant").get(pk=bot.pk)
        pin = Pin.objects.select_related("storage_config").filter(bot=locked).first()
        if pin is None:
            pin = _pin_create(locked)
        # One UPDATE per category, whatever the number of files (a bulk_update of 2,000 rows
        # took seconds to compile).
        unkeyed = locked.artifacts.filter(key="")
        for category in pin.prefixes:
            unkeyed.filter(category=category).update(
                bucket=pin.bucket, key=object_key_sql(pin, locked, category)
            )
    return pin


def _pin_create(bot: Bot) -> Pin:
    # A named configuration deleted since the bot chose it pins its last revision, whose
    # credentials are erased: the files give up (credentials_erased), never go elsewhere.
    config = storage_config_chosen(tenant=bot.tenant, name=bot.storage_config_name)
    if config is not None:
        return Pin.objects.create(
            bot=bot,
            storage_config=config,
            provider=config.provider,
            location=config.location,
            prefixes=config.resolved_prefixes,
            key_template=config.key_template,
        )
    platform = platform_storage().backend
    return Pin.objects.create(
        bot=bot,
        provider=platform.provider,
        location=platform.location,
        prefixes=prefixes_resolve(DEFAULT_PREFIX, {}),
    )
