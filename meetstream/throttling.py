from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle


class TenantRateThrottle(SimpleRateThrottle):
    """Per-tenant rate for one scope; the rate is read per request so settings can change it."""

    def get_rate(self) -> str:
        return settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][self.scope]

    def get_cache_key(self, request, view) -> str | None:
        if not getattr(request.user, "is_authenticated", False):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class StorageConfigWriteThrottle(TenantRateThrottle):
    # Each write runs a live check that calls out of our network.
    scope = "storage_config_write"
