"""What the API and the admin take and show of a GCS configuration, and the policy document
the policy endpoint answers."""

import json
import re

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from meetstream.shared.parsers import json_loads
from meetstream.shared.schema import closed, enum_field
from meetstream.shared.serializers import StrictCharField
from storageconfig.backends.gcs.backend import TOKEN_URI, key_signer
from storageconfig.fields import ProviderFields

_BUCKET = re.compile(r"^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$")
_KEY_FIELDS = ("type", "client_email", "private_key")
MAX_KEY_BYTES = 16 * 1024


def bucket_name_check(name: str) -> str:
    if not _BUCKET.fullmatch(name) or name.startswith("goog") or ".." in name:
        raise serializers.ValidationError(
            "A bucket name is 3-63 lowercase letters, digits, '-', '_' or '.', starting and "
            "ending with a letter or digit, and not starting with 'goog'."
        )
    return name


@extend_schema_field(
    {"oneOf": [{"type": "object", "additionalProperties": {}}, {"type": "string"}]}
)
class ServiceAccountKeyField(serializers.Field):
    """A service account key, as the JSON object Google gives (or that object as a string).
    Kept as compact JSON. Messages never echo it."""

    def to_internal_value(self, data):
        if isinstance(data, str):
            if len(data.encode()) > MAX_KEY_BYTES:
                raise serializers.ValidationError("The key is larger than any service account key.")
            try:
                data = json_loads(data)
            except ValueError:
                raise serializers.ValidationError(
                    "Give the key's JSON, as Google gave it."
                ) from None
        if not isinstance(data, dict):
            raise serializers.ValidationError("Give the key's JSON object, as Google gave it.")
        if data.get("type") != "service_account" or not all(
            isinstance(data.get(name), str) for name in _KEY_FIELDS
        ):
            raise serializers.ValidationError(
                "This is not a service account key: it needs type 'service_account', "
                "client_email and private_key."
            )
        if data.get("token_uri", TOKEN_URI) != TOKEN_URI:
            raise serializers.ValidationError(f"The key's token_uri must be {TOKEN_URI}.")
        try:
            key_signer(data)
        except (ValueError, TypeError):
            raise serializers.ValidationError("The key's private_key cannot be read.") from None
        return json.dumps(data, separators=(",", ":"))

    def to_representation(self, value):
        raise NotImplementedError("A key is never shown.")


class GcsFields(ProviderFields):
    bucket_name = StrictCharField(max_length=63)
    service_account_json = ServiceAccountKeyField(
        help_text="The service account's JSON key (an object, or that object as a string)."
    )

    def validate_bucket_name(self, value):
        return bucket_name_check(value)


class GcsShown(serializers.Serializer):
    bucket_name = serializers.CharField()


class _GcsRoleSerializer(serializers.Serializer):
    title = serializers.CharField()
    includedPermissions = serializers.ListField(child=serializers.CharField())


class _GcsConditionSerializer(serializers.Serializer):
    title = serializers.CharField()
    expression = serializers.CharField(help_text="CEL: the bucket, and each prefix.")


@closed
class GcsPolicySerializer(serializers.Serializer):
    """A custom role's permissions, granted on the bucket under an IAM condition."""

    provider = enum_field("GcsProvider", "gcs")
    role = _GcsRoleSerializer()
    condition = _GcsConditionSerializer()
