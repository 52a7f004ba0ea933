"""The schema generator's hooks, named in SPECTACULAR_SETTINGS: the customer's schema leaves
the recorder's routes out, and the error shapes are closed and told apart by `code`."""

from meetstream.shared.schema import CLOSED, OVERLAPPING
from meetstream.shared.serializers import StrictSerializer


def public_endpoints(endpoints: list, **kwargs) -> list:
    """The customer's schema leaves the recorder's API out: it has its own."""
    return [endpoint for endpoint in endpoints if not endpoint[0].startswith("/internal/")]


def closed_shapes(result: dict, generator, request, public) -> dict:
    """Close the error shapes, name the `code` each `oneOf` of them is told apart by, and let
    every operation share one 401 and one 429 response."""
    schemas = result.get("components", {}).get("schemas", {})
    for name in (CLOSED | _strict_requests()) & set(schemas):
        schemas[name]["additionalProperties"] = False
    for name in [name for name in schemas if name.endswith("Request")]:
        _defaults_described(schemas[name])
    shared = result.setdefault("components", {}).setdefault("responses", {})
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.get("responses", {})
            for status, name in (("401", "Unauthorized"), ("429", "TooManyRequests")):
                if status in responses:
                    shared[name] = responses[status]
                    responses[status] = {"$ref": f"#/components/responses/{name}"}
    for name in OVERLAPPING & set(schemas):
        schemas[name]["anyOf"] = schemas[name].pop("oneOf")
    for schema in schemas.values():
        members = [member.get("$ref", "").rsplit("/", 1)[-1] for member in schema.get("oneOf", [])]
        if members and all(
            "code" in schemas.get(name, {}).get("properties", {}) for name in members
        ):
            mapping = {
                code: f"#/components/schemas/{name}"
                for name in members
                for code in _enum(schemas, schemas[name]["properties"]["code"])
            }
            schema["discriminator"] = {"propertyName": "code", "mapping": mapping}
    return result


def _enum(schemas: dict, schema: dict) -> list[str]:
    if "$ref" in schema:
        return _enum(schemas, schemas[schema["$ref"].rsplit("/", 1)[-1]])
    return schema["enum"]


def _defaults_described(schema: dict) -> None:
    """A request field the server defaults is said to default in words, not by `default`:
    openapi-typescript makes a field with a `default` required, and a client would have to
    send what the server would fill in."""
    for field in schema.get("properties", {}).values():
        if "default" in field:
            said = f"Default: `{field.pop('default')}`."
            field["description"] = (
                f"{field['description']}\n\n{said}" if "description" in field else said
            )


def _strict_requests() -> set[str]:
    """The request components of serializers that refuse unknown fields (StrictSerializer)."""
    names, classes = set(), [StrictSerializer]
    while classes:
        serializer = classes.pop()
        classes.extend(serializer.__subclasses__())
        names.add(serializer.__name__.removesuffix("Serializer") + "Request")
    return names
