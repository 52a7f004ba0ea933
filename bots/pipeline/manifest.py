"""A bot's manifest: the last file of its upload, naming every object that arrived."""

import json
from hashlib import sha256

from django.db.models import F

from bots.models import Bot, BotArtifact, Pin
from bots.pipeline.artifacts import MANIFEST, manifest_spec
from bots.pipeline.keys import object_key
from bots.pipeline.receipts import delivered_objects
from bots.pipeline.upload_lifecycle import UploadState


def manifest_body(bot: Bot, pin: Pin) -> bytes:
    """Each object's key, size, digest, ETag and version (null when the bucket does not
    version): the same bytes each time for the same files."""
    others = BotArtifact.objects.filter(bot=bot).exclude(name=MANIFEST)
    objects = delivered_objects(others, "content_type", file=F("name"))
    manifest = {
        "bot_id": bot.public_id,
        "transcript_id": bot.transcript_id,
        "bucket": pin.bucket,
        "objects": objects,
    }
    return json.dumps(manifest, indent=2).encode()


def manifest_stage(bot: Bot, pin: Pin) -> bytes | None:
    """Once every other file is uploaded, the manifest joins them as a staged file; its bytes,
    when this call staged it."""
    files = BotArtifact.objects.filter(bot=bot)
    if files.filter(name=MANIFEST).exists() or files.exclude(state=UploadState.UPLOADED).exists():
        return None
    body = manifest_body(bot, pin)
    spec = manifest_spec()
    _, created = BotArtifact.objects.get_or_create(
        bot=bot,
        name=MANIFEST,
        defaults={
            "category": spec.category,
            "content_type": spec.content_type,
            "size": len(body),
            "sha256": sha256(body).hexdigest(),
            "bucket": pin.bucket,
            "key": object_key(pin, bot, spec.category, MANIFEST),
        },
    )
    return body if created else None
