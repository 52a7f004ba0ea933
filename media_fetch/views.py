from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from bots.bot.selectors import BotNotFound
from bots.pipeline.artifacts import SCREENSHOT, transcript_name
from bots.pipeline.keys import object_key
from media_fetch.selectors import (
    WRITE_ONLY_MESSAGE,
    artifact_get_fetchable,
    bot_get_fetchable,
    screenshot_name_check,
    screenshots_gone_raise,
    screenshots_offered_check,
    screenshots_page,
)
from media_fetch.serializers import (
    AudioUrlSerializer,
    ChatMessageSerializer,
    ManifestSerializer,
    ParticipantSerializer,
    RawTranscriptSerializer,
    ScreenshotPageSerializer,
    ScreenshotSerializer,
    TranscriptLineSerializer,
    VerificationSerializer,
    VideoUrlSerializer,
    WriteOnlySerializer,
)
from media_fetch.serving import LinkAsked, json_response, presigned_url, presigned_urls
from media_fetch.verification import media_verify
from meetstream.shared.schema import (
    INVALID,
    ErrorSerializer,
    error,
    example,
    one_of,
    whole_number,
)
from storageconfig.backends.base import URL_SECONDS, URL_SECONDS_MAX, URL_SECONDS_MIN
from storageconfig.selectors import CredentialsErased

PAGE_SIZE, MAX_PAGE_SIZE, MAX_PAGE = 20, 100, 10**9
ERRORS = {
    400: INVALID,
    403: error(
        "Only write access was granted (the guide's body), the configuration was deleted, or "
        "your bucket refused.",
        WriteOnlySerializer,
        ErrorSerializer,
        name="FetchForbidden",
        examples={
            "Write access only": example(
                WRITE_ONLY_MESSAGE,
                "write_only",
                access_mode="write_only",
                bucket="customer-sample-bucket",
                key="meetstream/bot_3f2a9c1d8e7b4a60_audio.wav",
            ),
            "Configuration deleted": example(CredentialsErased().message, "credentials_erased"),
        },
    ),
    404: error(
        "No such bot, or the file was not uploaded.",
        examples={
            "Not uploaded yet": example("The audio has not been uploaded yet.", "not_found"),
            "No such bot": example(BotNotFound().message, "not_found"),
        },
    ),
    410: error(
        "Deleted on request, or the retention ran out: says when.",
        examples={
            "Deleted on request": example(
                "The audio was deleted at 2026-12-01T10:00:00+00:00, on request (delete_data).",
                "gone",
            )
        },
    ),
    502: error(
        "Your bucket failed to serve the file: `reason` says how.",
        examples={
            "Bucket unreachable": example(
                "Your bucket did not serve the file: The endpoint https://s3.example.com did not "
                "answer in time.",
                "upstream_failed",
                reason="timeout",
            )
        },
    ),
}


def _choice(request, name: str, choices: tuple[str, ...], default: str | None = None) -> str:
    value = request.query_params.get(name, default)
    if value not in choices:
        allowed = ", ".join(f"'{choice}'" for choice in choices)
        raise serializers.ValidationError({name: [f"Use one of {allowed}."]})
    return value


def _positive(request, name: str, default: int, maximum: int, minimum: int = 1) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    # isdigit() alone admits "²" and other digits int() refuses.
    if not (raw.isascii() and raw.isdigit()) or not minimum <= int(raw) <= maximum:
        raise serializers.ValidationError(
            {name: [f"Use a whole number from {minimum} to {maximum}."]}
        )
    return int(raw)


def _link_asked(request) -> LinkAsked:
    expires_in = _positive(request, "expires_in", URL_SECONDS, URL_SECONDS_MAX, URL_SECONDS_MIN)
    disposition = _choice(request, "disposition", ("inline", "attachment"), "inline")
    return LinkAsked(expires_in, attachment=disposition == "attachment")


LINK_PARAMETERS = [
    OpenApiParameter(
        "expires_in",
        whole_number(URL_SECONDS_MIN, URL_SECONDS_MAX),
        description=f"How long the URLs stay valid, in seconds. Default {URL_SECONDS}; shorter "
        "when the role session that signs them ends sooner (`expires_limited_by` says so).",
    ),
    OpenApiParameter(
        "disposition",
        str,
        enum=["inline", "attachment"],
        description="attachment: the download is saved as the file "
        '(`Content-Disposition: attachment; filename="<file>"`). Default inline.',
    ),
]


def _screenshot(artifact, url: str, life: dict) -> dict:
    """One screenshot with its URL and that URL's `life` (Links.life(), shared by a page)."""
    return {
        "id": SCREENSHOT.match(artifact.name)["id"],
        "url": url,
        "captured_at": artifact.captured_at,
        **life,
    }


