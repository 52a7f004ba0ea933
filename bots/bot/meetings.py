import re
from urllib.parse import urlsplit

from meetstream.shared.errors import RuleError

PLATFORM_HOSTS = {
    "zoom": ("zoom.us", "zoom.com", "zoomgov.com"),
    "google_meet": ("meet.google.com",),
    "teams": ("teams.microsoft.com", "teams.live.com", "teams.cloud.microsoft"),
}


# The links meeting_platform takes, for the schema (lowercase hosts; the check also takes others).
MEETING_LINK_PATTERN = (
    r"^https://([a-z0-9-]+\.)*("
    + "|".join(re.escape(domain) for domains in PLATFORM_HOSTS.values() for domain in domains)
    + r")(:[0-9]{1,5})?([/?#].*)?$"
)


def meeting_platform(link: str) -> str:
    """The platform a meeting link belongs to, from its host; RuleError when none does."""
    try:
        parts = urlsplit(link)
        parts.port  # noqa: B018 (urlsplit reads the port only when asked: "443*" is refused here)
    except ValueError:
        raise RuleError("The meeting link is not a valid URL.") from None
    host = (parts.hostname or "").lower().rstrip(".")
    if parts.scheme != "https" or not host:
        raise RuleError("The meeting link must be an https:// URL.")
    for platform, domains in PLATFORM_HOSTS.items():
        if any(host == domain or host.endswith(f".{domain}") for domain in domains):
            return platform
    raise RuleError("Unsupported meeting link: use a Zoom, Google Meet or Microsoft Teams link.")
