from dataclasses import dataclass

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from meetstream.shared.logcontext import log_bind
from meetstream.shared.throttling import auth_failure
from meetstream.tenants.models import ApiKey, Tenant
from meetstream.tenants.selectors import api_key_get_active

HOW_TO_SEND = "Send the API key as 'Authorization: Token <API key>'."


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
    """`Token <key>`, looked up by its SHA-256: no key is ever compared character by character.

    A client address's failed attempts are throttled (429 past the limit in a minute); a valid
    key is never refused for them.
    """

    keyword = "Token"

    def authenticate(self, request) -> tuple[TenantPrincipal, ApiKey] | None:
        parts = get_authorization_header(request).split()
        if not parts:
            return None
        if parts[0].lower() != self.keyword.lower().encode():
            # `Bearer <key>`, or a bare key: say which scheme, never echo what was sent.
            raise auth_failure("api", request, f"Unsupported Authorization scheme. {HOW_TO_SEND}")
        if len(parts) != 2:
            raise auth_failure("api", request, f"Malformed Authorization header. {HOW_TO_SEND}")
        try:
            plaintext = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise auth_failure("api", request, "Invalid API key.") from None
        api_key = api_key_get_active(plaintext=plaintext)
        if api_key is None:
            raise auth_failure("api", request, "Invalid API key.")
        log_bind(tenant=api_key.tenant.public_id)
        return TenantPrincipal(tenant=api_key.tenant), api_key

    def authenticate_header(self, request) -> str:
        return self.keyword

    @staticmethod
    def missing_message(detail: str) -> str:
        return f"{detail} {HOW_TO_SEND}"


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = ApiKeyAuthentication
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        # An API key in the Authorization header: Swagger UI offers no input for an HTTP
        # scheme other than basic and bearer, so the docs page could not authorise with a
        # `Token` one. The page puts the `Token ` in front of a bare key (SWAGGER_UI_SETTINGS).
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Authorization: Token <API_KEY>`; create a key with "
            "`manage.py create_api_key`. `Bearer` is refused. On /api/docs/, paste the key "
            "alone: the page sends it as `Token <API_KEY>`.",
        }
