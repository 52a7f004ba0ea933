"""This project's own `manage.py check --deploy` checks."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from meetstream.startup import fernet_key_problems


@register(Tags.security, deploy=True)
def fernet_keys_check(app_configs=None, **kwargs) -> list[Error]:
    """Credentials at rest are only as secret as the key: not the SECRET_KEY, not a known one."""
    hints = {
        "meetstream.E001": "Give FERNET_KEYS a key of its own: a leaked SECRET_KEY must not "
        "also decrypt every stored credential.",
        "meetstream.E002": "Generate a random key, e.g. python -c 'import secrets; "
        "print(secrets.token_urlsafe(48))'.",
    }
    return [
        Error(problem, hint=hints[check_id], id=check_id)
        for check_id, problem in fernet_key_problems()
    ]


RECORDER_TOKEN_MIN_LENGTH = 32


@register(Tags.security, deploy=True)
def recorder_token_check(app_configs=None, **kwargs) -> list[Error]:
    """The recorder API hands over whole recordings: its token must exist and be unguessable."""
    token = settings.RECORDER_TOKEN
    if token and len(token) >= RECORDER_TOKEN_MIN_LENGTH:
        return []
    problem = "is not set: the recorder API refuses every call" if not token else "is short"
    return [
        Error(
            f"RECORDER_TOKEN {problem}.",
            hint=f"Set RECORDER_TOKEN to at least {RECORDER_TOKEN_MIN_LENGTH} random characters, "
            "e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))'.",
            id="meetstream.E003",
        )
    ]


@register(Tags.security, deploy=True)
def private_endpoints_check(app_configs=None, **kwargs) -> list[Warning]:
    if settings.STORAGE_ALLOW_PRIVATE_ENDPOINTS and not settings.DEBUG:
        return [
            Warning(
                "STORAGE_ALLOW_PRIVATE_ENDPOINTS is true with DEBUG false.",
                hint="Tenants may then point their storage at this network's private and "
                "loopback addresses (the demo's embedded S3 needs it; a deployment should not).",
                id="meetstream.W001",
            )
        ]
    return []


@register(deploy=True)
def platform_bucket_check(app_configs=None, **kwargs) -> list[Warning]:
    """A HeadBucket on the platform bucket, within 2 s: a warning, so that a deploy whose
    bucket is still being created is not blocked."""
    from storageconfig.checks import platform_bucket_probe

    failure = platform_bucket_probe()
    if failure is None:
        return []
    return [
        Warning(
            f"The platform bucket is unreachable ({failure.reason}): {failure.message}",
            hint="Check PLATFORM_S3_BUCKET, PLATFORM_S3_REGION, PLATFORM_S3_ENDPOINT_URL and the "
            "platform credentials; uploads without a custom bucket, and staging, need it.",
            id="meetstream.W002",
        )
    ]


@register(deploy=True)
def staging_bucket_check(app_configs=None, **kwargs) -> list[Warning]:
    """With STAGING_S3_BUCKET, a HeadBucket on it within 2 s: recorder files go nowhere else."""
    from bots.pipeline.staging import staging_bucket

    bucket = staging_bucket()
    if bucket is None or (failure := bucket.bucket_probe()) is None:
        return []
    return [
        Warning(
            f"The staging bucket is unreachable ({failure.reason}): {failure.message}",
            hint="Check STAGING_S3_BUCKET, PLATFORM_S3_REGION, PLATFORM_S3_ENDPOINT_URL and the "
            "platform credentials: every recorder upload is staged there.",
            id="meetstream.W003",
        )
    ]
