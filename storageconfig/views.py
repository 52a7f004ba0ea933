from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from meetstream.shared.errors import NotFound, RuleError
from meetstream.shared.schema import INVALID, ValidationErrorSerializer, error, example
from meetstream.shared.throttling import StorageConfigWriteThrottle
from storageconfig.backends import PROVIDERS
from storageconfig.examples import CONFIG_EXAMPLES, PUT_ERRORS, SAVED
from storageconfig.policy_documents import policy_ask, policy_document
from storageconfig.rules import config_name_check
from storageconfig.selectors import (
    external_id_shown,
    named_config_shown,
    storage_config_get_active,
    storage_config_shown,
    storage_configs_active,
)
from storageconfig.serializers import (
    ExternalIdSerializer,
    NamedConfigListSerializer,
    StorageCheckFailedSerializer,
    StorageChecksSerializer,
    StorageConfigDeletedSerializer,
    StorageConfigListSerializer,
    config_input,
    config_input_schema,
    config_saved_schema,
    policy_described,
    policy_documents_schema,
)
from storageconfig.services import (
    storage_config_check,
    storage_config_delete,
    storage_config_put,
    storage_config_revalidate,
)

NO_CONFIG = error(
    "No configuration is active.",
    examples={
        "None active": example(
            "No storage configuration is active: describe one in the query.", "not_found"
        )
    },
)


NAME = OpenApiParameter(
    "name",
    str,
    pattern=r"^[a-z0-9_-]{1,64}$",
    description="A named configuration (create_bot's `storage.config`); none: the default one.",
)


def _config_name(request) -> str:
    """The query's `name` ("" when none: the default configuration), or a 400."""
    name = request.query_params.get("name")
    if name is None:
        return ""
    try:
        return config_name_check(name)
    except RuleError as refused:
        raise serializers.ValidationError({"name": [str(refused)]}) from None


def _require_query(request, name: str, expected: str) -> None:
    value = request.query_params.get(name)
    if value != expected:
        problem = "is required" if value is None else "is not supported"
        raise serializers.ValidationError({name: [f"'{name}' {problem}: use '{expected}'."]})


@extend_schema(tags=["storage"])
class StorageConfigView(APIView):
    def get_throttles(self):
        return [StorageConfigWriteThrottle()] if self.request.method == "PUT" else []

    @extend_schema(
        operation_id="storage_config_get",
        summary="The active storage configuration, the default one or a named one (credentials "
        "are never returned).",
        parameters=[NAME],
        responses={200: StorageConfigListSerializer, 400: INVALID},
    )
    def get(self, request):
        name = _config_name(request)
        config = storage_config_get_active(tenant=request.user.tenant, name=name)
        if config is None:
            return Response({"StorageConfig": {}})
        body = {
            **storage_config_shown(config, request.user.tenant),
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
        summary="Check a bucket live and save it as the tenant's storage configuration (the "
        "default one, or the one named `name`; at most 10 named ones).",
        parameters=[OpenApiParameter("config_type", str, required=True, enum=["storage"]), NAME],
        request=config_input_schema(),
        examples=[*CONFIG_EXAMPLES, SAVED],
        responses={
            200: config_saved_schema(),
            400: error(
                "Invalid input (`invalid_request`), or the live check of the bucket failed "
                "(`storage_check_failed`).",
                ValidationErrorSerializer,
                StorageCheckFailedSerializer,
                name="StorageConfigPutError",
                examples=PUT_ERRORS,
            ),
        },
    )
    def put(self, request):
        _require_query(request, "config_type", "storage")
        name = _config_name(request)
        tenant = request.user.tenant
        config = storage_config_put(tenant=tenant, data=config_input(request.data), name=name)
        return Response(
            {
                "message": "Storage config saved successfully",
                **storage_config_shown(config, tenant),
            }
        )

    @extend_schema(
        operation_id="storage_config_delete",
        summary="Erase the credentials of the tenant's storage configuration (the default one, "
        "or the one named `name`); objects in the bucket are kept.",
        parameters=[OpenApiParameter("key_name", str, required=True, enum=list(PROVIDERS)), NAME],
        responses={
            200: StorageConfigDeletedSerializer,
            400: INVALID,
            404: error(
                "No configuration of this provider is active.",
                examples={
                    "Another provider's": example(
                        "No gcs storage configuration is active.", "not_found"
                    )
                },
            ),
        },
    )
    def delete(self, request):
        _key_name_check(request)
        name = _config_name(request)
        provider = request.query_params["key_name"]
        storage_config_delete(tenant=request.user.tenant, provider=provider, name=name)
        if name:
            message = (
                f"Storage config '{name}' deleted. Bots that chose it and have not uploaded yet "
                "will give up their files; files already in your bucket were not touched."
            )
        else:
            message = (
                "Storage config deleted. New bots will use the platform bucket; files already "
                "in your bucket were not touched."
            )
        return Response({"message": message})


