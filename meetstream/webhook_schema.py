"""The payloads of the storage webhooks, as OpenAPI components (APPEND_COMPONENTS).

OpenAPI 3.0 cannot declare webhooks, so each event's body is a component named after it; the
schema's description says so. Plain data: settings imports it before the apps load.
"""

_STRING, _INT, _BOOL = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
_TIME = {"type": "string", "format": "date-time"}
_REASON = {"$ref": "#/components/schemas/StorageReasonEnum"}


def _closed(properties: dict, nullable: tuple[str, ...] = ()) -> dict:
    shown = {
        name: {**schema, "nullable": True} if name in nullable else schema
        for name, schema in properties.items()
    }
    return {
        "type": "object",
        "properties": shown,
        "required": list(properties),
        "additionalProperties": False,
    }


def _event(name: str, data: dict, *, tenant: bool = False) -> dict:
    """The envelope every event shares; a tenant's event has no bot (`bot_id` null)."""
    envelope = {
        "event": {"type": "string", "pattern": f"^{name.replace('.', '[.]')}$"},
        "bot_id": _STRING,
        "message": _STRING,
        "timestamp": _TIME,
        "data": data,
    }
    if not tenant:
        envelope["bot_status"] = _STRING
    return _closed(envelope, nullable=("bot_id",) if tenant else ())


_DELIVERED_OBJECT = _closed(
    {"key": _STRING, "size": _INT, "sha256": _STRING, "etag": _STRING, "version_id": _STRING},
    nullable=("version_id",),
)
# `name`: the named configuration the check is of; null: the default one.
_WHERE = {"checked_at": _TIME, "name": _STRING, "provider": _STRING, "bucket": _STRING}

WEBHOOK_COMPONENTS = {
    "StorageDeliveredWebhook": _event(
        "storage.delivered",
        _closed(
            {
                "bot_id": _STRING,
                "complete": _BOOL,
                "provider": _STRING,
                "bucket": _STRING,
                "objects": {"type": "array", "items": _DELIVERED_OBJECT},
            }
        ),
    ),
    "StorageFallbackUsedWebhook": _event(
        "storage.fallback_used",
        _closed(
            {
                "bucket": _STRING,
                "files": {
                    "type": "array",
                    "items": _closed({"file": _STRING, "key": _STRING, "reason": _REASON}),
                },
            }
        ),
    ),
    "StorageConfigInvalidWebhook": _event(
        "storage.config_invalid",
        _closed(
            {"check": _STRING, "reason": _REASON, "message": _STRING, **_WHERE},
            nullable=("name",),
        ),
        tenant=True,
    ),
    "StorageConfigRestoredWebhook": _event(
        "storage.config_restored", _closed(_WHERE, nullable=("name",)), tenant=True
    ),
}
