from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from meetstream.errors import NotFound, Unavailable
from meetstream.models import Tenant
from meetstream.parsers import json_loads
from meetstream.schema import INVALID, ValidationErrorSerializer, error, one_of
from meetstream.throttling import StorageConfigWriteThrottle
from storageconfig import s3
from storageconfig.backends import PROVIDERS
from storageconfig.backends.aws import S3Backend, S3Location, role_session_name
from storageconfig.failures import StorageError
from storageconfig.models import AccessMode, StorageConfig
from storageconfig.policy import lifecycle_rules, trust_policy
from storageconfig.rules import prefixes_distinct
from storageconfig.selectors import storage_config_get_active
from storageconfig.serializers import (
    AzurePolicySerializer,
    ExternalIdSerializer,
    GcsPolicySerializer,
    IamPolicySerializer,
    LifecycleConfigurationSerializer,
    RolePoliciesSerializer,
    StorageCheckFailedSerializer,
    StorageChecksSerializer,
    StorageCommonFields,
    StorageConfigDeletedSerializer,
    StorageConfigListSerializer,
    config_input,
    config_input_schema,
    config_saved_schema,
)
from storageconfig.services import (
    storage_config_check,
    storage_config_delete,
    storage_config_put,
    storage_config_revalidate,
)

NO_CONFIG = error("No configuration is active.")


def storage_config_fields(config: StorageConfig, tenant: Tenant) -> dict:
    return {
        "provider": config.provider,
        **config.backend_class.shown(config.options, tenant),
        "access_mode": config.access_mode,
        "prefix": config.prefix,
        "prefixes": config.prefixes,
        "fallback": config.fallback,
        "notify_url": config.notify_url or None,
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
        responses={200: StorageConfigListSerializer},
    )
    def get(self, request):
        config = storage_config_get_active(tenant=request.user.tenant)
        if config is None:
            return Response({"StorageConfig": {}})
        body = {
            **storage_config_fields(config, request.user.tenant),
            "active": True,
            "revision": config.revision,
            "configured_at": config.configured_at,
            "last_validated_at": config.last_validated_at,
            "last_checked_at": config.last_checked_at,
            "last_check": config.last_check,
        }
        return Response({"StorageConfig": {config.provider: body}})

    @extend_schema(
        operation_id="storage_config_put",
        summary="Check a bucket live and save it as the tenant's storage configuration.",
        parameters=[OpenApiParameter("config_type", str, required=True, enum=["storage"])],
        request=config_input_schema(),
        responses={
            200: config_saved_schema(),
            400: error(
                "Invalid input (`invalid_request`), or the live check of the bucket failed "
                "(`storage_check_failed`).",
                ValidationErrorSerializer,
                StorageCheckFailedSerializer,
                name="StorageConfigPutError",
            ),
        },
    )
    def put(self, request):
        _require_query(request, "config_type", "storage")
        tenant = request.user.tenant
        config = storage_config_put(tenant=tenant, data=config_input(request.data))
        return Response(
            {
                "message": "Storage config saved successfully",
                **storage_config_fields(config, tenant),
            }
        )

    @extend_schema(
        operation_id="storage_config_delete",
        summary="Erase the tenant's storage credentials; objects in the bucket are kept.",
        parameters=[OpenApiParameter("key_name", str, required=True, enum=list(PROVIDERS))],
        responses={
            200: StorageConfigDeletedSerializer,
            400: INVALID,
            404: error("No configuration of this provider is active."),
        },
    )
    def delete(self, request):
        _key_name_check(request)
        storage_config_delete(tenant=request.user.tenant, provider=request.query_params["key_name"])
        return Response(
            {
                "message": "Storage config deleted. New bots will use the platform bucket; "
                "files already in your bucket were not touched."
            }
        )


def _key_name_check(request) -> None:
    value = request.query_params.get("key_name")
    if value is None or value not in PROVIDERS:
        problem = "is required" if value is None else "is not supported"
        choices = ", ".join(f"'{name}'" for name in PROVIDERS)
        raise serializers.ValidationError({"key_name": [f"'key_name' {problem}: use {choices}."]})


class _S3Described(S3Location, StorageCommonFields):
    """An S3 configuration described in the policy endpoint's query: no credentials."""