def _key_name_check(request) -> None:
    value = request.query_params.get("key_name")
    if value is None or value not in PROVIDERS:
        problem = "is required" if value is None else "is not supported"
        choices = ", ".join(f"'{name}'" for name in PROVIDERS)
        raise serializers.ValidationError({"key_name": [f"'key_name' {problem}: use {choices}."]})


@extend_schema(tags=["storage"])
class StoragePolicyView(APIView):
    @extend_schema(
        operation_id="storage_config_policy",
        summary="The least IAM policy for the active configuration (the default one or a named "
        "one), or for one in the query.",
        parameters=[
            NAME,
            OpenApiParameter("access_mode", str, enum=["read_write", "write_only"]),
            OpenApiParameter("bucket_name", str, description="Describe a configuration instead"),
            OpenApiParameter("region", str),
            OpenApiParameter("prefix", str),
            OpenApiParameter("prefixes", str, description="A JSON object, as in a PUT"),
            OpenApiParameter("key_template", str, description="As in a PUT"),
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
                bool,
                description="Add s3:DeleteObject on each prefix, so delete_data can delete "
                "the bot's objects in your bucket (true/false, or 1/0).",
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
            200: policy_documents_schema(),
            400: INVALID,
            404: NO_CONFIG,
            503: error(
                "The platform's AWS principal could not be found.",
                examples={
                    "Unknown principal": example(
                        "STS did not name the platform's principal (EndpointConnectionError): "
                        "set PLATFORM_AWS_PRINCIPAL_ARN.",
                        "unavailable",
                        reason="platform_principal_unknown",
                    )
                },
            ),
        },
    )
    def get(self, request):
        ask = policy_ask(request.query_params)
        described = policy_described(request.query_params)
        document = policy_document(
            tenant=request.user.tenant, ask=ask, described=described, name=_config_name(request)
        )
        return Response(document)


@extend_schema(tags=["storage"])
class StorageValidateView(APIView):
    body_optional = True  # none: check the active configuration

    def get_throttles(self):
        return [StorageConfigWriteThrottle()]

    @extend_schema(
        operation_id="storage_config_validate",
        summary="Run the live check again on the active configuration (the default one or a "
        "named one), or on a body (not saved).",
        parameters=[NAME],
        request=config_input_schema(),
        examples=CONFIG_EXAMPLES,
        responses={
            200: StorageChecksSerializer,
            400: INVALID,
            404: error(
                "No body and no active configuration.",
                examples={
                    "Nothing to check": example(
                        "No storage configuration is active: send one in the body.", "not_found"
                    )
                },
            ),
        },
    )
    def post(self, request):
        name = _config_name(request)
        if request.data:
            data = config_input(request.data)
            outcomes = storage_config_check(tenant=request.user.tenant, data=data)
        else:
            config = storage_config_get_active(tenant=request.user.tenant, name=name)
            if config is None:
                named = f" named '{name}'" if name else ""
                raise NotFound(f"No storage configuration{named} is active: send one in the body.")
            # The active configuration's outcome is recorded (after an external ID rotation,
            # this is how it counts as checked again).
            outcomes = storage_config_revalidate(config=config)
        return Response(
            {"ok": all(o.ok for o in outcomes), "checks": [o.as_dict() for o in outcomes]}
        )


@extend_schema(tags=["storage"])
class NamedConfigListView(APIView):
    @extend_schema(
        operation_id="storage_config_names",
        summary="Every active storage configuration: the default one (name null), then the "
        "named ones a bot may choose.",
        responses={200: NamedConfigListSerializer},
    )
    def get(self, request):
        configs = storage_configs_active(tenant=request.user.tenant)
        return Response({"configs": [named_config_shown(config) for config in configs]})


@extend_schema(tags=["storage"])
class ExternalIdView(APIView):
    @extend_schema(
        operation_id="storage_config_external_id",
        summary="The ExternalId a role you let the platform assume must require (no config "
        "needed).",
        responses={200: ExternalIdSerializer},
    )
    def get(self, request):
        return Response(external_id_shown(request.user.tenant))
