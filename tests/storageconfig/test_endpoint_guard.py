import socket

import pytest

from meetstream.errors import RuleError
from storageconfig.endpoint_guard import endpoint_guard
from storageconfig.models import StorageConfig

PUT = "/api/v1/admin/configs?config_type=storage"

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
]


@pytest.fixture
def guarded(settings):
    settings.STORAGE_ALLOW_PRIVATE_ENDPOINTS = False


@pytest.mark.parametrize("url", PRIVATE)
def test_an_endpoint_resolving_to_a_private_address_is_refused(guarded, url):
    with pytest.raises(RuleError, match="not allowed"):
        endpoint_guard(url)


def test_a_host_name_resolving_to_a_private_address_is_refused(guarded, monkeypatch):
    def resolve(host, port, *args, **kwargs):
        assert host == "innocent.example.com"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.5", port))]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)

    with pytest.raises(RuleError, match=r"innocent\.example\.com"):
        endpoint_guard("https://innocent.example.com")


def test_a_host_name_with_one_private_address_among_public_ones_is_refused(guarded, monkeypatch):
    addresses = ["93.184.215.14", "192.168.0.7"]
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, port, *a, **k: [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port)) for ip in addresses
        ],
    )

    with pytest.raises(RuleError):
        endpoint_guard("https://mixed.example.com")


def test_a_public_address_passes(guarded):
    endpoint_guard("https://93.184.215.14")


def test_a_host_that_does_not_resolve_is_refused(guarded):
    with pytest.raises(RuleError, match="does not resolve"):
        endpoint_guard("https://no-such-host.invalid")


def test_the_api_refuses_a_private_endpoint_before_any_check(
    guarded, api, config_body, silent_endpoint
):
    response = api.put(PUT, config_body(endpoint_url=silent_endpoint), format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["endpoint_url"]
    assert "not allowed" in response.json()["errors"]["endpoint_url"][0]
    assert not StorageConfig.objects.exists()


def test_private_endpoints_pass_when_allowed(api, config_body):
    assert api.put(PUT, config_body(), format="json").status_code == 200
