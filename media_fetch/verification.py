"""Proof of delivery: each file of a bot asked of its bucket again, one HEAD a file."""

from concurrent.futures import ThreadPoolExecutor

from django.utils import timezone

from bots.models import Bot, BotArtifact
from bots.pipeline.upload_lifecycle import STORED
from media_fetch.selectors import serving_storage
from media_fetch.serving import unserved
from storageconfig.backends.base import Backend, Stored
from storageconfig.failures import StorageError

HEADS_AT_ONCE = 16


def _result(artifact: BotArtifact, head: Stored | None) -> str:
    if head is None:
        return "missing"
    if head.size != artifact.size or (artifact.etag and head.etag != artifact.etag):
        return "changed"
    return "ok"


def _heads(backend: Backend, stored: list[BotArtifact]) -> list[Stored | None]:
    if not stored:
        return []
    with ThreadPoolExecutor(min(HEADS_AT_ONCE, len(stored))) as pool:
        try:
            return list(pool.map(lambda artifact: backend.object_head(artifact.key), stored))
        except StorageError as failure:
            raise unserved(failure) from None


def media_verify(*, bot: Bot) -> dict:
    """Each file `ok`, `missing` (no object at its key), `changed` (its size or ETag differ
    from what its upload recorded) or `not_uploaded`; `ok` when every file is. The pinned
    configuration must allow reads (the guide's 403 otherwise)."""
    files = list(BotArtifact.objects.filter(bot=bot).order_by("name"))
    stored = [artifact for artifact in files if artifact.state in STORED]
    results = {}
    if hasattr(bot, "pin"):
        backend = serving_storage(bot=bot, key=f"{bot.pin.prefixes['metadata']}/").backend
        heads = _heads(backend, stored)
        results = {a.pk: _result(a, head) for a, head in zip(stored, heads, strict=True)}
    rows = [
        {"file": a.name, "key": a.key, "result": results.get(a.pk, "not_uploaded")} for a in files
    ]
    return {
        "bot_id": bot.public_id,
        "ok": all(row["result"] == "ok" for row in rows),
        "checked_at": timezone.now(),
        "files": rows,
    }
