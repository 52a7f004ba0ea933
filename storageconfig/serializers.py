from functools import cache

from drf_spectacular.utils import (
    PolymorphicProxySerializer,
    inline_serializer,
)
from rest_framework import serializers

from meetstream.shared.parsers import json_loads
from meetstream.shared.schema import closed, enum_field, one_of
from meetstream.shared.serializers import (
    StrictCharField,
    StrictChoiceField,
    StrictSerializer,
    receiver_url,
)
from storageconfig.backends import PLATFORM_PROVIDER, PROVIDERS, backend_class, provider_get
from storageconfig.failures import REASONS
from storageconfig.fields import rule
from storageconfig.models import AccessMode, Fallback
from storageconfig.rules import (
    CATEGORIES,
    DEFAULT_PREFIX,
    MAX_TEMPLATE_CHARS,
    key_template_check,
    prefix_normalize,
)
from storageconfig.services import StorageConfigInput

# Every step a live check may report, whatever the provider.
CHECKS = sorted(
    {
        check
        for backend in map(backend_class, PROVIDERS)
        for check in (backend.first_check, backend.read_check, backend.write_check)
        if check
    }
)


class PrefixesSerializer(StrictSerializer):
    audio = StrictCharField(required=False, trim_whitespace=False)
    video = StrictCharField(required=False, trim_whitespace=False)
    transcript = StrictCharField(required=False, trim_whitespace=False)
    metadata = StrictCharField(required=False, trim_whitespace=False)

    validate_audio = validate_video = validate_transcript = validate_metadata = rule(
        prefix_normalize
    )

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(CATEGORIES))
            if unknown:
                raise serializers.ValidationError(
                    {name: [f"Unknown category: use {', '.join(CATEGORIES)}."] for name in unknown}
                )
        return super().to_internal_value(data)


KEY_TEMPLATE_HELP = (
    "How object keys are made. Default (null): the guide's `{prefix}/{bot_id}_{file}`. "
    "Variables: {prefix} (the category's prefix), {bot_id}, {file} (the file's name, "
    "subfolders included), {platform}, {yyyy}, {mm}, {dd} (the UTC date the bot left). Must "
    "contain {bot_id} and {file}; no '..', no leading '/', no other braces. Bots already pinned "
    "keep their keys when it changes."
)


class StorageCommonFields(StrictSerializer):
    """What every provider's configuration has: how media is written and under which prefixes."""

    access_mode = StrictChoiceField(choices=AccessMode.values, default=AccessMode.READ_WRITE)
    prefix = StrictCharField(default=DEFAULT_PREFIX, trim_whitespace=False)
    prefixes = PrefixesSerializer(required=False)
    key_template = StrictCharField(
        required=False,
        allow_null=True,
        max_length=MAX_TEMPLATE_CHARS,
        trim_whitespace=False,
        help_text=KEY_TEMPLATE_HELP,
    )

    validate_prefix = rule(prefix_normalize)

    def validate_key_template(self, value: str | None) -> str:
        return "" if value is None else rule(key_template_check)(self, value)


class DeliveryFields(StrictSerializer):
    """Where a file goes when the bucket gives up, and where the bucket's health is told."""

    fallback = StrictChoiceField(
        choices=Fallback.values,
        default=Fallback.NONE,
        help_text="platform: a file that gives up at this bucket is stored in the platform "
        "bucket under the same key instead, until `redeliver` moves it here. none: the bytes "
        "never land anywhere but this bucket.",
    )
    notify_url = StrictCharField(
        max_length=2048,
        required=False,
        help_text="Receives storage.config_invalid when the periodic check of this bucket "
        "starts failing and storage.config_restored when it passes again (signed like bot "
        "events).",
    )

    def validate_notify_url(self, value: str) -> str:
        return receiver_url(value)


@cache
def config_input_serializer(provider: str) -> type[serializers.Serializer]:
    """The PUT body of one provider: its fields, then the common ones."""
    backend = backend_class(provider)
    return type(
        f"{backend.__name__.removesuffix('Backend')}ConfigInput",
        (provider_get(provider).fields_class, StorageCommonFields, DeliveryFields),
        {
            "provider": _provider_field(provider),
            "__doc__": f"A configuration on {backend.label}.",
        },
    )


def _provider_field(provider: str) -> StrictChoiceField:
    """`provider` of one provider's bodies and policy: its own one-value enum (the
    discriminator of the bodies' oneOf)."""
    name = f"{backend_class(provider).__name__.removesuffix('Backend')}Provider"
    return enum_field(name, provider)


def config_input(data) -> StorageConfigInput:
    """A PUT body, validated by its provider's fields; a 400 names every problem."""
    if not isinstance(data, dict):
        problem = f"Invalid data. Expected a dictionary, but got {type(data).__name__}."
        raise serializers.ValidationError({"non_field_errors": [problem]})
    provider = data.get("provider")
    if not isinstance(provider, str) or provider not in PROVIDERS:
        choices = ", ".join(f"'{name}'" for name in PROVIDERS)
        problem = "This field is required." if provider is None else f"Must be one of {choices}."
        raise serializers.ValidationError({"provider": [problem]})
    serializer = config_input_serializer(provider)(data=data)
    serializer.is_valid(raise_exception=True)
    return StorageConfigInput.from_fields(serializer.validated_data)


