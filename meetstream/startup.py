"""What every process checks before it serves: outside DEBUG, real secrets must be set; and
the web and the worker need a broker, or uploads would run inside web requests."""

import os
import secrets
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from meetstream.shared.env import REQUIRED_SECRETS

DEMO_SECRETS = "demo-secrets.env"


def fernet_key_problems() -> list[tuple[str, str]]:
    """(check id, problem) for each FERNET_KEYS key that would not keep credentials secret."""
    problems = []
    for position, key in enumerate(settings.FERNET_KEYS, start=1):
        if key == settings.SECRET_KEY:
            problems.append(("meetstream.E001", f"FERNET_KEYS key {position} is the SECRET_KEY."))
        elif key == settings.DEV_SECRET_KEY:
            problems.append(
                ("meetstream.E002", f"FERNET_KEYS key {position} is a known development value.")
            )
    return problems


def production_secrets_require() -> None:
    """Stop, naming the variables, when DEBUG is off and a secret was left to its default or
    FERNET_KEYS holds a key that is no secret of its own."""
    if settings.DEBUG:
        return
    if missing := settings.SECRETS_DEFAULTED:
        raise ImproperlyConfigured(
            f"{' and '.join(missing)} must be set when DEBUG is false: the defaults are public. "
            "See docs/operations.md, Environment."
        )
    if problems := fernet_key_problems():
        raise ImproperlyConfigured(
            f"{problems[0][1]} Give FERNET_KEYS random keys of their own when DEBUG is false: "
            "a leaked SECRET_KEY must not also decrypt every stored credential."
        )


def broker_require() -> None:
    """Stop when no broker is configured (the in-memory one reaches no worker)."""
    if settings.CELERY_BROKER_URL.startswith("memory://"):
        raise ImproperlyConfigured(
            "REDIS_URL must be set: uploads, retries and webhooks run on Celery workers through "
            "it. (`make run` starts its own broker and worker.)"
        )


def demo_secrets_load(var_dir: Path) -> None:
    """`make run`'s secrets: made once into var/ (mode 0600) and reused, so restarts decrypt.

    Runs before Django reads its settings; variables already set are left alone.
    """
    path = var_dir / DEMO_SECRETS
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        lines = "".join(f"{name}={secrets.token_urlsafe(48)}\n" for name in REQUIRED_SECRETS)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another start made it first
        else:
            with os.fdopen(descriptor, "w") as out:
                out.write(lines)
    for line in path.read_text().splitlines():
        name, _, value = line.partition("=")
        if name in REQUIRED_SECRETS and value:
            os.environ.setdefault(name, value)
