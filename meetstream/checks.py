"""This project's own `manage.py check --deploy` checks."""

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def fernet_keys_check(app_configs=None, **kwargs) -> list[Error]:
    """Credentials at rest are only as secret as the key: not the SECRET_KEY, not a known one."""
    known = {settings.DEV_SECRET_KEY}
    errors = []
    for position, key in enumerate(settings.FERNET_KEYS, start=1):
        if key == settings.SECRET_KEY:
            errors.append(
                Error(
                    f"FERNET_KEYS key {position} is the SECRET_KEY.",
                    hint="Give FERNET_KEYS a key of its own: a leaked SECRET_KEY must not "
                    "also decrypt every stored credential.",
                    id="meetstream.E001",
                )
            )
        elif key in known:
            errors.append(
                Error(
                    f"FERNET_KEYS key {position} is a known development value.",
                    hint="Generate a random key, e.g. python -c 'import secrets; "
                    "print(secrets.token_urlsafe(48))'.",
                    id="meetstream.E002",
                )
            )
    return errors
