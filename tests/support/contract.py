"""Every API response a test receives must be one its schema documents: the status, the
headers it promises and the body, validated strictly (openapi-core: `oneOf` means exactly
one, closed shapes refuse other fields, formats are checked)."""

import json
from functools import cache

from django.conf import settings
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from drf_spectacular.settings import patched_settings
from openapi_core import OpenAPI
from openapi_core.contrib.django import DjangoOpenAPIRequest, DjangoOpenAPIResponse
from openapi_core.templating.paths.exceptions import PathError

PUBLIC, INTERNAL = "/api/v1/", "/internal/v1/"


@cache
def schema(internal: bool = False) -> dict:
    """The schema as /api/schema/ (or /internal/schema/) serves it, as JSON."""
    if internal:
        with patched_settings(settings.INTERNAL_SCHEMA_SETTINGS):
            generated = SchemaGenerator(urlconf="bots.recorder.urls").get_schema(public=True)
    else:
        generated = SchemaGenerator().get_schema(public=True)
    return json.loads(OpenApiJsonRenderer().render(generated))


class _Request(DjangoOpenAPIRequest):
    """The request as a response's validation needs it: never its body, which the view may
    have streamed away."""

    body = b""


@cache
def _validator(internal: bool) -> OpenAPI:
    return OpenAPI.from_dict(schema(internal))


def response_check(response) -> None:
    """Raise AssertionError when an API response breaks its operation's schema. A method or
    path the schema does not have (a 405, an unknown path's 404) is not an operation."""
    request = response.wsgi_request
    if not request.path.startswith((PUBLIC, INTERNAL)):
        return
    validator = _validator(request.path.startswith(INTERNAL))
    try:
        validator.validate_response(_Request(request), DjangoOpenAPIResponse(response))
    except PathError:
        return
    except Exception as broken:
        causes = [str(cause) for cause in _causes(broken)]
        raise AssertionError(
            f"{request.method} {request.get_full_path()} answered {response.status_code}, "
            f"which its schema does not allow: {'; '.join(causes)}"
        ) from None


def _causes(error: BaseException):
    yield error
    yield from getattr(error, "schema_errors", None) or ()
    if error.__cause__ is not None:
        yield from _causes(error.__cause__)


_WEBHOOKS = {
    "storage.delivered": "StorageDeliveredWebhook",
    "storage.fallback_used": "StorageFallbackUsedWebhook",
    "storage.config_invalid": "StorageConfigInvalidWebhook",
    "storage.config_restored": "StorageConfigRestoredWebhook",
}


def webhook_check(payload: dict) -> dict:
    """Raise when a storage webhook's body breaks the component the schema documents it by
    (OpenAPI 3.0 has no webhooks: each body is a component named after its event)."""
    from openapi_schema_validator import OAS30Validator

    schemas = schema()["components"]["schemas"]

    def resolved(node):
        if isinstance(node, dict):
            if "$ref" in node:
                return resolved(schemas[node["$ref"].rsplit("/", 1)[-1]])
            return {key: resolved(value) for key, value in node.items()}
        return [resolved(item) for item in node] if isinstance(node, list) else node

    component = resolved(schemas[_WEBHOOKS[payload["event"]]])
    errors = [error.message for error in OAS30Validator(component).iter_errors(payload)]
    assert not errors, f"{payload['event']} breaks its schema: {errors}"
    return payload
