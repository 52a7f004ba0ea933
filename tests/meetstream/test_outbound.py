"""The egress guard: which URLs parse, which addresses are refused, lookups bounded per call."""

import ipaddress
import socket
import threading
import time

import pytest
import requests

from meetstream.shared import outbound
from meetstream.shared.errors import RuleError
from storageconfig.backends.aws import objects, s3
from storageconfig.models import StorageConfig
from tests.support.api import PUT
from tests.support.listeners import Receiver
from tests.support.media import create_bot_request

PRIVATE = [
    "http://127.0.0.1:9000",
    "http://localhost:9000",
    "http://[::1]:9000",
    "http://10.1.2.3",
    "http://172.16.0.1",
    "http://172.31.255.254",
    "http://192.168.1.10",
    "http://169.254.169.254",
    "http://0.0.0.0",
    "http://100.64.0.1",
    "http://224.0.0.1",
    "http://240.0.0.1",
    "http://[::ffff:127.0.0.1]",
    "http://[::ffff:10.0.0.1]",
    "http://[fe80::1]",
    "http://[fc00::1]",
    "http://2130706433",  # 127.0.0.1 as one decimal number
    "http://0177.0.0.1",  # 127.0.0.1 in octal
    "http://0x7f.0.0.1",
    # IPv4 inside IPv6: compatible, NAT64 (well-known and local-use), translated, 6to4.
    "http://[::127.0.0.1]",
    "http://[64:ff9b::10.0.0.1]",
    "http://[64:ff9b::a9fe:a9fe]",
    "http://[64:ff9b:1:7f00:0:100::]",
    "http://[::ffff:0:127.0.0.1]",
    "http://[2002:7f00:1::]",
    "http://[fec0::1]",
    "http://[2001::1]",  # Teredo
]


@pytest.fixture
def guarded(settings):
    settings.STORAGE_ALLOW_PRIVATE_ENDPOINTS = False


@pytest.mark.parametrize("url", PRIVATE)
def test_an_endpoint_resolving_to_a_private_address_is_refused(guarded, url):
    with pytest.raises(outbound.EgressRefused, match="to public addresses only"):
        outbound.url_vet(url)


@pytest.mark.parametrize(
    "address",
    ["8.8.8.8", "::ffff:8.8.8.8", "64:ff9b::8.8.8.8", "64:ff9b:1:808:8:800::", "2606:4700::1111"],
)
def test_a_public_address_passes_also_when_carried_in_ipv6(address):
    assert outbound.address_class(ipaddress.ip_address(address)) is None


ONE_MESSAGE = "The host '{}' cannot be used: it must resolve, within 2 s, to public addresses only."


@pytest.mark.parametrize(
    ("host", "why"),
    [
        ("innocent.example.com", "resolves to a private address"),
        ("localhost", "resolves to a loopback address"),
        ("no-such-host.invalid", "does not resolve"),
    ],
)
def test_every_refused_host_gets_one_message_and_only_the_log_says_why(
    guarded, monkeypatch, caplog, host, why
):
    _resolve_to(monkeypatch, {"innocent.example.com": ["10.0.0.5"]})

    with pytest.raises((outbound.EgressRefused, outbound.HostUnresolved)) as refused:
        outbound.url_vet(f"https://{host}:1")

    assert str(refused.value) == ONE_MESSAGE.format(host)
    assert why in caplog.text


def test_a_host_name_with_one_private_address_among_public_ones_is_refused(guarded, monkeypatch):
    _resolve_to(monkeypatch, {"mixed.example.com": ["93.184.215.14", "192.168.0.7"]})

    with pytest.raises(outbound.EgressRefused):
        outbound.url_vet("https://mixed.example.com")


def test_a_public_address_passes(guarded):
    outbound.url_vet("https://93.184.215.14")


def test_a_host_that_does_not_resolve_is_refused(guarded):
    with pytest.raises(outbound.HostUnresolved, match="cannot be used"):
        outbound.url_vet("https://no-such-host.invalid")


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://127.0.0.1:8198\\@8.8.8.8/hook", "backslash"),
        ("http://user:pw@example.com/hook", "user name"),
        ("http://example.com@8.8.8.8/hook", "user name"),
        ("http://exa\tmple.com/hook", "control"),
        ("ftp://example.com/hook", "http"),
        ("http://example.com:99999/hook", "port"),
        ("http://example.com:0/hook", "port"),
    ],
)
def test_urls_two_parsers_could_read_differently_are_refused(url, problem):
    with pytest.raises(RuleError, match=problem):
        outbound.url_parse(url)


def test_a_backslash_callback_url_is_refused_and_nothing_reaches_the_host_it_hides(api):
    hidden = Receiver()
    try:
        url = f"http://127.0.0.1:{hidden.port}\\@8.8.8.8/hook"
        response = create_bot_request(api, callback_url=url)
    finally:
        hidden.stop()

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["callback_url"]
    assert "backslash" in response.json()["errors"]["callback_url"][0]
    assert hidden.received == []


