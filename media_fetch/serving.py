"""Serving a stored file: a presigned URL, or its JSON streamed from the bucket."""

from django.http import StreamingHttpResponse

from bots.models import Bot, BotArtifact
from media_fetch.selectors import serving_storage
from meetstream.errors import ApiError
from storageconfig import s3

STREAM_CHUNK = 64 * 1024
_READ_STATUS = {
    "access_denied": 403,
    "role_assumption_failed": 403,
    "no_such_key": 404,
    "no_such_bucket": 404,
}


def _unserved(failure: s3.S3Error) -> ApiError:
    return ApiError(
        f"Your bucket did not serve the file: {failure.message}",
        status_code=_READ_STATUS.get(failure.reason, 502),
        reason=failure.reason,
    )


def presigned_url(*, bot: Bot, artifact: BotArtifact) -> tuple[str, int]:
    """A URL of the file and the seconds it stays valid (a role's session may end first)."""
    urls, life = presigned_urls(bot=bot, artifacts=[artifact], folder=artifact.key)
    return urls[0], life


def presigned_urls(*, bot: Bot, artifacts: list[BotArtifact], folder: str) -> tuple[list[str], int]:
    storage = serving_storage(bot=bot, key=folder)
    client = s3.client(storage.target, purpose="fetch", cache_key=storage.cache_key)
    keys = [artifact.key for artifact in artifacts]
    try:
        life = s3.url_life(client)
        return s3.presign_gets(client, storage.target, keys=keys, expires=life), life
    except s3.S3Error as failure:
        raise _unserved(failure) from None


def json_response(*, bot: Bot, artifact: BotArtifact) -> StreamingHttpResponse:
    """The object's bytes as stored, streamed through in chunks."""
    storage = serving_storage(bot=bot, key=artifact.key)
    client = s3.client(storage.target, purpose="fetch", cache_key=storage.cache_key)
    try:
        body = s3.object_open(client, storage.target, key=artifact.key)
    except s3.S3Error as failure:
        raise _unserved(failure) from None

    def chunks():
        try:
            yield from body.iter_chunks(STREAM_CHUNK)
        finally:
            body.close()

    return StreamingHttpResponse(chunks(), content_type="application/json")
