from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from bots.artifacts import SCREENSHOT
from media_fetch.selectors import (
    fetch_artifact,
    fetch_bot,
    require_screenshots,
    screenshot_name,
    screenshots_gone,
    screenshots_page,
)
from media_fetch.serializers import (
    AudioUrlSerializer,
    ScreenshotPageSerializer,
    ScreenshotSerializer,
    VideoUrlSerializer,
    WriteOnlySerializer,
)
from media_fetch.serving import json_response, presigned_url, presigned_urls
from meetstream.serializers import ErrorSerializer, ValidationErrorSerializer
from storageconfig.s3 import PRESIGN_SECONDS

PAGE_SIZE, MAX_PAGE_SIZE = 20, 100
FORBIDDEN = OpenApiResponse(
    PolymorphicProxySerializer(
        component_name="FetchForbidden",
        serializers=[WriteOnlySerializer, ErrorSerializer],
        resource_type_field_name=None,
    ),
    description="Only write access was granted, or the configuration was deleted.",
)
ERRORS = {
    400: ValidationErrorSerializer,
    401: OpenApiResponse(ErrorSerializer, description="Missing or invalid API key."),
    403: FORBIDDEN,
    404: OpenApiResponse(ErrorSerializer, description="No such bot, or the file was not uploaded."),
    410: OpenApiResponse(
        ErrorSerializer, description="Deleted on request, or the retention ran out: says when."
    ),
}
JSON_DOCUMENT = OpenApiResponse(OpenApiTypes.ANY, description="The stored JSON, as stored.")


def _choice(request, name: str, choices: tuple[str, ...], default: str | None = None) -> str:
    value = request.query_params.get(name, default)
    if value not in choices:
        allowed = ", ".join(f"'{choice}'" for choice in choices)
        raise serializers.ValidationError({name: [f"Use one of {allowed}."]})
    return value


