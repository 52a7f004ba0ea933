"""Where each file of a bot goes in its bucket: the key template its pin recorded, filled in."""

from datetime import UTC

from django.db.models import F, Value
from django.db.models.functions import Concat

from bots.models import Bot, Pin
from storageconfig.rules import GUIDE_TEMPLATE, key_template_parts


def _parts(pin: Pin, bot: Bot, category: str) -> list[str]:
    """The key of the category's files, cut where the file's name goes."""
    left = (bot.left_at or pin.pinned_at).astimezone(UTC)
    values = {
        "prefix": pin.prefixes[category],
        "bot_id": bot.public_id,
        "platform": bot.platform,
        "yyyy": f"{left:%Y}",
        "mm": f"{left:%m}",
        "dd": f"{left:%d}",
    }
    return key_template_parts(pin.key_template or GUIDE_TEMPLATE, values)


def object_key(pin: Pin, bot: Bot, category: str, name: str) -> str:
    """The guide's `{prefix}/{bot_id}_{name}` unless the pin's template says otherwise: bots
    share the folder, never a bare `{bot_id}/` one."""
    return name.join(_parts(pin, bot, category))


def object_key_sql(pin: Pin, bot: Bot, category: str) -> Concat:
    """object_key() of each row's `name`, in SQL: one UPDATE keys a category's files."""
    parts = _parts(pin, bot, category)
    pieces = [Value(parts[0])]
    for part in parts[1:]:
        pieces += [F("name"), Value(part)]
    return Concat(*pieces)
