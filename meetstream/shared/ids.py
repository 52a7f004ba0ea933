"""Public identifiers: every prefixed id and every secret token is made here."""

import base64
import hashlib
import secrets

API_KEY_PREFIX = "ms_"


def public_id(kind: str) -> str:
    """A prefixed public id such as `ten_3f9c0a1b2c3d4e5f`."""
    return f"{kind}_{secrets.token_hex(8)}"


def new_tenant_id() -> str:
    return public_id("ten")


def new_external_id() -> str:
    """The ExternalId a tenant's IAM role must name: random, made by the platform (AWS's
    guard against a confused deputy: nobody else can ask us to assume that role)."""
    return f"ext_{secrets.token_hex(20)}"


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def new_webhook_secret() -> str:
    """Standard Webhooks' form: `whsec_` and the base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def new_webhook_message_id() -> str:
    return f"msg_{secrets.token_urlsafe(18)}"


def api_key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()