def _location_from_query(request) -> dict:
    """A configuration given in the query string, validated like a PUT body without keys."""
    query = {
        key: request.query_params[key]
        for key in request.query_params
        if key not in {"access_mode", "allow_delete", "credentials", "document"}
    }
    if "prefixes" in query:
        try:
            query["prefixes"] = json_loads(query["prefixes"])
        except ValueError:
            raise serializers.ValidationError({"prefixes": ["Give a JSON object."]}) from None
    serializer = _S3Described(data=query)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class StoragePolicyView(APIView):
    @extend_schema(
        operation_id="storage_config_policy",
        summary="The least IAM policy for the active configuration, or for one in the query.",
        parameters=[
            OpenApiParameter("access_mode", str, enum=["read_write", "write_only"]),
            OpenApiParameter("bucket_name", str, description="Describe a configuration instead"),
            OpenApiParameter("region", str),
            OpenApiParameter("prefix", str),
            OpenApiParameter("prefixes", str, description="A JSON object, as in a PUT"),
            OpenApiParameter("endpoint_url", str),
            OpenApiParameter("server_side_encryption", str, enum=["AES256", "aws:kms"]),
            OpenApiParameter("kms_key_id", str),
            OpenApiParameter(
                "credentials",
                str,
                enum=["keys", "role"],
                description="'role': the role's trust policy and its permission policy, both.",
            ),
            OpenApiParameter(
                "allow_delete",
                str,
                enum=["true", "false"],
                description="Add s3:DeleteObject on each prefix, so delete_data can delete "
                "the bot's objects in your bucket.",
            ),
            OpenApiParameter(
                "document",
                str,
                enum=["permissions", "lifecycle"],
                description="'lifecycle': instead of a policy, the bucket lifecycle rule that "
                "has S3 abort unfinished multipart uploads under each prefix (aws only).",
            ),
        ],
        responses={
            200: one_of(
                "StoragePolicy",
                IamPolicySerializer,
                RolePoliciesSerializer,
                GcsPolicySerializer,
                AzurePolicySerializer,
                LifecycleConfigurationSerializer,
            ),
            400: INVALID,
            404: NO_CONFIG,
            503: error("The platform's AWS principal could not be found."),
        },
    )
    def get(self, request):
        mode = request.query_params.get("access_mode")
        if mode is not None and mode not in AccessMode.values:
            raise serializers.ValidationError(
                {"access_mode": ["Use 'read_write' or 'write_only'."]}
            )
        allow_delete = request.query_params.get("allow_delete", "false")
        if allow_delete not in {"true", "false"}:
            raise serializers.ValidationError({"allow_delete": ["Use 'true' or 'false'."]})
        document = request.query_params.get("document", "permissions")
        if document not in {"permissions", "lifecycle"}:
            raise serializers.ValidationError({"document": ["Use 'permissions' or 'lifecycle'."]})
        credentials = request.query_params.get("credentials", "keys")
        if credentials not in {"keys", "role"}:
            raise serializers.ValidationError({"credentials": ["Use 'keys' or 'role'."]})
        if "bucket_name" in request.query_params:
            options = _location_from_query(request)
            prefixes = prefixes_distinct(options.pop("prefix"), options.pop("prefixes", {}))
            backend, access_mode = S3Backend, options.pop("access_mode")
        else:
            config = storage_config_get_active(tenant=request.user.tenant)
            if config is None:
                raise NotFound("No storage configuration is active: describe one in the query.")
            backend, options = config.backend_class, config.options
            prefixes, access_mode = config.distinct_prefixes, config.access_mode
        if document == "lifecycle":
            if backend is not S3Backend:
                raise serializers.ValidationError(
                    {"document": ["Only an aws bucket keeps unfinished uploads' parts."]}
                )
            return Response(lifecycle_rules(prefixes=prefixes))
        permissions = backend.policy(
            options=options,
            prefixes=prefixes,
            access_mode=mode or access_mode,
            allow_delete=allow_delete == "true",
        )
        if credentials == "role" and backend is not S3Backend:
            raise serializers.ValidationError(
                {"credentials": ["Only an aws configuration assumes a role."]}
            )
        if credentials == "keys":
            return Response(permissions)
        trust = trust_policy(
            principal_arn=platform_principal(),
            external_id=request.user.tenant.storage_external_id,
        )
        return Response({"trust_policy": trust, "permission_policy": permissions})


class StorageValidateView(APIView):
    body_optional = True  # none: check the active configuration

    def get_throttles(self):
        return [StorageConfigWriteThrottle()]

    @extend_schema(
        operation_id="storage_config_validate",
        summary="Run the live check again on the active configuration, or on a body (not saved).",
        request=config_input_schema(),
        responses={
            200: StorageChecksSerializer,
            400: INVALID,
            404: error("No body and no active configuration."),
        },
    )
    def post(self, request):
        if request.data:
            data = config_input(request.data)
            outcomes = storage_config_check(tenant=request.user.tenant, data=data)
        else:
            config = storage_config_get_active(tenant=request.user.tenant)
            if config is None:
                raise NotFound("No storage configuration is active: send one in the body.")
            # The active configuration's outcome is recorded (after an external ID rotation,
            # this is how it counts as checked again).
            outcomes = storage_config_revalidate(config=config)
        return Response(
            {"ok": all(o.ok for o in outcomes), "checks": [o.as_dict() for o in outcomes]}
        )


def platform_principal() -> str:
    try:
        return s3.platform_principal_arn()
    except StorageError as failure:
        raise Unavailable(failure.message, reason=failure.reason) from None


class ExternalIdView(APIView):
    @extend_schema(
        operation_id="storage_config_external_id",
        summary="The ExternalId a role you let the platform assume must require (no config "
        "needed).",
        responses={200: ExternalIdSerializer},
    )
    def get(self, request):
        tenant = request.user.tenant
        return Response(
            {
                "external_id": tenant.storage_external_id,
                "role_session_name": role_session_name(tenant),
            }
        )
