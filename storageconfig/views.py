from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from meetstream.serializers import ErrorSerializer, ThrottledSerializer, ValidationErrorSerializer
from meetstream.throttling import StorageConfigWriteThrottle
from storageconfig.models import StorageConfig
from storageconfig.selectors import storage_config_get_active
from storageconfig.serializers import (
    StorageCheckFailedSerializer,
    StorageConfigInputSerializer,
    StorageConfigListSerializer,
    StorageConfigSavedSerializer,
)
from storageconfig.services import storage_config_delete, storage_config_put

UNAUTHORIZED = OpenApiResponse(ErrorSerializer, description="Missing or invalid API key.")


def storage_config_fields(config: StorageConfig) -> dict:
    return {
        "provider": config.provider,
        "bucket_name": config.bucket_name,
        "region": config.region,
        "endpoint_url": config.endpoint_url or None,
        "access_mode": config.access_mode,
        "prefix": config.prefix,
        "prefixes": config.prefixes,
    }


def _require_query(request, name: str, expected: str) -> None:
    value = request.query_params.get(name)
    if value != expected:
        problem = "is required" if value is None else "is not supported"
        raise serializers.ValidationError({name: [f"'{name}' {problem}: use '{expected}'."]})


class StorageConfigView(APIView):
    def get_throttles(self):
        return [StorageConfigWriteThrottle()] if self.request.method == "PUT" else []

    @extend_schema(
        operation_id="storage_config_get",
        summary="The active storage configuration (credentials are never returned).",
        responses={200: StorageConfigListSerializer, 401: UNAUTHORIZED},
    )
    def get(self, request):
        config = storage_config_get_active(tenant=request.user.tenant)
        if config is None:
            return Response({"StorageConfig": {}})
        body = {
            **storage_config_fields(config),
            "active": True,
            "revision": config.revision,
            "configured_at": config.configured_at,
            "last_validated_at": config.last_validated_at,
        }
        return Response({"StorageConfig": {"aws": body}})

    @extend_schema(
        operation_id="storage_config_put",
        summary="Check a bucket live and save it as the tenant's storage configuration.",
        parameters=[OpenApiParameter("config_type", str, required=True, enum=["storage"])],
        request=StorageConfigInputSerializer,
        responses={
            200: StorageConfigSavedSerializer,
            400: OpenApiResponse(
                PolymorphicProxySerializer(
                    component_name="StorageConfigPutError",
                    serializers=[ValidationErrorSerializer, StorageCheckFailedSerializer],
                    resource_type_field_name=None,
                ),
                description="Invalid input, or the live check of the bucket failed.",
            ),
            401: UNAUTHORIZED,
            429: OpenApiResponse(ThrottledSerializer, description="Too many configuration writes."),
        },
    )
    def put(self, request):
        _require_query(request, "config_type", "storage")
        serializer = StorageConfigInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        config = storage_config_put(tenant=request.user.tenant, data=serializer.create_input())
        return Response(
            {"message": "Storage config saved successfully", **storage_config_fields(config)}
        )

    @extend_schema(
        operation_id="storage_config_delete",
        summary="Erase the tenant's storage credentials; objects in the bucket are kept.",
        parameters=[OpenApiParameter("key_name", str, required=True, enum=["aws"])],
        responses={
            200: ErrorSerializer,
            400: ValidationErrorSerializer,
            401: UNAUTHORIZED,
            404: OpenApiResponse(ErrorSerializer, description="No configuration is active."),
        },
    )
    def delete(self, request):
        _require_query(request, "key_name", "aws")
        storage_config_delete(tenant=request.user.tenant)
        return Response(
            {
                "message": "Storage config deleted. New bots will use the platform bucket; "
                "files already in your bucket were not touched."
            }
        )
