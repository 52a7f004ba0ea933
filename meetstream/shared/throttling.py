import logging
import time
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.template.defaultfilters import pluralize
from redis.exceptions import RedisError
from rest_framework.exceptions import AuthenticationFailed, ErrorDetail, Throttled
from rest_framework.throttling import SimpleRateThrottle

logger = logging.getLogger(__name__)
T = TypeVar("T")
# After the cache failed, it is left alone this long: requests do not each wait out its timeout.
CACHE_RETRY_SECONDS = 30.0
_cache_down_until = 0.0


def counted(count: Callable[[], T]) -> T | None:
    """`count()` against the shared cache the throttles count in; None while it is unreachable.

    The throttles fail open. API keys and recorder tokens are random 256-bit values, so a
    throttle bounds the load of guessing, not its odds; failing closed would refuse every
    caller, valid or not, for as long as Redis is away. It is logged, once per outage window.
    """
    global _cache_down_until
    if time.monotonic() < _cache_down_until:
        return None
    try:
        return count()
    except (RedisError, OSError) as exc:
        _cache_down_until = time.monotonic() + CACHE_RETRY_SECONDS
        logger.warning(
            "The throttles' cache is unreachable (%s): requests are not throttled for the next "
            "%d s",
            type(exc).__name__,
            CACHE_RETRY_SECONDS,
        )
        return None


def cache_down() -> bool:
    """Whether the throttles leave the cache alone now, after it failed."""
    return time.monotonic() < _cache_down_until


def cache_down_forget() -> None:
    """Try the cache again at the next request."""
    global _cache_down_until
    _cache_down_until = 0.0


class RateLimited(Throttled):
    """A 429 that knows its window's limit, for the RateLimit-* headers, and says in its own
    words (not DRF's "Expected available in...") when to try again."""

    def __init__(self, *, wait: float, limit: int, detail: str = "Too many requests.") -> None:
        super().__init__(wait=wait)
        seconds = max(1, self.wait or 1)
        self.detail = ErrorDetail(
            f"{detail} Try again in {seconds} second{pluralize(seconds)}.", self.default_code
        )
        self.limit = limit


class TenantRateThrottle(SimpleRateThrottle):
    """Per-tenant rate for one scope; the rate is read per request so settings can change it."""

    refusal = "Too many requests."

    def allow_request(self, request, view) -> bool:
        allowed = counted(lambda: super(TenantRateThrottle, self).allow_request(request, view))
        if allowed is not False:  # None: not counted, the cache is away (fail open)
            return True
        raise RateLimited(wait=self.wait(), limit=self.num_requests, detail=self.refusal)

    def get_rate(self) -> str:
        return settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][self.scope]

    def get_cache_key(self, request, view) -> str | None:
        if not getattr(request.user, "is_authenticated", False):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class StorageConfigWriteThrottle(TenantRateThrottle):
    # Each write runs a live check that calls out of our network.
    scope = "storage_config_write"
    refusal = "Too many storage configuration writes and checks for this tenant."


def auth_failure(scope: str, request, message: str) -> AuthenticationFailed | RateLimited:
    """Count a failed attempt of this client address this minute: 401, or 429 past the limit.

    Only failures are counted and refused, so a valid credential from the same address still
    gets in while someone there guesses.
    """
    window, elapsed = divmod(int(time.time()), 60)
    key = f"auth-failures:{scope}:{request.META.get('REMOTE_ADDR', '')}:{window}"
    count = counted(lambda: _failure_count(key)) or 0
    if count > settings.AUTH_FAILURES_PER_MINUTE:
        return RateLimited(
            wait=60 - elapsed,
            limit=settings.AUTH_FAILURES_PER_MINUTE,
            detail="Too many failed authentication attempts.",
        )
    return AuthenticationFailed(message)


def _failure_count(key: str) -> int:
    cache.add(key, 0, timeout=120)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=120)
        return 1
