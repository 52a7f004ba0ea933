"""Refuses customer endpoints that point into our own network (server-side request forgery)."""

import ipaddress
import socket
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from urllib.parse import urlsplit

from django.conf import settings

from meetstream.errors import RuleError

DNS_TIMEOUT_SECONDS = 2.0
_resolver = ThreadPoolExecutor(max_workers=4, thread_name_prefix="endpoint-dns")


def address_is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        mapped = address.ipv4_mapped or address.sixtofour
        if mapped is not None:
            return address_is_public(mapped)
    return address.is_global and not address.is_multicast


def _resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [info[4][0] for info in infos]


def endpoint_guard(endpoint_url: str) -> None:
    """Raise RuleError unless every address the endpoint's host resolves to is public."""
    if settings.STORAGE_ALLOW_PRIVATE_ENDPOINTS:
        return
    parts = urlsplit(endpoint_url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    future = _resolver.submit(_resolve, host, port)
    try:
        addresses = future.result(timeout=DNS_TIMEOUT_SECONDS)
    except FutureTimeout:
        raise RuleError(f"The endpoint host '{host}' did not resolve within 2 s.") from None
    except (OSError, UnicodeError):
        raise RuleError(f"The endpoint host '{host}' does not resolve.") from None
    for raw in addresses:
        address = ipaddress.ip_address(raw.split("%", 1)[0])
        if not address_is_public(address):
            raise RuleError(
                f"The endpoint host '{host}' resolves to a private, loopback, link-local "
                "or reserved address, which is not allowed."
            )