@extend_schema(tags=["media"])
class AudioView(APIView):
    @extend_schema(
        operation_id="bot_get_audio",
        summary="A presigned URL of the bot's audio (WAV, or MP3 with ?format=mp3), valid "
        "`expires_in` seconds.",
        parameters=[OpenApiParameter("format", str, enum=["wav", "mp3"]), *LINK_PARAMETERS],
        responses={200: AudioUrlSerializer, **ERRORS},
    )
    def get(self, request, bot_id: str):
        extension = _choice(request, "format", ("wav", "mp3"), "wav")
        asked = _link_asked(request)
        bot = bot_get_fetchable(tenant=request.user.tenant, bot_id=bot_id)
        label = "audio" if extension == "wav" else "MP3 audio"
        artifact = artifact_get_fetchable(bot=bot, name=f"audio.{extension}", label=label)
        links = presigned_url(bot=bot, artifact=artifact, asked=asked)
        return Response({"bot_id": bot.public_id, "audio_url": links.urls[0], **links.life()})


@extend_schema(tags=["media"])
class VideoView(APIView):
    @extend_schema(
        operation_id="bot_get_video",
        summary="A presigned URL of the bot's video, valid `expires_in` seconds.",
        parameters=LINK_PARAMETERS,
        responses={200: VideoUrlSerializer, **ERRORS},
    )
    def get(self, request, bot_id: str):
        asked = _link_asked(request)
        bot = bot_get_fetchable(tenant=request.user.tenant, bot_id=bot_id)
        artifact = artifact_get_fetchable(bot=bot, name="meeting_recording.mp4", label="video")
        links = presigned_url(bot=bot, artifact=artifact, asked=asked)
        return Response({"bot_id": bot.public_id, "video_url": links.urls[0], **links.life()})


@extend_schema(tags=["media"])
class ScreenshotListView(APIView):
    @extend_schema(
        operation_id="bot_screenshots",
        summary="The bot's screenshots, oldest first, with presigned URLs (not for Zoom bots).",
        parameters=[
            OpenApiParameter("page", whole_number(1, MAX_PAGE)),
            OpenApiParameter(
                "page_size", whole_number(1, MAX_PAGE_SIZE), description=f"Default {PAGE_SIZE}."
            ),
            *LINK_PARAMETERS,
        ],
        responses={200: ScreenshotPageSerializer, **ERRORS},
    )
    def get(self, request, bot_id: str):
        number = _positive(request, "page", 1, MAX_PAGE)
        size = _positive(request, "page_size", PAGE_SIZE, MAX_PAGE_SIZE)
        asked = _link_asked(request)
        bot = bot_get_fetchable(tenant=request.user.tenant, bot_id=bot_id)
        screenshots_offered_check(bot)
        page = screenshots_page(bot=bot, number=number, size=size)
        if not page.items:
            screenshots_gone_raise(bot=bot)
        urls, life = [], {}
        if hasattr(bot, "pin"):
            folder = object_key(bot.pin, bot, "metadata", "screenshots/")
            links = presigned_urls(bot=bot, artifacts=page.items, folder=folder, asked=asked)
            urls, life = links.urls, links.life()

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


@extend_schema(tags=["media"])
class ScreenshotView(APIView):
    @extend_schema(
        operation_id="bot_screenshot",
        summary="One screenshot by its id, with a presigned URL (not for Zoom bots).",
        parameters=[
            OpenApiParameter("screenshot_id", OpenApiTypes.UUID, OpenApiParameter.PATH),
            *LINK_PARAMETERS,
        ],
        responses={200: ScreenshotSerializer, **ERRORS},
    )
    def get(self, request, bot_id: str, screenshot_id: str):
        asked = _link_asked(request)
        bot = bot_get_fetchable(tenant=request.user.tenant, bot_id=bot_id)
        screenshots_offered_check(bot)
        artifact = artifact_get_fetchable(
            bot=bot, name=screenshot_name_check(screenshot_id), label="screenshot"
        )
        links = presigned_url(bot=bot, artifact=artifact, asked=asked)
        return Response(_screenshot(artifact, links.urls[0], links.life()))


BOT_DOCUMENTS = {
    "chat": ("chats.json", "chat"),
    "participants": ("participants.json", "participant list"),
    "manifest": ("manifest.json", "manifest"),
}
DOCUMENT_TYPES = ("chat", "participants", "transcription", "manifest")
PROCESSED_TRANSCRIPT = TranscriptLineSerializer(many=True)