@pytest.mark.parametrize(
    "callback_url",
    ["http://example.com:99999/hook", "ftp://example.com/hook", "http://u:p@example.com/h"],
)
def test_a_bad_callback_url_is_a_400_naming_the_field(api, callback_url):
    response = create_bot_request(api, callback_url=callback_url)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["callback_url"]


@pytest.mark.parametrize(
    "endpoint_url",
    ["http://127.0.0.1:9000\\@8.8.8.8", "http://s3.example.com:70000", "gopher://s3.example.com"],
)
def test_a_bad_endpoint_url_is_a_400_naming_the_field(api, config_body, endpoint_url):
    response = api.put(PUT, config_body(endpoint_url=endpoint_url), format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["endpoint_url"]
    assert not StorageConfig.objects.exists()


def test_the_api_refuses_a_private_endpoint_before_any_check(
    guarded, api, config_body, silent_endpoint
):
    response = api.put(PUT, config_body(endpoint_url=silent_endpoint), format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["endpoint_url"]
    assert response.json()["errors"]["endpoint_url"] == [ONE_MESSAGE.format("127.0.0.1")]
    assert not StorageConfig.objects.exists()


def test_private_endpoints_pass_when_allowed(api, config_body):
    assert api.put(PUT, config_body(), format="json").status_code == 200


@pytest.mark.slow
def test_a_hanging_lookup_delays_no_other_name(guarded, monkeypatch):
    release = threading.Event()
    real = socket.getaddrinfo

    def resolver(host, port, *args, **kwargs):
        if host == "slow.example.com":
            release.wait(30)
        if host == "fast.example.com":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    slow: list[BaseException] = []

    def look_up_slow() -> None:
        try:
            outbound.url_vet("https://slow.example.com")
        except RuleError as refused:
            slow.append(refused)

    hanging = [threading.Thread(target=look_up_slow) for _ in range(8)]
    try:
        for thread in hanging:
            thread.start()
        time.sleep(0.2)  # every slow lookup is waiting now

        started = time.monotonic()
        outbound.url_vet("https://fast.example.com")
        outbound.url_vet("https://93.184.215.14")
        elapsed = time.monotonic() - started
        for thread in hanging:
            thread.join(timeout=10)
    finally:
        release.set()

    assert elapsed < 0.5
    assert len(slow) == 8 and all("cannot be used" in str(e) for e in slow)


def _resolve_to(monkeypatch, names: dict[str, list[str]]) -> None:
    real = socket.getaddrinfo

    def resolver(host, port, *args, **kwargs):
        if host in names:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port)) for ip in names[host]]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolver)


def test_a_name_that_does_not_resolve_at_upload_time_is_worth_a_retry():
    target = s3.S3Target("bucket", "us-east-1", "http://no-such-host.invalid:9000", "AKIAX", "x")
    client = s3.client(target, purpose="check")

    with pytest.raises(s3.StorageError) as failed:
        objects.object_put(client, target, key="p/x", body=b"x", content_type="text/plain")

    assert (failed.value.reason, failed.value.retryable) == ("endpoint_unreachable", True)


def test_a_refused_address_at_upload_time_is_final(guarded, monkeypatch):
    _resolve_to(monkeypatch, {"bucket.example.com": ["127.0.0.1"]})
    target = s3.S3Target("bucket", "us-east-1", "http://bucket.example.com:9", "AKIAX", "x")
    client = s3.client(target, purpose="check")

    with pytest.raises(s3.StorageError) as failed:
        objects.object_put(client, target, key="p/x", body=b"x", content_type="text/plain")

    assert (failed.value.reason, failed.value.retryable) == ("endpoint_refused", False)
    assert failed.value.message.endswith(ONE_MESSAGE.format("bucket.example.com"))


def _certificate(tmp_path, name: str) -> tuple[str, str]:
    """A self-signed certificate for `name` and its key, as PEM files."""
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_file), str(key_file)


def test_a_vetted_tls_connection_keeps_the_host_name_for_sni_the_certificate_and_host(
    tmp_path, monkeypatch
):
    import ssl
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    cert_file, key_file = _certificate(tmp_path, "secure.example.test")
    seen: dict[str, str] = {}
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)

    def sni(sock, name, ctx) -> None:
        seen.setdefault("sni", name)

    context.sni_callback = sni

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            seen["host"] = self.headers["Host"]
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    _resolve_to(
        monkeypatch, {"secure.example.test": ["127.0.0.1"], "other.example.test": ["127.0.0.1"]}
    )
    http = outbound.session()
    try:
        answered = http.get(f"https://secure.example.test:{port}/", verify=cert_file, timeout=5)
        with pytest.raises(requests.exceptions.SSLError):
            http.get(f"https://other.example.test:{port}/", verify=cert_file, timeout=5)
    finally:
        http.close()
        server.shutdown()
        server.server_close()

    assert answered.status_code == 204
    assert seen == {"sni": "secure.example.test", "host": f"secure.example.test:{port}"}
