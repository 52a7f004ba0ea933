"""Typed readers for the environment: a bad value stops the process with a clear message."""

import os

from django.core.exceptions import ImproperlyConfigured

# Secrets every process outside the demo must be given (meetstream.startup).
REQUIRED_SECRETS = ("SECRET_KEY", "FERNET_KEYS")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}.")


def env_int(
    name: str,
    default: int | None,
    *,
    minimum: int = 0,
    maximum: int | None = None,
    alias: str | None = None,
):
    """`alias`: the variable's former name, read when the new one is not set."""
    if alias and not os.environ.get(name, "").strip() and os.environ.get(alias, "").strip():
        name = alias
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}.")
    if maximum is not None and value > maximum:
        raise ImproperlyConfigured(f"{name} must be at most {maximum}, not {value}.")
    return value


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = env_str(name, default) or default
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, not {value!r}.")
    return value


def env_header(name: str) -> str | None:
    """A request header named in the variable (`X-Forwarded-Proto`), as Django's META names it
    (`HTTP_X_FORWARDED_PROTO`); None when unset."""
    header = env_str(name)
    if not header:
        return None
    if not all(char.isalnum() or char == "-" for char in header):
        raise ImproperlyConfigured(f"{name} must be a header name like X-Forwarded-Proto.")
    return "HTTP_" + header.upper().replace("-", "_")
