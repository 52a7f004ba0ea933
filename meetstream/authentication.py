from dataclasses import dataclass

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from meetstream.models import ApiKey, Tenant
from meetstream.selectors import api_key_get_active


@dataclass(frozen=True)
class TenantPrincipal:
    """What `request.user` is for the tenant API: the tenant the key belongs to."""

    tenant: Tenant
    is_authenticated: bool = True
    is_anonymous: bool = False

    @property
    def pk(self) -> str:
        return self.tenant.public_id


class ApiKeyAuthentication(BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request) -> tuple[TenantPrincipal, ApiKey] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise AuthenticationFailed("Malformed Authorization header: use 'Token <API_KEY>'.")
        try:
            plaintext = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed("Invalid API key.") from None
        api_key = api_key_get_active(plaintext=plaintext)
        if api_key is None:
            raise AuthenticationFailed("Invalid API key.")
        return TenantPrincipal(tenant=api_key.tenant), api_key

    def authenticate_header(self, request) -> str:
        return self.keyword


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = ApiKeyAuthentication
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <API_KEY>`; create a key with `manage.py create_api_key`.",
        }
