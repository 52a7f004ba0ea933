from meetstream.shared.ids import api_key_hash
from meetstream.tenants.models import ApiKey


def api_key_get_active(*, plaintext: str) -> ApiKey | None:
    """The live key for a plain key; the lookup is by hash, so no key is compared byte by byte."""
    try:
        return ApiKey.objects.select_related("tenant").get(
            key_hash=api_key_hash(plaintext), revoked_at__isnull=True
        )
    except ApiKey.DoesNotExist:
        return None
