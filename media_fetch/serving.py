"""Serving a stored file: a presigned URL, or its JSON streamed from the bucket."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.http import StreamingHttpResponse
from django.utils import timezone

from bots.models import Bot, BotArtifact
from media_fetch.selectors import serving_storage
from meetstream.shared.errors import DomainError, Forbidden, NotFound, UpstreamFailed
from storageconfig.backends.base import URL_SECONDS
from storageconfig.failures import StorageError


@dataclass(frozen=True)
class LinkAsked:
    """What the caller asked of its URLs: their life, and whether they download the file."""

    expires_in: int = URL_SECONDS
    attachment: bool = False


@dataclass(frozen=True)
class Links:
    """Signed URLs, in the files' order, and how long they live (the shortest's life)."""

    urls: list[str]
    expires_in: int
    expires_at: datetime
    asked: LinkAsked

    def life(self) -> dict:
        """`expires_in` and `expires_at` as every answer with URLs shows them, and why they
        live less than asked when they do (the role session that signed them ends sooner)."""
        shorter = self.expires_in < self.asked.expires_in
        return {
            "expires_in": self.expires_in,
            "expires_at": self.expires_at,
            "expires_limited_by": "role_session" if shorter else None,
        }


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


def presigned_url(*, bot: Bot, artifact: BotArtifact, asked: LinkAsked) -> Links:
    """A URL of the file, and how long it stays valid (a role's session may end first)."""
    return presigned_urls(bot=bot, artifacts=[artifact], folder=artifact.key, asked=asked)


def presigned_urls(
    *, bot: Bot, artifacts: list[BotArtifact], folder: str, asked: LinkAsked
) -> Links:
    """URLs in the artifacts' order, each signed by the bucket that holds it (the pinned one,
    or the platform's for a file that fell back), and the life of the shortest."""
    urls: dict[int, str] = {}
    lives = [asked.expires_in]
    # Whole seconds, as signatures date themselves: no URL ends before `expires_at`.
    signed_at = timezone.now().replace(microsecond=0)
    # No file at all still asks the pinned configuration (a write-only one is a 403).
    for fallback in sorted({a.fallback for a in artifacts}) or [False]:
        group = [a for a in artifacts if a.fallback == fallback]
        backend = serving_storage(bot=bot, key=folder, fallback=fallback).backend
        names = [a.name.rsplit("/", 1)[-1] for a in group] if asked.attachment else None
        try:
            signed, seconds = backend.presign_gets(
                [a.key for a in group], expires_in=asked.expires_in, filenames=names
            )
        except StorageError as failure:
            raise unserved(failure) from None
        urls.update(zip([a.pk for a in group], signed, strict=True))
        lives.append(seconds)
    life = min(lives)
    return Links([urls[a.pk] for a in artifacts], life, signed_at + timedelta(seconds=life), asked)


def json_response(*, bot: Bot, artifact: BotArtifact) -> StreamingHttpResponse:
    """The object's bytes as stored, streamed through in chunks."""
    backend = serving_storage(bot=bot, key=artifact.key, fallback=artifact.fallback).backend
    try:
        chunks = backend.object_chunks(artifact.key)
    except StorageError as failure:
        raise unserved(failure) from None
    return StreamingHttpResponse(chunks, content_type="application/json")
