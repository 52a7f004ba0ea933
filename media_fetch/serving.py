"""Serving a stored file: a presigned URL, or its JSON streamed from the bucket."""

from django.http import StreamingHttpResponse

from bots.models import Bot, BotArtifact
from media_fetch.selectors import serving_storage
from meetstream.errors import ApiError
from storageconfig import s3

STREAM_CHUNK = 64 * 1024
_READ_STATUS = {"access_denied": 403, "no_such_key": 404, "no_such_bucket": 404}


def presigned_url(*, bot: Bot, artifact: BotArtifact) -> str:
    storage = serving_storage(bot=bot, key=artifact.key)
    client = s3.client(storage.target, purpose="fetch", cache_key=storage.cache_key)
    return s3.presign_get(client, storage.target, key=artifact.key)


def presigned_urls(*, bot: Bot, artifacts: list[BotArtifact], folder: str) -> list[str]:
    storage = serving_storage(bot=bot, key=folder)
    client = s3.client(storage.target, purpose="fetch", cache_key=storage.cache_key)
    return s3.presign_gets(client, storage.target, keys=[artifact.key for artifact in artifacts])


def json_response(*, bot: Bot, artifact: BotArtifact) -> StreamingHttpResponse:
    """The object's bytes as stored, streamed through in chunks."""
    storage = serving_storage(bot=bot, key=artifact.key)
    client = s3.client(storage.target, purpose="fetch", cache_key=storage.cache_key)
    try:
        body = s3.object_open(client, storage.target, key=artifact.key)
    except s3.S3Error as failure:
        raise ApiError(
            f"Your bucket did not serve the file: {failure.message}",
            status_code=_READ_STATUS.get(failure.reason, 502),
            reason=failure.reason,
        ) from None

    def chunks():
        try:
            yield from body.iter_chunks(STREAM_CHUNK)
        finally:
            body.close()

    return StreamingHttpResponse(chunks(), content_type="application/json")
