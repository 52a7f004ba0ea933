import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed, Throttled

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


def _failure_key(request) -> tuple[str, int]:
    """The counter of this client address for the current minute, and the seconds left in it."""
    window, elapsed = divmod(int(time.time()), 60)
    return f"auth-failures:{request.META.get('REMOTE_ADDR', '')}:{window}", 60 - elapsed


def _refuse(request, message: str) -> AuthenticationFailed:
    """Count a failed attempt of this client address for the current minute."""
    key, _ = _failure_key(request)
    cache.add(key, 0, timeout=120)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=120)
    return AuthenticationFailed(message)


class ApiKeyAuthentication(BaseAuthentication):
    """`Token <key>`, looked up by its SHA-256: no key is ever compared character by character.

    A client address with too many failed attempts in a minute is refused (429) until the next.
    """

    keyword = "Token"

    def authenticate(self, request) -> tuple[TenantPrincipal, ApiKey] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        key, wait = _failure_key(request)
        if (cache.get(key) or 0) >= settings.AUTH_FAILURES_PER_MINUTE:
            raise Throttled(wait=wait, detail="Too many failed authentication attempts.")
        if len(parts) != 2:
            raise _refuse(request, "Malformed Authorization header: use 'Token <API_KEY>'.")
        try:
            plaintext = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise _refuse(request, "Invalid API key.") from None
        api_key = api_key_get_active(plaintext=plaintext)
        if api_key is None:
            raise _refuse(request, "Invalid API key.")
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
