"""Every connection to a tenant-supplied host: parsed once, resolved and vetted per connection.

A tenant names a host (an S3 `endpoint_url`, a `callback_url`); this module decides where we
actually connect. Each new connection resolves the name again, refuses it unless every address
is allowed, and connects to a vetted address itself, so a name that changes its answer after it
was checked (DNS rebinding) still reaches only an address that passed. The host name stays the
connection's host: it is sent as `Host` and used for TLS SNI and the certificate check.
"""

import ipaddress
import logging
import socket
import threading
import unicodedata
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass

import requests
from botocore.awsrequest import (
    AWSHTTPConnection,
    AWSHTTPConnectionPool,
    AWSHTTPSConnection,
    AWSHTTPSConnectionPool,
)
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3 import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import (
    ConnectTimeoutError,
    LocationParseError,
    NameResolutionError,
    NewConnectionError,
)
from urllib3.util import connection, parse_url

from meetstream.shared.errors import RuleError

logger = logging.getLogger(__name__)

DNS_TIMEOUT_SECONDS = 2.0
# Lookups of one name still running at once; past it, that name fails fast and others go on.
LOOKUPS_PER_HOST = 4

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_IPV4_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")
_SITE_LOCAL = ipaddress.ip_network("fec0::/10")


class EgressRefused(RuleError):
    """A destination we will not connect to."""

    reason = "endpoint_refused"


class HostUnresolved(RuleError):
    """The name did not resolve (in time): at a connection, a failure worth retrying."""


def _refusal(host: str, detail: str) -> str:
    """One message for every target refused, whether it did not resolve, resolved too slowly or
    to an address not allowed: telling them apart would answer DNS questions about the
    platform's network. The detail goes to the log only."""
    logger.info("Refused the host %r: %s", host, detail)
    return (
        f"The host '{host}' cannot be used: it must resolve, within {DNS_TIMEOUT_SECONDS:g} s, "
        "to public addresses only."
    )


@dataclass(frozen=True)
class Destination:
    scheme: str
    host: str
    port: int


def url_parse(raw: str) -> Destination:
    """Parse a tenant's URL the way urllib3 (under requests and botocore) will read it.

    What two parsers could read differently is refused rather than interpreted: a backslash,
    user info, control characters or spaces.
    """
    if any(char == "\\" or char.isspace() or unicodedata.category(char) == "Cc" for char in raw):
        raise RuleError("The URL may not contain backslashes, spaces or control characters.")
    try:
        parts = parse_url(raw)
    except LocationParseError:
        raise RuleError("Enter a valid http(s) URL with a port from 1 to 65535.") from None
    if parts.scheme not in {"http", "https"} or not raw.lower().startswith(parts.scheme + "://"):
        raise RuleError("The URL must start with http:// or https://.")
    if parts.auth is not None or "@" in (parts.netloc or ""):
        raise RuleError("The URL may not carry a user name or password.")
    if not parts.host:
        raise RuleError("The URL must name a host.")
    port = parts.port if parts.port is not None else (443 if parts.scheme == "https" else 80)
    if not 1 <= port <= 65535:
        raise RuleError("The URL's port must be from 1 to 65535.")
    return Destination(parts.scheme, parts.host.strip("[]"), port)


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, compatible, translated, 6to4, NAT64)."""
    carried = address.ipv4_mapped or address.sixtofour
    if carried is not None:
        return carried
    value = int(address)
    if any(address in net for net in (_NAT64, _IPV4_COMPATIBLE, _IPV4_TRANSLATED)):
        return ipaddress.IPv4Address(value & 0xFFFFFFFF)
    if address in _NAT64_LOCAL:
        # RFC 6052 with a /48 prefix: two octets before bits 64-71 (which stay zero), two after.
        high, low = (value >> 64) & 0xFFFF, (value >> 40) & 0xFFFF
        return ipaddress.IPv4Address(high << 16 | low)
    return None


def address_class(address: IPAddress) -> str | None:
    """None for an address we may connect to; else the kind of address, for messages."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return address_class(embedded)
        if address in _SITE_LOCAL:
            return "site-local"
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_multicast:
        return "multicast"
    if address.is_private:
        return "private"
    if not address.is_global:
        return "reserved"
    return None


_lookups: Counter[str] = Counter()
_lookups_lock = threading.Lock()


