"""The recorder API: the meeting recorder hands files over here and says when the bot left."""

import io

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from bots.bot.lifecycle import BotEventType
from bots.bot.selectors import BotNotFound, bot_get
from bots.bot.services import artifact_stage, bot_left, bot_transition
from bots.recorder.auth import RecorderTokenAuthentication
from bots.recorder.intake import recorder_intake
from bots.serializers import BotLifecycleSerializer, StagedArtifactSerializer
from meetstream.shared.schema import ValidationErrorSerializer, error, example

ERRORS = {
    400: error(
        "Unknown artifact name, bad content, a body shorter than its Content-Length or one that "
        "does not match its Content-Digest / Repr-Digest (nothing is stored).",
        ValidationErrorSerializer,
        examples={
            "A short body": example(
                "Invalid request. The body ended before its Content-Length: nothing was stored.",
                "invalid_request",
            )
        },
    ),
    404: error(
        "No such bot.", examples={"No such bot": example(BotNotFound().message, "not_found")}
    ),
    409: error(
        "The bot is not in a state for this.",
        examples={
            "The bot left": example(
                "The bot is Done: it has left the meeting and takes no more files.", "conflict"
            )
        },
    ),
}


@extend_schema(tags=["recorder"])
class RecorderView(APIView):
    authentication_classes = [RecorderTokenAuthentication]
    permission_classes = [IsAuthenticated]


class ArtifactUploadView(RecorderView):
    parser_classes = []  # the body is streamed into staging, never parsed

    @extend_schema(
        operation_id="recorder_artifact_put",
        summary="Stream one recorded file into staging (a file sent again replaces the last).",
        request={"application/octet-stream": {"type": "string", "format": "binary"}},
        parameters=[
            OpenApiParameter(
                "Content-Digest",
                str,
                OpenApiParameter.HEADER,
                description="Optional, RFC 9530: `sha-256=:<base64>:`; verified (so is "
                "Repr-Digest).",
            ),
        ],
        responses={
            201: StagedArtifactSerializer,
            **ERRORS,
            411: error(
                "A chunked body the server cannot frame.",
                examples={
                    "Chunked": example(
                        "A chunked body needs a server that decodes it; send Content-Length "
                        "instead.",
                        "length_required",
                    )
                },
            ),
            413: error(
                "Larger than MEDIA_MAX_FILE_BYTES.",
                examples={
                    "Too large": example(
                        "A file may be at most 10737418240 bytes (MEDIA_MAX_FILE_BYTES).",
                        "too_large",
                    )
                },
            ),
            503: error(
                "Staging is unavailable: nothing was stored; send the file again.",
                examples={
                    "Staging down": example(
                        "Staging is unavailable: nothing was stored. Send the file again.",
                        "unavailable",
                    )
                },
            ),
        },
    )
    def put(self, request, bot_id: str, file: str):
        bot = bot_get(bot_id=bot_id)
        intake = recorder_intake(request.META, request.stream or io.BytesIO())
        artifact = artifact_stage(bot=bot, name=file, stream=intake)
        body = {
            "bot_id": bot.public_id,
            "file": artifact.name,
            "size": artifact.size,
            "sha256": artifact.sha256,
        }
        return Response(body, status=201)


class BotJoinedView(RecorderView):
    @extend_schema(
        operation_id="recorder_bot_joined",
        summary="The bot is in the meeting.",
        request=None,
        responses={200: BotLifecycleSerializer, **ERRORS},
    )
    def post(self, request, bot_id: str):
        bot = bot_transition(bot=bot_get(bot_id=bot_id), event=BotEventType.JOINED)
        return Response({"bot_id": bot.public_id, "status": bot.status})


class BotLeftView(RecorderView):
    @extend_schema(
        operation_id="recorder_bot_left",
        summary="The bot left: no more files are taken and its upload is queued.",
        request=None,
        responses={202: BotLifecycleSerializer, **ERRORS},
    )
    def post(self, request, bot_id: str):
        bot = bot_left(bot=bot_get(bot_id=bot_id))
        return Response({"bot_id": bot.public_id, "status": bot.status}, status=202)