def _bot_document(request, bot_id: str, kind: str):
    bot = bot_get_fetchable(tenant=request.user.tenant, bot_id=bot_id)
    if kind == "transcription":
        name = transcript_name(bot.transcript_provider, bot.transcript_id, raw=False)
        label = "transcript"
    else:
        name, label = BOT_DOCUMENTS[kind]
    return json_response(bot=bot, artifact=artifact_get_fetchable(bot=bot, name=name, label=label))


def _transcript(request, transcript_id: str, *, raw: bool):
    bot = bot_get_fetchable(tenant=request.user.tenant, transcript_id=transcript_id)
    label = "raw transcript" if raw else "transcript"
    name = transcript_name(bot.transcript_provider, bot.transcript_id, raw=raw)
    return json_response(bot=bot, artifact=artifact_get_fetchable(bot=bot, name=name, label=label))


@extend_schema(tags=["media"])
class BotDocumentView(APIView):
    @extend_schema(
        operation_id="bot_document",
        summary="The bot's chat, participants, transcript or manifest JSON, read from its "
        "bucket as stored (the guide's form; a typed client calls get_chat, get_participants, "
        "get_transcript or get_manifest, one type each).",
        parameters=[
            OpenApiParameter(
                "type",
                str,
                required=True,
                enum=list(DOCUMENT_TYPES),
                description="chat: ChatMessage[]; participants: Participant[]; transcription: "
                "TranscriptLine[]; manifest: Manifest.",
            )
        ],
        responses={
            200: one_of(
                "BotDocument",
                ChatMessageSerializer(many=True),
                ParticipantSerializer(many=True),
                PROCESSED_TRANSCRIPT,
                ManifestSerializer,
                overlapping=True,
            ),
            **ERRORS,
        },
    )
    def get(self, request, bot_id: str):
        return _bot_document(request, bot_id, _choice(request, "type", DOCUMENT_TYPES))


def _typed_document(kind: str, operation_id: str, shape, summary: str) -> type[APIView]:
    """One document type as an operation of its own: a client knows what it gets."""

    @extend_schema(tags=["media"])
    class TypedDocumentView(APIView):
        @extend_schema(operation_id=operation_id, summary=summary, responses={200: shape, **ERRORS})
        def get(self, request, bot_id: str):
            return _bot_document(request, bot_id, kind)

    return TypedDocumentView


ChatView = _typed_document(
    "chat", "bot_get_chat", ChatMessageSerializer(many=True), "The bot's chat, as stored."
)
ParticipantsView = _typed_document(
    "participants",
    "bot_get_participants",
    ParticipantSerializer(many=True),
    "The bot's participants, as stored.",
)
BotTranscriptView = _typed_document(
    "transcription",
    "bot_get_transcript",
    PROCESSED_TRANSCRIPT,
    "The bot's processed transcript, as stored.",
)
ManifestView = _typed_document(
    "manifest",
    "bot_get_manifest",
    ManifestSerializer,
    "The bot's manifest: every file uploaded, with its bucket, key, size, sha256 and ETag.",
)


@extend_schema(tags=["media"])
class TranscriptView(APIView):
    @extend_schema(
        operation_id="transcript_get",
        summary="The processed transcript JSON, or the provider's raw one with ?raw=true (the "
        "guide's form: a list or an object; a typed client can call get_raw_transcript, or a "
        "bot's get_transcript, for one type).",
        parameters=[OpenApiParameter("raw", bool, description="true/false (or 1/0).")],
        responses={
            200: one_of("Transcript", PROCESSED_TRANSCRIPT, RawTranscriptSerializer),
            **ERRORS,
        },
    )
    def get(self, request, transcript_id: str):
        raw = _choice(request, "raw", ("true", "false", "1", "0"), "false") in {"true", "1"}
        return _transcript(request, transcript_id, raw=raw)


@extend_schema(tags=["media"])
class RawTranscriptView(APIView):
    @extend_schema(
        operation_id="transcript_get_raw",
        summary="The transcription provider's raw transcript JSON, as stored.",
        responses={200: RawTranscriptSerializer, **ERRORS},
    )
    def get(self, request, transcript_id: str):
        return _transcript(request, transcript_id, raw=True)


@extend_schema(tags=["media"])
class VerifyView(APIView):
    @extend_schema(
        operation_id="bot_media_verify",
        summary="Ask the bucket again for each of the bot's files (one HEAD a file): is it "
        "still there, as uploaded?",
        responses={200: VerificationSerializer, **ERRORS},
    )
    def get(self, request, bot_id: str):
        bot = bot_get_fetchable(tenant=request.user.tenant, bot_id=bot_id)
        return Response(media_verify(bot=bot))
