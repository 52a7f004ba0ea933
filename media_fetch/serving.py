"""Serving a stored file: a presigned URL, or its JSON streamed from the bucket."""

from django.http import StreamingHttpResponse

from bots.models import Bot, BotArtifact
from media_fetch.selectors import serving_storage
from meetstream.shared.errors import DomainError, Forbidden, NotFound, UpstreamFailed
from storageconfig.failures import StorageError

# What a bucket's refusal means for the request; anything else is the bucket failing us.
_READ_KIND: dict[str, type[DomainError]] = {
    "access_denied": Forbidden,
    "role_assumption_failed": Forbidden,
    "no_such_key": NotFound,
    "no_such_bucket": NotFound,
}


def unserved(failure: StorageError) -> DomainError:
    kind = _READ_KIND.get(failure.reason, UpstreamFailed)
    return kind(f"Your bucket did not serve the file: {failure.message}", reason=failure.reason)


def presigned_url(*, bot: Bot, artifact: BotArtifact) -> tuple[str, int]:
    """A URL of the file and the seconds it stays valid (a role's session may end first)."""
    urls, life = presigned_urls(bot=bot, artifacts=[artifact], folder=artifact.key)
    return urls[0], life


def presigned_urls(*, bot: Bot, artifacts: list[BotArtifact], folder: str) -> tuple[list[str], int]:
    """URLs in the artifacts' order, each signed by the bucket that holds it (the pinned one,
    or the platform's for a file that fell back), and the seconds the shortest stays valid."""
    urls: dict[int, str] = {}
    lives = []
    # No file at all still asks the pinned configuration (a write-only one is a 403).
    for fallback in sorted({a.fallback for a in artifacts}) or [False]:
        group = [a for a in artifacts if a.fallback == fallback]
        backend = serving_storage(bot=bot, key=folder, fallback=fallback).backend
        try:
            signed, seconds = backend.presign_gets([artifact.key for artifact in group])
        except StorageError as failure:
            raise unserved(failure) from None
        urls.update(zip([a.pk for a in group], signed, strict=True))
        lives.append(seconds)
    return [urls[a.pk] for a in artifacts], min(lives)


def json_response(*, bot: Bot, artifact: BotArtifact) -> StreamingHttpResponse:
    """The object's bytes as stored, streamed through in chunks."""
    backend = serving_storage(bot=bot, key=artifact.key, fallback=artifact.fallback).backend
    try:
        chunks = backend.object_chunks(artifact.key)
    except StorageError as failure:
        raise unserved(failure) from None
    return StreamingHttpResponse(chunks, content_type="application/json")
