from datetime import UTC

from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from bots.bot.deletion import deletion_request
from bots.bot.idempotency import bot_create_replayable
from bots.bot.lifecycle import BotStatus
from bots.bot.media_state import MEDIA_STATES
from bots.bot.selectors import bot_get_for_tenant, bot_list, bot_media_summary, bot_retention
from bots.models import Bot
from bots.pipeline.redelivery import media_redeliver
from bots.serializers import (
    BotCreatedSerializer,
    BotCreateSerializer,
    BotListItemSerializer,
    BotListQuerySerializer,
    BotPageSerializer,
    BotStatusSerializer,
    DeletionAcceptedSerializer,
    RedeliveryAcceptedSerializer,
)
from meetstream.shared.schema import INVALID, NOT_FOUND, error, example, whole_number

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    description="Up to 255 characters. The same key and body within 24 hours replays the "
    "original 201 (with `Idempotent-Replayed: true`); the same key with another body is a 409.",
)


@extend_schema(tags=["bots"])
class BotCreateView(APIView):
    @extend_schema(
        operation_id="bot_create",
        summary="Send a bot to a meeting; its media goes to the storage active when it leaves.",
        parameters=[IDEMPOTENCY_KEY],
        request=BotCreateSerializer,
        examples=[
            OpenApiExample(
                "A bot that keeps its media a day",
                request_only=True,
                value={
                    "meeting_link": "https://meet.google.com/abc-defg-hij",
                    "bot_name": "Notetaker",
                    "callback_url": "https://example.com/meetstream/webhooks",
                    "recording_config": {"retention": {"type": "timed", "hours": 24}},
                },
            )
        ],
        responses={
            201: BotCreatedSerializer,
            400: INVALID,
            409: error(
                "Idempotency-Key reused with another body.",
                examples={
                    "Key reused": example(
                        "This Idempotency-Key was used with a different request in the last 24 "
                        "hours: use a new key for a new bot.",
                        "conflict",
                    )
                },
            ),
        },
    )
    def post(self, request):
        serializer = BotCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        answer, replayed = bot_create_replayable(
            tenant=request.user.tenant,
            arguments=serializer.create_arguments(),
            key=request.headers.get("Idempotency-Key"),
            data=request.data,
        )
        headers = {"Idempotent-Replayed": "true"} if replayed else {}
        return Response(answer, status=201, headers=headers)


@extend_schema(tags=["bots"])
class BotStatusView(APIView):
    @extend_schema(
        operation_id="bot_status",
        summary="A bot's status, its retention and where its media stands.",
        responses={200: BotStatusSerializer, 404: NOT_FOUND},
    )
    def get(self, request, bot_id: str):
        bot = bot_get_for_tenant(tenant=request.user.tenant, bot_id=bot_id)
        return Response(_status_body(bot))


def _status_body(bot: Bot) -> dict:
    return {
        "bot_id": bot.public_id,
        "status": bot.status,
        "retention": bot_retention(bot=bot),
        "media": bot_media_summary(bot=bot),
    }


@extend_schema(tags=["deletion"])
class BotDeleteDataView(APIView):
    @extend_schema(
        operation_id="bot_delete_data",
        summary="Delete the bot's media: what the platform holds, and in your bucket what your "
        "credentials allow; the rest is reported as kept.",
        request=None,
        responses={
            202: DeletionAcceptedSerializer,
            404: NOT_FOUND,
            409: error(
                "The bot is still recording or uploading.",
                examples={
                    "Still recording": example(
                        "The bot is InMeeting and its media is still being recorded or "
                        "uploaded: ask again once it is Done.",
                        "conflict",
                        status="InMeeting",
                    )
                },
            ),
        },
    )
    def post(self, request, bot_id: str):
        bot = bot_get_for_tenant(tenant=request.user.tenant, bot_id=bot_id)
        bot = deletion_request(bot=bot, actor=f"api key {request.auth.hint}…")
        bot.refresh_from_db()
        return Response(_status_body(bot), status=202)


@extend_schema(tags=["bots"])
class BotRedeliverView(APIView):
    @extend_schema(
        operation_id="bot_redeliver",
        summary="Upload the bot's given-up files again to its pinned location, from the copies "
        "held (`media.redeliverable_until`) or the platform bucket (fallback).",
        request=None,
        responses={
            202: RedeliveryAcceptedSerializer,
            404: NOT_FOUND,
            409: error(
                "The upload is not over, or no file gave up.",
                examples={
                    "Nothing gave up": example(
                        "No file of this bot gave up.", "conflict", status="Done"
                    )
                },
            ),
            410: error(
                "Files gave up, but no copy is held any more.",
                examples={
                    "Hold ended": example(
                        "The files that gave up are no longer held: their copies were deleted "
                        "when the hold ended (MEDIA_HOLD_HOURS after they gave up).",
                        "gone",
                    )
                },
            ),
        },
    )
    def post(self, request, bot_id: str):
        bot = bot_get_for_tenant(tenant=request.user.tenant, bot_id=bot_id)
        files = media_redeliver(bot=bot)
        return Response({"bot_id": bot.public_id, "files": files}, status=202)


class BotCursor(CursorPagination):
    ordering = ("-created_at", "-pk")
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def decode_cursor(self, request):
        refused = serializers.ValidationError({"cursor": ["Not a cursor this API gave."]})
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            raise refused from None
        if cursor is not None and cursor.position is not None:
            # A position is a creation time that must hold in UTC too (9999-12-31T23:59-14:00
            # does not): the database compares it there.
            try:
                parse_datetime(cursor.position).astimezone(UTC)
            except (TypeError, ValueError, OverflowError, AttributeError):
                raise refused from None
        return cursor


@extend_schema(tags=["bots"])
class BotListView(APIView):
    @extend_schema(
        operation_id="bot_list",
        summary="The tenant's bots, newest first, a page at a time.",
        parameters=[
            OpenApiParameter("status", str, enum=BotStatus.values),
            OpenApiParameter("media_state", str, enum=list(MEDIA_STATES)),
            OpenApiParameter("created_after", OpenApiTypes.DATETIME),
            OpenApiParameter("created_before", OpenApiTypes.DATETIME),
            OpenApiParameter(
                "storage_config", str, description="Bots that chose this named configuration."
            ),
            OpenApiParameter("page_size", whole_number(1, 100), description="Default 20."),
            OpenApiParameter("cursor", str, description="From `next` or `previous`."),
        ],
        responses={200: BotPageSerializer, 400: INVALID},
    )
    def get(self, request):
        # A plain dict: DRF would skip an empty `?created_before=` of a QueryDict.
        query = BotListQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        bots = bot_list(tenant=request.user.tenant, filters=query.validated_data)
        paginator = BotCursor()
        page = paginator.paginate_queryset(bots, request, view=self)
        return Response(
            {
                "next": paginator.get_next_link(),
                "previous": paginator.get_previous_link(),
                "results": BotListItemSerializer(page, many=True).data,
            }
        )
