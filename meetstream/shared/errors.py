"""One error family for every response: `{"message": ..., "code": ..., ...}`.

Services raise domain errors: what went wrong, in words, never an HTTP status. This module alone
decides how each kind is answered (`_STATUS`); `code` names the kind for machines, and the
schema (meetstream.shared.schema) tells the shapes apart by it.
"""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler, set_rollback

logger = logging.getLogger(__name__)


class RuleError(ValueError):
    """A value that breaks a rule; its text is safe to show the user."""


class DomainError(Exception):
    """A refusal a service raises; rendered as `{"message": ..., "code": ..., **extra}`. Its
    kind (the subclass) says what went wrong: a request that cannot be done as asked, by
    default."""

    code = "invalid_request"

    def __init__(self, message: str, **extra) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra


class NotFound(DomainError):
    """No such thing for this tenant."""

    code = "not_found"


class Gone(DomainError):
    """It existed and was deleted."""

    code = "gone"


class Conflict(DomainError):
    """Not in this state: the thing's state says why."""

    code = "conflict"


class Forbidden(DomainError):
    """What the credentials (or the access mode) do not allow."""

    code = "forbidden"


class TooLarge(DomainError):
    """More than a limit allows."""

    code = "too_large"


class LengthRequired(DomainError):
    """A body whose length cannot be known."""

    code = "length_required"


class UpstreamFailed(DomainError):
    """A customer's storage (or another service) did not do its part."""

    code = "upstream_failed"


class Unavailable(DomainError):
    """Something the platform needs is not there right now."""

    code = "unavailable"


_STATUS = {
    NotFound: status.HTTP_404_NOT_FOUND,
    Gone: status.HTTP_410_GONE,
    Conflict: status.HTTP_409_CONFLICT,
    Forbidden: status.HTTP_403_FORBIDDEN,
    TooLarge: status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    LengthRequired: status.HTTP_411_LENGTH_REQUIRED,
    UpstreamFailed: status.HTTP_502_BAD_GATEWAY,
    Unavailable: status.HTTP_503_SERVICE_UNAVAILABLE,
}


def status_of(error: DomainError) -> int:
    kind = next((kind for kind in type(error).__mro__ if kind in _STATUS), None)
    return _STATUS.get(kind, status.HTTP_400_BAD_REQUEST)


def flatten_errors(detail, path: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as `{"prefixes.audio": ["..."]}`."""
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            name = "non_field_errors" if key == "__all__" else str(key)
            flat.update(flatten_errors(value, f"{path}.{name}" if path else name))
        return flat
    if isinstance(detail, list) and any(isinstance(item, dict | list) for item in detail):
        flat = {}
        for index, item in enumerate(detail):
            flat.update(flatten_errors(item, f"{path}.{index}" if path else str(index)))
        return flat
    items = detail if isinstance(detail, list) else [detail]
    return {path or "non_field_errors": [str(item) for item in items]}


def validation_body(errors: dict[str, list[str]]) -> dict:
    """The message names each field with its first problem, one sentence after another."""
    summary = " ".join(
        _sentence(messages[0] if field == "non_field_errors" else f"{field}: {messages[0]}")
        for field, messages in errors.items()
    )
    return {"message": f"Invalid request. {summary}", "code": DomainError.code, "errors": errors}


def _sentence(text: str) -> str:
    return text if text.endswith((".", "?", "!")) else f"{text}."


UNSUPPORTED_MEDIA_TYPE = (
    "Unsupported media type: send the body as JSON, with 'Content-Type: application/json'."
)


# DRF's refusals by the `code` clients see: its own code where no domain kind says it better.
_DRF_CODES = {
    "invalid": "invalid_request",
    "parse_error": "invalid_request",
    "permission_denied": "forbidden",
}
SERVER_ERROR = {"message": "Internal server error.", "code": "server_error"}


def code_of(exc: exceptions.APIException) -> str:
    return _DRF_CODES.get(exc.default_code, exc.default_code)


def api_exception_handler(exc, context):
    if isinstance(exc, DomainError):
        set_rollback()
        body = {"message": exc.message, "code": exc.code, **exc.extra}
        return Response(body, status=status_of(exc))
    if isinstance(exc, RuleError):
        set_rollback()
        return Response({"message": str(exc), "code": DomainError.code}, status=400)
    if isinstance(exc, DjangoValidationError):
        detail = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, SuspiciousOperation):
        exc = exceptions.ParseError(str(exc) or "Malformed request.")

    response = exception_handler(exc, context)
    if response is None:
        logger.exception("Unhandled error in %s", context["view"].__class__.__name__)
        set_rollback()
        return Response(SERVER_ERROR, status=500)
    if isinstance(exc, exceptions.ValidationError):
        response.data = validation_body(flatten_errors(exc.detail))
    elif isinstance(exc, exceptions.NotAuthenticated):
        response.data = {"message": _not_authenticated(exc, context["request"])}
    elif isinstance(exc, exceptions.UnsupportedMediaType):
        response.data = {"message": UNSUPPORTED_MEDIA_TYPE}
    elif isinstance(exc, exceptions.Throttled):
        response.data = {"message": str(exc.detail), "retry_after": exc.wait}
        rate_limit_headers(response, exc)
    else:
        response.data = {"message": str(exc.detail)}
    response.data["code"] = code_of(exc)
    return response


def rate_limit_headers(response, exc: exceptions.Throttled) -> None:
    """RateLimit-Limit, -Remaining and -Reset (draft-ietf-httpapi-ratelimit-headers-07) beside
    Retry-After: the limit of the window that ran out, none left, seconds until it resets."""
    reset = max(1, int(exc.wait or 1))
    response["Retry-After"] = str(reset)
    response["RateLimit-Limit"] = str(getattr(exc, "limit", 1))
    response["RateLimit-Remaining"] = "0"
    response["RateLimit-Reset"] = str(reset)


def _not_authenticated(exc, request) -> str:
    """No credentials at all: the view's scheme may say how to send them."""
    authenticators = getattr(request, "authenticators", None) or ()
    explain = getattr(authenticators[0], "missing_message", None) if authenticators else None
    return explain(str(exc.detail)) if explain else str(exc.detail)


def _is_api(request) -> bool:
    return request.path.startswith(("/api/", "/internal/"))


def not_found(request, exception=None):
    if _is_api(request):
        return JsonResponse({"message": "Not found.", "code": NotFound.code}, status=404)
    return defaults.page_not_found(request, exception)


def bad_request(request, exception=None):
    if _is_api(request):
        return JsonResponse({"message": "Bad request.", "code": DomainError.code}, status=400)
    return defaults.bad_request(request, exception)


def server_error(request):
    if _is_api(request):
        return JsonResponse(SERVER_ERROR, status=500)
    return defaults.server_error(request)
