import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.exceptions import AuthenticationFailed, Throttled
from rest_framework.throttling import SimpleRateThrottle


class RateLimited(Throttled):
    """A 429 that knows its window's limit, for the RateLimit-* headers."""

    def __init__(self, *, wait: float, limit: int, detail: str | None = None) -> None:
        super().__init__(wait=wait, detail=detail)
        self.limit = limit


class TenantRateThrottle(SimpleRateThrottle):
    """Per-tenant rate for one scope; the rate is read per request so settings can change it."""

    def allow_request(self, request, view) -> bool:
        if super().allow_request(request, view):
            return True
        raise RateLimited(wait=self.wait(), limit=self.num_requests)

    def get_rate(self) -> str:
        return settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][self.scope]

    def get_cache_key(self, request, view) -> str | None:
        if not getattr(request.user, "is_authenticated", False):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class StorageConfigWriteThrottle(TenantRateThrottle):
    # Each write runs a live check that calls out of our network.
    scope = "storage_config_write"


def auth_failure(scope: str, request, message: str) -> AuthenticationFailed | RateLimited:
    """Count a failed attempt of this client address this minute: 401, or 429 past the limit.

    Only failures are counted and refused, so a valid credential from the same address still
    gets in while someone there guesses.
    """
    window, elapsed = divmod(int(time.time()), 60)
    key = f"auth-failures:{scope}:{request.META.get('REMOTE_ADDR', '')}:{window}"
    cache.add(key, 0, timeout=120)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=120)
        count = 1
    if count > settings.AUTH_FAILURES_PER_MINUTE:
        return RateLimited(
            wait=60 - elapsed,
            limit=settings.AUTH_FAILURES_PER_MINUTE,
            detail="Too many failed authentication attempts.",
        )
    return AuthenticationFailed(message)