def _positive(request, name: str, default: int, maximum: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    # isdigit() alone admits "²" and other digits int() refuses.
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= maximum:
        raise serializers.ValidationError({name: [f"Use a whole number from 1 to {maximum}."]})
    return int(raw)


def _screenshot(artifact, url: str, expires_in: int) -> dict:
    return {
        "id": SCREENSHOT.match(artifact.name)["id"],
        "url": url,
        "captured_at": artifact.captured_at,
        "expires_in": expires_in,
    }


class AudioView(APIView):
    @extend_schema(
        operation_id="bot_get_audio",
        summary="A presigned URL of the bot's audio (WAV, or MP3 with ?format=mp3), valid "
        "`expires_in` seconds.",
        parameters=[OpenApiParameter("format", str, enum=["wav", "mp3"])],
        responses={200: AudioUrlSerializer, **ERRORS},
    )
    def get(self, request, bot_id: str):
        extension = _choice(request, "format", ("wav", "mp3"), "wav")
        bot = fetch_bot(tenant=request.user.tenant, bot_id=bot_id)
        label = "audio" if extension == "wav" else "MP3 audio"
        artifact = fetch_artifact(bot=bot, name=f"audio.{extension}", label=label)
        url, life = presigned_url(bot=bot, artifact=artifact)
        return Response({"bot_id": bot.public_id, "audio_url": url, "expires_in": life})


class VideoView(APIView):
    @extend_schema(
        operation_id="bot_get_video",
        summary="A presigned URL of the bot's video, valid `expires_in` seconds.",
        responses={200: VideoUrlSerializer, **ERRORS},
    )
    def get(self, request, bot_id: str):
        bot = fetch_bot(tenant=request.user.tenant, bot_id=bot_id)
        artifact = fetch_artifact(bot=bot, name="meeting_recording.mp4", label="video")
        url, life = presigned_url(bot=bot, artifact=artifact)
        return Response({"bot_id": bot.public_id, "video_url": url, "expires_in": life})


class ScreenshotListView(APIView):
    @extend_schema(
        operation_id="bot_screenshots",
        summary="The bot's screenshots, oldest first, with presigned URLs (not for Zoom bots).",
        parameters=[
            OpenApiParameter("page", int),
            OpenApiParameter(
                "page_size", int, description=f"1 to {MAX_PAGE_SIZE}, default {PAGE_SIZE}"
            ),
        ],
        responses={200: ScreenshotPageSerializer, **ERRORS},
    )
    def get(self, request, bot_id: str):
        number = _positive(request, "page", 1, 10**9)
        size = _positive(request, "page_size", PAGE_SIZE, MAX_PAGE_SIZE)
        bot = fetch_bot(tenant=request.user.tenant, bot_id=bot_id)
        require_screenshots(bot)
        page = screenshots_page(bot=bot, number=number, size=size)
        if not page.items:
            screenshots_gone(bot=bot)
        urls, life = [], PRESIGN_SECONDS
        if hasattr(bot, "pin"):
            folder = f"{bot.pin.prefixes['metadata']}/{bot.public_id}_screenshots/"
            urls, life = presigned_urls(bot=bot, artifacts=page.items, folder=folder)

        def link(to: int) -> str:
            query = request.query_params.copy()
            query["page"] = str(to)
            return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")

        return Response(
            {
                "count": page.count,
                "next": link(number + 1) if number < page.pages else None,
                "previous": link(number - 1) if number > 1 else None,
                "results": [
                    _screenshot(a, url, life) for a, url in zip(page.items, urls, strict=True)
                ],
            }
        )


class ScreenshotView(APIView):
    @extend_schema(
        operation_id="bot_screenshot",
        summary="One screenshot by its id, with a presigned URL (not for Zoom bots).",
        responses={200: ScreenshotSerializer, **ERRORS},
    )
    def get(self, request, bot_id: str, screenshot_id: str):
        bot = fetch_bot(tenant=request.user.tenant, bot_id=bot_id)
        require_screenshots(bot)
        artifact = fetch_artifact(bot=bot, name=screenshot_name(screenshot_id), label="screenshot")
        return Response(_screenshot(artifact, *presigned_url(bot=bot, artifact=artifact)))


BOT_DOCUMENTS = {
    "chat": ("chats.json", "chat"),
    "participants": ("participants.json", "participant list"),
}


class BotDocumentView(APIView):
    @extend_schema(
        operation_id="bot_document",
        summary="The bot's chat, participants or transcript JSON, read from its bucket.",
        parameters=[
            OpenApiParameter(
                "type", str, required=True, enum=["chat", "participants", "transcription"]
            )
        ],
        responses={200: JSON_DOCUMENT, **ERRORS},
    )
    def get(self, request, bot_id: str):
        kind = _choice(request, "type", ("chat", "participants", "transcription"))
        bot = fetch_bot(tenant=request.user.tenant, bot_id=bot_id)
        if kind == "transcription":
            name, label = _transcript_name(bot, raw=False), "transcript"
        else:
            name, label = BOT_DOCUMENTS[kind]
        return json_response(bot=bot, artifact=fetch_artifact(bot=bot, name=name, label=label))


def _transcript_name(bot, *, raw: bool) -> str:
    kind = "raw" if raw else "processed"
    return f"transcription/{bot.transcript_provider}/{bot.transcript_id}/{kind}_transcript.json"


class TranscriptView(APIView):
    @extend_schema(
        operation_id="transcript_get",
        summary="The processed transcript JSON (the provider's raw one with ?raw=true).",
        parameters=[OpenApiParameter("raw", str, enum=["true", "false"])],
        responses={200: JSON_DOCUMENT, **ERRORS},
    )
    def get(self, request, transcript_id: str):
        raw = _choice(request, "raw", ("true", "false"), "false") == "true"
        bot = fetch_bot(tenant=request.user.tenant, transcript_id=transcript_id)
        label = "raw transcript" if raw else "transcript"
        artifact = fetch_artifact(bot=bot, name=_transcript_name(bot, raw=raw), label=label)
        return json_response(bot=bot, artifact=artifact)
