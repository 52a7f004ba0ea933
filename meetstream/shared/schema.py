"""What the OpenAPI schemas say beyond each view's serializers: the error family, the 401 and
429 every authenticated operation can answer, and the split between the public schema and
the recorder's (served by meetstream.schema_views, finished by meetstream.schema_hooks).

Each error body matches exactly one shape: `code` tells them apart (disjoint enums), and the
shapes are closed, so a strict `oneOf` and a generated client both pick the right one.
"""

from functools import cache

from drf_spectacular import openapi
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema_field,
)
from rest_framework import serializers

from meetstream.shared.errors import UNSUPPORTED_MEDIA_TYPE
from meetstream.shared.serializers import StrictChoiceField

# The codes of the plain `Error` shape; the other shapes each have their own.
ERROR_CODES = (
    "not_authenticated",
    "authentication_failed",
    "forbidden",
    "credentials_erased",
    "not_found",
    "method_not_allowed",
    "not_acceptable",
    "conflict",
    "gone",
    "length_required",
    "too_large",
    "unsupported_media_type",
    "upstream_failed",
    "unavailable",
    "server_error",
)
RATE_LIMIT_HEADERS = {
    "Retry-After": "Seconds to wait before trying again.",
    "RateLimit-Limit": "Requests (or failed attempts) the window allows.",
    "RateLimit-Remaining": "Requests left in the window: 0 on a 429.",
    "RateLimit-Reset": "Seconds until the window resets.",
}
CLOSED: set[str] = set()  # component names whose objects take no other properties
OVERLAPPING: set[str] = set()  # unions whose members a value may match several of: anyOf


def closed(serializer: type[serializers.Serializer]) -> type[serializers.Serializer]:
    CLOSED.add(serializer.__name__.removesuffix("Serializer"))
    return serializer


def enum_field(name: str, *values: str) -> StrictChoiceField:
    """A field of these values only, with its own enum component `name` (a `code`, a
    `provider`): its own type in a generated client, and never an enum named after the field."""
    return _enum_class(name, values)(values)


@cache
def _enum_class(name: str, values: tuple[str, ...]) -> type[StrictChoiceField]:
    """One class per component: spectacular tells components apart by the class."""

    @extend_schema_field({"type": "string", "enum": list(values)}, component_name=name)
    class Enum(StrictChoiceField):
        pass

    return Enum


@closed
class ErrorSerializer(serializers.Serializer):
    message = serializers.CharField()
    code = enum_field("ErrorCode", *ERROR_CODES)
    # Their values are the apps' vocabularies, named by each app when it is ready
    # (error_vocabulary): the shared layer knows no app.
    reason = serializers.ChoiceField(
        choices=(), required=False, help_text="Why the storage refused, when it did."
    )
    status = serializers.ChoiceField(
        choices=(), required=False, help_text="The bot's status, when it matters."
    )


def error_vocabulary(field: str, values) -> None:
    """An app names the values the error shape's `field` takes (the storage reasons, the bot
    statuses), before any schema is drawn."""
    declared = ErrorSerializer._declared_fields[field]
    ErrorSerializer._declared_fields[field] = type(declared)(
        *declared._args, **{**declared._kwargs, "choices": values}
    )


@closed
class ValidationErrorSerializer(serializers.Serializer):
    """A 400: `errors` names each invalid field; a body that is not JSON has only a message."""

    message = serializers.CharField()
    code = enum_field("InvalidRequestCode", "invalid_request")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False
    )


@closed
class ThrottledSerializer(serializers.Serializer):
    message = serializers.CharField()
    code = enum_field("ThrottledCode", "throttled")
    retry_after = serializers.IntegerField()


def error(
    description: str,
    *shapes: type[serializers.Serializer],
    name: str = "",
    examples: dict[str, dict],
) -> OpenApiResponse:
    """One status's error response: a shape, or several told apart by `code` (then `name`
    names their oneOf), with real bodies as its examples (title → body): the docs page shows
    those, not a body made up of every field of every shape."""
    if len(shapes) > 1:
        shape = one_of(name, *shapes)
    else:
        shape = shapes[0] if shapes else ErrorSerializer
    shown = [OpenApiExample(title, value=body) for title, body in examples.items()]
    return OpenApiResponse(shape, description=description, examples=shown)


def example(message: str, code: str, **fields) -> dict:
    """An error body, as the API answers it."""
    return {"message": message, "code": code, **fields}


def one_of(name: str, *shapes, overlapping: bool = False) -> PolymorphicProxySerializer:
    """A union component; `overlapping` when one value can fit several members (an empty
    list fits every list), so it is an anyOf."""
    if overlapping:
        OVERLAPPING.add(name)
    return PolymorphicProxySerializer(
        component_name=name, serializers=list(shapes), resource_type_field_name=None, many=False
    )


def whole_number(low: int, high: int) -> dict:
    """A query parameter's schema: a whole number from `low` to `high`."""
    return {"type": "integer", "minimum": low, "maximum": high}


INVALID = error(
    "Invalid input: `errors` names each field.",
    ValidationErrorSerializer,
    examples={
        "A field out of range": example(
            "Invalid request. page_size: Use a whole number from 1 to 100.",
            "invalid_request",
            errors={"page_size": ["Use a whole number from 1 to 100."]},
        )
    },
)
NOT_FOUND = error(
    "No such bot for this tenant.",
    examples={"No such bot": example("Bot not found.", "not_found")},
)
UNSUPPORTED = error(
    "The body is not `application/json`.",
    examples={"Not JSON": example(UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")},
)
UNAUTHORIZED = error(
    "Missing or invalid credentials: the message says how to send them.",
    examples={
        "No key": example(
            "Authentication credentials were not provided. Send the API key as "
            "'Authorization: Token <API key>'.",
            "not_authenticated",
        ),
        "A wrong key": example("Invalid API key.", "authentication_failed"),
    },
)
TOO_MANY_REQUESTS = error(
    "Too many requests, or too many failed authentications from this address: wait "
    "`Retry-After` seconds.",
    ThrottledSerializer,
    examples={
        "Failed authentications": example(
            "Too many failed authentication attempts. Try again in 42 seconds.",
            "throttled",
            retry_after=42,
        )
    },
)


class AutoSchema(openapi.AutoSchema):
    """Every authenticated operation also documents its 401 and its 429 (with the rate-limit
    headers); a body is required unless the view has `body_optional`."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if self._parses_a_body():
            responses["415"] = self._get_response_for_code(UNSUPPORTED, "415", None, direction)
        if self.get_auth():
            for status, response in (("401", UNAUTHORIZED), ("429", TOO_MANY_REQUESTS)):
                responses[status] = self._get_response_for_code(response, status, None, direction)
        return responses

    def _parses_a_body(self) -> bool:
        """A JSON body DRF parses, so another media type is a 415 (a streamed body is not)."""
        takes_body = self.method in {"PUT", "POST", "PATCH"}
        return takes_body and self.get_request_serializer() is not None and self.view.get_parsers()

    def _get_response_headers_for_code(self, status_code, direction="response"):
        headers = super()._get_response_headers_for_code(status_code, direction)
        if status_code == "429":
            for name, description in RATE_LIMIT_HEADERS.items():
                headers[name] = {
                    "schema": {"type": "integer", "minimum": 0},
                    "description": description,
                    "required": True,
                }
        return headers

    def _get_request_body(self, direction="request"):
        body = super()._get_request_body(direction)
        if body:
            # spectacular cannot tell for a oneOf of bodies: say it.
            body["required"] = not getattr(self.view, "body_optional", False)
        return body
