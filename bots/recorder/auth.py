import hmac
from dataclasses import dataclass

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from meetstream.shared.throttling import auth_failure


@dataclass(frozen=True)
class RecorderPrincipal:
    is_authenticated: bool = True
    is_anonymous: bool = False
    pk: str = "recorder"


class RecorderTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer <RECORDER_TOKEN>`; with no token configured the API is closed.

    Wrong tokens are throttled per client address like wrong API keys.
    """

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != b"bearer":
            return None
        expected = settings.RECORDER_TOKEN.encode()
        if len(parts) != 2 or not expected or not hmac.compare_digest(parts[1], expected):
            raise auth_failure("recorder", request, "Invalid recorder token.")
        return RecorderPrincipal(), None

    def authenticate_header(self, request) -> str:
        return "Bearer"


class RecorderTokenScheme(OpenApiAuthenticationExtension):
    target_class = RecorderTokenAuthentication
    name = "RecorderToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "RECORDER_TOKEN"}