def resolve(host: str, port: int) -> list[IPAddress]:
    """The host's addresses, looked up in a thread of this call's own, bounded in time.

    A name whose lookups hang holds at most LOOKUPS_PER_HOST threads; no other name waits on it.
    """
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    with _lookups_lock:
        if _lookups[host] >= LOOKUPS_PER_HOST:
            raise HostUnresolved(_refusal(host, "too many lookups of it running"))
        _lookups[host] += 1
    answer: dict = {}
    done = threading.Event()

    def lookup() -> None:
        try:
            answer["infos"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as error:
            answer["error"] = error
        finally:
            with _lookups_lock:
                _lookups[host] -= 1
                if not _lookups[host]:
                    del _lookups[host]
            done.set()

    threading.Thread(target=lookup, name="outbound-dns", daemon=True).start()
    if not done.wait(DNS_TIMEOUT_SECONDS):
        raise HostUnresolved(_refusal(host, f"no answer within {DNS_TIMEOUT_SECONDS:g} s"))
    if "error" in answer or not answer["infos"]:
        raise HostUnresolved(_refusal(host, f"does not resolve ({answer.get('error')})"))
    return [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in answer["infos"]]


def destination_vet(host: str, port: int) -> list[IPAddress]:
    """Resolve the host now and return its addresses, or refuse unless every one is allowed."""
    addresses = resolve(host, port)
    if not settings.STORAGE_ALLOW_PRIVATE_ENDPOINTS:
        for address in addresses:
            kind = address_class(address)
            if kind is not None:
                raise EgressRefused(_refusal(host, f"resolves to a {kind} address"))
    return addresses


def url_vet(raw: str) -> Destination:
    """Parse a tenant's URL and vet its host now: what a PUT and a live check call."""
    destination = url_parse(raw)
    destination_vet(destination.host, destination.port)
    return destination


class Deadline:
    """One limit for a whole exchange, however the peer paces it: when it passes, every socket
    opened under it (`deadline`) is shut, which ends a blocked send or read at once. Per-call
    timeouts cannot do this: a peer that sends a byte before each one runs out never trips them.
    """

    def __init__(self, seconds: float) -> None:
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shut(sock)

    def cancel(self) -> None:
        self._timer.cancel()


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # closed already


_deadlines = threading.local()


@contextmanager
def deadline(seconds: float):
    """Connections this thread opens inside the block are shut when `seconds` have passed."""
    watch = Deadline(seconds)
    _deadlines.current = watch
    try:
        yield watch
    finally:
        _deadlines.current = None
        watch.cancel()


class _VettedConnectionMixin:
    """urllib3's connection, but the socket goes only to an address vetted at this moment."""

    def _new_conn(self) -> socket.socket:
        sock = self._vetted_conn()
        if (watch := getattr(_deadlines, "current", None)) is not None:
            watch.watch(sock)
        return sock

    def _vetted_conn(self) -> socket.socket:
        try:
            addresses = destination_vet(self.host.strip("[]"), self.port)
        except HostUnresolved as unresolved:
            # As urllib3 reports it, so clients retry it like any failed look-up.
            raise NameResolutionError(self.host, self, socket.gaierror(str(unresolved))) from None
        failure: OSError | None = None
        for address in addresses:
            try:
                return connection.create_connection(
                    (str(address), self.port),
                    self.timeout,
                    source_address=self.source_address,
                    socket_options=self.socket_options,
                )
            except TimeoutError as error:
                raise ConnectTimeoutError(
                    self, f"Connection to {self.host} timed out. (timeout={self.timeout})"
                ) from error
            except OSError as error:
                failure = error
        raise NewConnectionError(self, f"Failed to establish a new connection: {failure}")


def _vetted_pool(pool: type, connection_class: type) -> type:
    """The connection pool class, opening its connections through the vetting above."""
    vetted = type(
        f"Vetted{connection_class.__name__}", (_VettedConnectionMixin, connection_class), {}
    )
    return type(f"Vetted{pool.__name__}", (pool,), {"ConnectionCls": vetted})


# By scheme, as urllib3's PoolManager and botocore's URLLib3Session look pools up.
_POOLS = {
    "http": _vetted_pool(HTTPConnectionPool, HTTPConnection),
    "https": _vetted_pool(HTTPSConnectionPool, HTTPSConnection),
}
_BOTOCORE_POOLS = {
    "http": _vetted_pool(AWSHTTPConnectionPool, AWSHTTPConnection),
    "https": _vetted_pool(AWSHTTPSConnectionPool, AWSHTTPSConnection),
}


def botocore_connections_vet(client) -> None:
    """Make a boto3 client open every connection through the vetting above."""
    # botocore's URLLib3Session shares this dict with its pool managers; a botocore without it
    # fails here, loudly, rather than connect unvetted.
    client._endpoint.http_session._pool_classes_by_scheme.update(_BOTOCORE_POOLS)


def refusal_in(error: BaseException | None) -> EgressRefused | None:
    """The refusal behind an HTTP client's exception, however deep it was wrapped."""
    seen = 0
    while error is not None and seen < 8:
        if isinstance(error, EgressRefused):
            return error
        # botocore keeps the cause in `kwargs["error"]`, urllib3 and requests in __cause__.
        wrapped = getattr(error, "kwargs", None)
        error = (wrapped or {}).get("error") or error.__cause__ or error.__context__
        seen += 1
    return None


class _VettedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(_POOLS)


def session(*, connections: int = 10) -> requests.Session:
    """A requests session whose connections are vetted; no proxies from the environment. It
    keeps up to `connections` open to a host (requests' default: 10)."""
    vetted = requests.Session()
    vetted.trust_env = False
    adapter = _VettedAdapter(max_retries=0, pool_maxsize=connections)
    vetted.mount("http://", adapter)
    vetted.mount("https://", adapter)
    return vetted
