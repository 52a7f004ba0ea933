from rest_framework import serializers

from meetstream.serializers import (
    ErrorSerializer,
    StrictCharField,
    StrictChoiceField,
    StrictSerializer,
)
from storageconfig.models import AccessMode
from storageconfig.rules import (
    CATEGORIES,
    DEFAULT_PREFIX,
    RuleError,
    bucket_name_check,
    endpoint_url_normalize,
    kms_key_id_check,
    prefix_normalize,
    region_check,
    role_arn_check,
)
from storageconfig.services import StorageConfigInput


def _rule(check):
    def validate(self, value):
        try:
            return check(value)
        except RuleError as error:
            raise serializers.ValidationError(str(error)) from None

    return validate


def _credential(label: str, max_length: int, **options) -> StrictCharField:
    # Messages never echo the value: it is a credential.
    return StrictCharField(
        **options,
        max_length=max_length,
        trim_whitespace=False,
        error_messages={
            "blank": f"{label} may not be blank.",
            "max_length": f"{label} may be at most {max_length} characters.",
        },
    )


class PrefixesSerializer(StrictSerializer):
    audio = StrictCharField(required=False, trim_whitespace=False)
    video = StrictCharField(required=False, trim_whitespace=False)
    transcript = StrictCharField(required=False, trim_whitespace=False)
    metadata = StrictCharField(required=False, trim_whitespace=False)

    validate_audio = validate_video = validate_transcript = validate_metadata = _rule(
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


class StorageLocationSerializer(StrictSerializer):
    """Where and how media is written: a configuration without its credentials."""

    bucket_name = StrictCharField(max_length=63)
    region = StrictCharField(max_length=32)
    access_mode = StrictChoiceField(choices=AccessMode.values, default=AccessMode.READ_WRITE)
    prefix = StrictCharField(default=DEFAULT_PREFIX, trim_whitespace=False)
    prefixes = PrefixesSerializer(required=False)
    endpoint_url = StrictCharField(max_length=2048, required=False, allow_null=True)
    server_side_encryption = StrictChoiceField(
        choices=["AES256", "aws:kms"], required=False, allow_null=True
    )
    kms_key_id = StrictCharField(max_length=2048, required=False, allow_null=True)

    validate_bucket_name = _rule(bucket_name_check)
    validate_region = _rule(region_check)
    validate_prefix = _rule(prefix_normalize)

    def validate_endpoint_url(self, value):
        return None if value in (None, "") else _rule(endpoint_url_normalize)(self, value)

    def validate_kms_key_id(self, value):
        return None if value in (None, "") else _rule(kms_key_id_check)(self, value)

    def validate(self, data):
        if data.get("kms_key_id") and data.get("server_side_encryption") != "aws:kms":
            raise serializers.ValidationError(
                {"kms_key_id": ["A KMS key goes with server_side_encryption 'aws:kms'."]}
            )
        return data


def _credentials_problem(given: set[str]) -> dict[str, str]:
    """A key pair or a role_arn, exactly one of them: what is wrong with the fields given."""
    keys = sorted(given & {"access_key_id", "secret_key"})
    if "role_arn" in given and keys:
        return {"role_arn": "Give either role_arn or access_key_id and secret_key, not both."}
    if "role_arn" in given or len(keys) == 2:
        return {}
    if keys:
        missing = "secret_key" if keys == ["access_key_id"] else "access_key_id"
        return {missing: f"{missing} goes with {keys[0]}."}
    neither = "Give either access_key_id and secret_key, or a role_arn to assume."
    return {"access_key_id": neither, "secret_key": neither}


class StorageConfigInputSerializer(StorageLocationSerializer):
    """A location with its credentials: a key pair, or a role_arn the platform assumes."""

    provider = StrictChoiceField(choices=["aws"])
    access_key_id = _credential("The access key id", 128, required=False)
    secret_key = _credential("The secret key", 256, required=False)
    role_arn = StrictCharField(max_length=2048, required=False)

    def validate_access_key_id(self, value):
        if not value.isascii() or not value.isprintable() or " " in value:
            raise serializers.ValidationError("The access key id has characters keys never have.")
        return value

    validate_secret_key = validate_access_key_id
    validate_role_arn = _rule(role_arn_check)

    def to_internal_value(self, data):
        # Which credentials are missing is told with the other fields' problems, not after.
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as invalid:
            if isinstance(data, dict) and isinstance(invalid.detail, dict):
                for name, problem in _credentials_problem(set(data)).items():
                    invalid.detail.setdefault(name, [problem])
            raise

    def validate(self, data):
        data = super().validate(data)
        problem = _credentials_problem(set(data))
        if problem:
            raise serializers.ValidationError({name: [text] for name, text in problem.items()})
        return data

    def create_input(self) -> StorageConfigInput:
        return StorageConfigInput(**{"prefixes": {}, **self.validated_data})


class StorageConfigFieldsSerializer(serializers.Serializer):
    provider = serializers.CharField()
    credentials = serializers.ChoiceField(
        choices=["keys", "role"], help_text="A key pair, or a role the platform assumes."
    )
    role_arn = serializers.CharField(allow_null=True)
    external_id = serializers.CharField(
        allow_null=True, help_text="The ExternalId the role's trust policy must require."
    )
    bucket_name = serializers.CharField()
    region = serializers.CharField()
    endpoint_url = serializers.CharField(allow_null=True)
    access_mode = serializers.ChoiceField(choices=AccessMode.values)
    prefix = serializers.CharField()
    prefixes = serializers.DictField(child=serializers.CharField())
    server_side_encryption = serializers.CharField(allow_null=True)
    kms_key_id = serializers.CharField(allow_null=True)


class StorageConfigSavedSerializer(StorageConfigFieldsSerializer):
    message = serializers.CharField()


class StorageConfigActiveSerializer(StorageConfigFieldsSerializer):
    active = serializers.BooleanField()
    revision = serializers.IntegerField()
    configured_at = serializers.DateTimeField()
    last_validated_at = serializers.DateTimeField(allow_null=True)


class StorageConfigByProviderSerializer(serializers.Serializer):
    aws = StorageConfigActiveSerializer(required=False)


class StorageConfigListSerializer(serializers.Serializer):
    StorageConfig = StorageConfigByProviderSerializer()


class CheckOutcomeSerializer(serializers.Serializer):
    check = serializers.ChoiceField(choices=["AssumeRole", "HeadBucket", "PutObject"])
    key = serializers.CharField(allow_null=True)
    ok = serializers.BooleanField()
    reason = serializers.CharField(allow_null=True)
    message = serializers.CharField(allow_null=True)


class StorageCheckFailedSerializer(ErrorSerializer):
    check = serializers.CharField()
    reason = serializers.CharField()
    checks = CheckOutcomeSerializer(many=True)


class StorageChecksSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    checks = CheckOutcomeSerializer(many=True)


class ExternalIdSerializer(serializers.Serializer):
    external_id = serializers.CharField()
    role_session_name = serializers.CharField()


class RolePoliciesSerializer(serializers.Serializer):
    trust_policy = serializers.JSONField(help_text="The role's trust policy.")
    permission_policy = serializers.JSONField(help_text="The policy to attach to the role.")
