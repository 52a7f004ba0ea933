"""What the API and the admin take and show of an S3 configuration, and the policy documents
the policy endpoint answers."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from meetstream.shared.schema import closed, enum_field
from meetstream.shared.serializers import StrictCharField, StrictChoiceField
from storageconfig.backends.aws.backend import KEYS
from storageconfig.fields import ProviderFields, credential, rule
from storageconfig.rules import (
    bucket_name_check,
    endpoint_url_normalize,
    kms_key_id_check,
    region_check,
    role_arn_check,
)

ENCRYPTIONS = ("AES256", "aws:kms")


def _key_chars(value: str) -> str:
    if not value.isascii() or not value.isprintable() or " " in value:
        raise serializers.ValidationError("The access key id has characters keys never have.")
    return value


def _credentials_problem(given: set[str]) -> dict[str, str]:
    """A key pair or a role_arn, exactly one of them: what is wrong with the fields given."""
    keys = sorted(given & set(KEYS))
    if "role_arn" in given and keys:
        return {"role_arn": "Give either role_arn or access_key_id and secret_key, not both."}
    if "role_arn" in given or len(keys) == 2:
        return {}
    if keys:
        missing = "secret_key" if keys == ["access_key_id"] else "access_key_id"
        return {missing: f"{missing} goes with {keys[0]}."}
    neither = "Give either access_key_id and secret_key, or a role_arn to assume."
    return {"access_key_id": neither, "secret_key": neither}


class S3Location(ProviderFields):
    """Where an S3 bucket is, and how its objects are encrypted."""

    bucket_name = StrictCharField(max_length=63)
    region = StrictCharField(max_length=32, initial="us-east-1")
    endpoint_url = StrictCharField(max_length=2048, required=False, allow_null=True)
    server_side_encryption = StrictChoiceField(choices=ENCRYPTIONS, required=False, allow_null=True)
    kms_key_id = StrictCharField(max_length=2048, required=False, allow_null=True)

    validate_bucket_name = rule(bucket_name_check)
    validate_region = rule(region_check)

    def validate_endpoint_url(self, value):
        return None if value in (None, "") else rule(endpoint_url_normalize)(self, value)

    def validate_kms_key_id(self, value):
        return None if value in (None, "") else rule(kms_key_id_check)(self, value)

    def validate(self, data):
        data = super().validate(data)
        if data.get("kms_key_id") and data.get("server_side_encryption") != "aws:kms":
            raise serializers.ValidationError(
                {"kms_key_id": ["A KMS key goes with server_side_encryption 'aws:kms'."]}
            )
        return data


class S3Fields(S3Location):
    """A location with its credentials: a key pair, or a role_arn the platform assumes."""

    access_key_id = credential("The access key id", 128, required=False)
    secret_key = credential("The secret key", 256, required=False)
    role_arn = StrictCharField(max_length=2048, required=False)

    def validate_access_key_id(self, value):
        return _key_chars(value)

    validate_secret_key = validate_access_key_id
    validate_role_arn = rule(role_arn_check)

    def problems_together(self, data: dict) -> dict[str, str]:
        return _credentials_problem(set(data))


class S3Shown(serializers.Serializer):
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
    server_side_encryption = serializers.ChoiceField(choices=ENCRYPTIONS, allow_null=True)
    kms_key_id = serializers.CharField(allow_null=True)


@extend_schema_field(
    {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
)
class _OneOrMany(serializers.JSONField):
    """IAM's string, or list of strings."""


@closed
class IamStatementSerializer(serializers.Serializer):
    Sid = serializers.CharField()
    Effect = serializers.ChoiceField(choices=["Allow"])
    Principal = serializers.DictField(child=serializers.CharField(), required=False)
    Action = _OneOrMany()
    Resource = _OneOrMany(required=False)
    Condition = serializers.DictField(
        child=serializers.DictField(child=serializers.CharField()), required=False
    )


@closed
class IamPolicySerializer(serializers.Serializer):
    """An AWS IAM policy document."""

    Version = serializers.ChoiceField(choices=["2012-10-17"])
    Statement = IamStatementSerializer(many=True)


class _AbortAfterSerializer(serializers.Serializer):
    DaysAfterInitiation = serializers.IntegerField(min_value=1)


class _PrefixFilterSerializer(serializers.Serializer):
    Prefix = serializers.CharField()


@closed
class LifecycleRuleSerializer(serializers.Serializer):
    ID = serializers.CharField()
    Status = enum_field("LifecycleRuleStatus", "Enabled")
    Filter = _PrefixFilterSerializer()
    AbortIncompleteMultipartUpload = _AbortAfterSerializer()


@closed
class LifecycleConfigurationSerializer(serializers.Serializer):
    """An S3 bucket lifecycle configuration: give it to put-bucket-lifecycle-configuration."""

    Rules = LifecycleRuleSerializer(many=True)


@closed
class RolePoliciesSerializer(serializers.Serializer):
    trust_policy = IamPolicySerializer(help_text="The role's trust policy.")
    permission_policy = IamPolicySerializer(help_text="The policy to attach to the role.")
