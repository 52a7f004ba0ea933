from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from meetstream.tenants.services import tenant_webhook_secret


class WebhookSecretSerializer(serializers.Serializer):
    signing_secret = serializers.CharField()


@extend_schema(tags=["bots"])
class WebhookSecretView(APIView):
    """The secret that signs webhooks: `X-MeetStream-Signature: sha256=HMAC(secret, body)`."""

    @extend_schema(
        operation_id="webhook_secret_get",
        summary="The webhook signing secret (made on first use).",
        responses={200: WebhookSecretSerializer},
    )
    def get(self, request):
        return Response({"signing_secret": tenant_webhook_secret(tenant=request.user.tenant)})

    @extend_schema(
        operation_id="webhook_secret_rotate",
        summary="Rotate the webhook signing secret; later events are signed with the new one.",
        request=None,
        responses={200: WebhookSecretSerializer},
    )
    def post(self, request):
        secret = tenant_webhook_secret(tenant=request.user.tenant, rotate=True)
        return Response({"signing_secret": secret})
