"""What the API and the admin take and show of an Azure configuration, and the policy
document the policy endpoint answers."""

import base64
import binascii
import re
from functools import partial
from urllib.parse import urlsplit

from rest_framework import serializers

from meetstream.shared.schema import closed, enum_field
from meetstream.shared.serializers import StrictCharField
from storageconfig.backends.azure.backend import SECRETS
from storageconfig.fields import ProviderFields, credential, rule
from storageconfig.rules import endpoint_url_normalize

_ACCOUNT = re.compile(r"^[a-z0-9]{3,24}$")
_CONTAINER = re.compile(r"^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
_SAS_PART = re.compile(r"^[A-Za-z0-9%=&._~:+/-]+$")


def _account_key_check(value: str) -> str:
    try:
        if not value.isascii() or not base64.b64decode(value, validate=True):
            raise ValueError
    except (ValueError, binascii.Error):
        raise serializers.ValidationError(
            "An account key is base64, as the portal shows it."
        ) from None
    return value


def _sas_token_check(value: str) -> str:
    token = value.removeprefix("?")
    if not _SAS_PART.fullmatch(token) or "sig=" not in token:
        raise serializers.ValidationError("A SAS token is the query string the portal gives.")
    return token


class AzureFields(ProviderFields):
    account_name = StrictCharField(max_length=24)
    container = StrictCharField(max_length=63)
    account_key = credential("The account key", 128, required=False)
    sas_token = credential("The SAS token", 2048, required=False)
    endpoint_url = StrictCharField(
        max_length=2048,
        required=False,
        allow_null=True,
        help_text="The account URL, for Azurite or a sovereign cloud.",
    )

    def validate_account_name(self, value):
        if not _ACCOUNT.fullmatch(value):
            raise serializers.ValidationError(
                "An account name is 3-24 lowercase letters or digits."
            )
        return value

    def validate_container(self, value):
        if not _CONTAINER.fullmatch(value):
            raise serializers.ValidationError(
                "A container name is 3-63 lowercase letters, digits or single hyphens, starting "
                "and ending with a letter or digit."
            )
        return value

    def validate_account_key(self, value):
        return _account_key_check(value)

    def validate_sas_token(self, value):
        return _sas_token_check(value)

    def validate_endpoint_url(self, value):
        if value in (None, ""):
            return None
        return rule(partial(endpoint_url_normalize, account_path=True))(self, value)

    def problems_together(self, data: dict) -> dict[str, str]:
        endpoint_url, account = data.get("endpoint_url"), data.get("account_name")
        path = urlsplit(endpoint_url).path if isinstance(endpoint_url, str) else ""
        if path and account and path != f"/{account}":
            return {"endpoint_url": "The endpoint URL's path, when it has one, is the account."}
        given = [name for name in SECRETS if name in data]
        if len(given) == 2:
            return {"sas_token": "Give either account_key or sas_token, not both."}
        if not given:
            neither = "Give account_key or sas_token."
            return {"account_key": neither, "sas_token": neither}
        if given == ["sas_token"] and data.get("access_mode", "read_write") == "read_write":
            return {
                "sas_token": "A SAS token cannot sign download links: give account_key for "
                "read_write, or use access_mode write_only."
            }
        return {}


class AzureShown(serializers.Serializer):
    account_name = serializers.CharField()
    container = serializers.CharField()
    endpoint_url = serializers.CharField(allow_null=True)


@closed
class AzurePolicySerializer(serializers.Serializer):
    """The SAS permissions (or the data role) the credentials need on the container."""

    provider = enum_field("AzureProvider", "azure")
    container = serializers.CharField()
    sas_permissions = serializers.CharField(help_text="`sp` of an account or service SAS.")
    sas_resource = serializers.CharField()
    prefixes = serializers.ListField(child=serializers.CharField())
    role = serializers.CharField()