def config_input_schema() -> PolymorphicProxySerializer:
    return PolymorphicProxySerializer(
        component_name="StorageConfigInput",
        serializers={name: config_input_serializer(name) for name in PROVIDERS},
        resource_type_field_name="provider",
    )


@cache
def config_shown_serializer(provider: str) -> type[serializers.Serializer]:
    backend = backend_class(provider)
    return type(
        f"{backend.__name__.removesuffix('Backend')}Config",
        (provider_get(provider).shown_class,),
        {
            "provider": _provider_field(provider),
            "access_mode": serializers.ChoiceField(choices=AccessMode.values),
            "prefix": serializers.CharField(),
            "prefixes": serializers.DictField(child=serializers.CharField()),
            "key_template": serializers.CharField(
                allow_null=True, help_text="null: the guide's `{prefix}/{bot_id}_{file}`."
            ),
            "name": serializers.CharField(
                allow_null=True, help_text="null: the default configuration."
            ),
            "fallback": serializers.ChoiceField(choices=Fallback.values),
            "notify_url": serializers.CharField(allow_null=True),
        },
    )


def config_saved_schema() -> PolymorphicProxySerializer:
    return PolymorphicProxySerializer(
        component_name="StorageConfigSaved",
        serializers={
            name: type(
                f"{config_shown_serializer(name).__name__}Saved",
                (config_shown_serializer(name),),
                {"message": serializers.CharField()},
            )
            for name in PROVIDERS
        },
        resource_type_field_name="provider",
    )


def _active(provider: str) -> type[serializers.Serializer]:
    return type(
        f"{config_shown_serializer(provider).__name__}Active",
        (config_shown_serializer(provider),),
        {
            "active": serializers.BooleanField(),
            "revision": serializers.IntegerField(),
            "configured_at": serializers.DateTimeField(),
            "last_validated_at": serializers.DateTimeField(allow_null=True),
            "last_checked_at": serializers.DateTimeField(
                allow_null=True, help_text="The last live check: on save, or the periodic one."
            ),
            "last_check": serializers.CharField(
                help_text="`ok`, or the reason the last live check failed."
            ),
        },
    )


@cache
def _described_serializer() -> type[serializers.Serializer]:
    """An S3 configuration described in the policy endpoint's query: no credentials."""
    location = provider_get(PLATFORM_PROVIDER).location_class
    return type("Described", (location, StorageCommonFields), {})


def policy_described(query) -> dict | None:
    """A configuration given in the policy endpoint's query string (when it names a
    bucket_name), validated like a PUT body without keys."""
    if "bucket_name" not in query:
        return None
    given = {
        key: query[key]
        for key in query
        if key not in {"access_mode", "allow_delete", "credentials", "document", "name"}
    }
    if "prefixes" in given:
        try:
            given["prefixes"] = json_loads(given["prefixes"])
        except ValueError:
            raise serializers.ValidationError({"prefixes": ["Give a JSON object."]}) from None
    serializer = _described_serializer()(data=given)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def policy_documents_schema():
    """Every document the policy endpoint may answer: each provider's policies, then the
    other documents."""
    providers = [provider_get(name) for name in PROVIDERS]
    return one_of(
        "StoragePolicy",
        *[shape for provider in providers for shape in provider.policy_classes],
        *[shape for provider in providers for shape in provider.document_classes],
    )


class StorageConfigListSerializer(serializers.Serializer):
    StorageConfig = inline_serializer(
        "StorageConfigByProvider",
        {name: _active(name)(required=False) for name in PROVIDERS},
        help_text="The active configuration under its provider's name, or nothing.",
    )


class CheckOutcomeSerializer(serializers.Serializer):
    check = serializers.ChoiceField(choices=CHECKS)
    key = serializers.CharField(allow_null=True)
    ok = serializers.BooleanField()
    reason = serializers.ChoiceField(choices=REASONS, allow_null=True)
    message = serializers.CharField(allow_null=True)


@closed
class StorageCheckFailedSerializer(serializers.Serializer):
    """A 400 of the live check: which check failed first, why, and every check's outcome."""

    message = serializers.CharField()
    code = enum_field("StorageCheckFailedCode", "storage_check_failed")
    check = serializers.ChoiceField(choices=CHECKS)
    reason = serializers.ChoiceField(choices=REASONS)
    checks = CheckOutcomeSerializer(many=True)


class NamedConfigSerializer(serializers.Serializer):
    name = serializers.CharField(allow_null=True, help_text="null: the default configuration.")
    provider = serializers.ChoiceField(choices=list(PROVIDERS))
    bucket_name = serializers.CharField(help_text="The bucket (Azure: the container).")
    access_mode = serializers.ChoiceField(choices=AccessMode.values)
    revision = serializers.IntegerField()
    configured_at = serializers.DateTimeField()


class NamedConfigListSerializer(serializers.Serializer):
    configs = NamedConfigSerializer(
        many=True, help_text="Every active configuration: the default first, then by name."
    )


class StorageConfigDeletedSerializer(serializers.Serializer):
    message = serializers.CharField()


class StorageChecksSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    checks = CheckOutcomeSerializer(many=True)


class ExternalIdSerializer(serializers.Serializer):
    external_id = serializers.CharField()
    role_session_name = serializers.CharField()
