from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from bots.selectors import bot_get_for_tenant, bot_media_summary
from bots.serializers import BotCreatedSerializer, BotCreateSerializer, BotStatusSerializer
from bots.services import bot_create
from meetstream.serializers import ErrorSerializer, ValidationErrorSerializer

UNAUTHORIZED = OpenApiResponse(ErrorSerializer, description="Missing or invalid API key.")
NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No such bot for this tenant.")


class BotCreateView(APIView):
    @extend_schema(
        operation_id="bot_create",
        summary="Send a bot to a meeting; its media goes to the storage active when it leaves.",
        request=BotCreateSerializer,
        responses={201: BotCreatedSerializer, 400: ValidationErrorSerializer, 401: UNAUTHORIZED},
    )
    def post(self, request):
        serializer = BotCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        transcript = data.get("recording_config", {}).get("transcript", {})
        bot = bot_create(
            tenant=request.user.tenant,
            meeting_link=data["meeting_link"],
            bot_name=data["bot_name"],
            callback_url=data.get("callback_url", ""),
            transcript_provider=transcript.get("provider", "meetstream"),
        )
        body = {
            "bot_id": bot.public_id,
            "transcript_id": bot.transcript_id,
            "meeting_url": bot.meeting_link,
            "status": bot.status,
        }
        return Response(body, status=201)


class BotStatusView(APIView):
    @extend_schema(
        operation_id="bot_status",
        summary="A bot's status and where its media upload stands.",
        responses={200: BotStatusSerializer, 401: UNAUTHORIZED, 404: NOT_FOUND},
    )
    def get(self, request, bot_id: str):
        bot = bot_get_for_tenant(tenant=request.user.tenant, bot_id=bot_id)
        return Response(
            {"bot_id": bot.public_id, "status": bot.status, "media": bot_media_summary(bot=bot)}
        )
