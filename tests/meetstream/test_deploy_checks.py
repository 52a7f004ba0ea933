"""`manage.py check --deploy` names what would make this deployment unsafe or broken."""

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from meetstream.shared.env import env_header
from meetstream.shared.processes import free_port
from tests.support.processes import ROOT

SOUND = {
    "SECRET_KEY": "a-long-random-secret-key-" + "x" * 40,
    "FERNET_KEYS": ["a-fernet-key-of-its-own-" + "z" * 40],
    "RECORDER_TOKEN": "r" * 43,
    "STORAGE_ALLOW_PRIVATE_ENDPOINTS": False,
    "DEBUG": False,
}


@pytest.fixture
def sound(settings):
    for name, value in SOUND.items():
        setattr(settings, name, value)
    return settings


def deploy_check(capsys) -> str:
    """What check --deploy prints (and raises, when it finds an error)."""
    try:
        call_command("check", deploy=True)
    except SystemCheckError as refused:
        return str(refused)
    return capsys.readouterr().err + capsys.readouterr().out


def ours(report: str) -> set[str]:
    return {word.strip("():") for word in report.split() if word.startswith("(meetstream.")}


def test_a_sound_deployment_passes_this_projects_checks(sound, capsys):
    assert ours(deploy_check(capsys)) == set()


@pytest.mark.parametrize("token", ["", "short-token"])
def test_an_unset_or_short_recorder_token_is_an_error(sound, capsys, token):
    sound.RECORDER_TOKEN = token

    report = deploy_check(capsys)

    assert ours(report) == {"meetstream.E003"}
    assert "ERRORS:" in report and "RECORDER_TOKEN" in report  # an error: the command fails
    assert token == "" or token not in report


def test_private_endpoints_in_production_are_a_warning(sound, capsys):
    sound.STORAGE_ALLOW_PRIVATE_ENDPOINTS = True

    assert ours(deploy_check(capsys)) == {"meetstream.W001"}


def test_private_endpoints_under_debug_pass(sound, capsys):
    sound.STORAGE_ALLOW_PRIVATE_ENDPOINTS = True
    sound.DEBUG = True

    assert "meetstream.W001" not in ours(deploy_check(capsys))


def test_an_unreachable_staging_bucket_is_a_warning_naming_why(sound, bucket_staging, capsys):
    assert ours(deploy_check(capsys)) == set()  # the staging bucket answers

    sound.STAGING_S3_BUCKET = "no-such-staging-bucket"

    report = deploy_check(capsys)
    assert ours(report) == {"meetstream.W003"}
    assert "The staging bucket is unreachable (no_such_bucket)" in report


def test_an_unreachable_platform_bucket_is_a_warning_naming_why(sound, capsys):
    sound.PLATFORM_S3_ENDPOINT_URL = f"http://127.0.0.1:{free_port()}"

    report = deploy_check(capsys)

    assert ours(report) == {"meetstream.W002"}
    assert "endpoint_unreachable" in report
    assert sound.PLATFORM_S3_SECRET_ACCESS_KEY not in report


HTTPS_WARNINGS = {"security.W004", "security.W008", "security.W012", "security.W016"}
PLAIN_HTTP = {
    "SESSION_COOKIE_SECURE": "false",
    "CSRF_COOKIE_SECURE": "false",
    "SECURE_HSTS_SECONDS": "0",
    "SECURE_SSL_REDIRECT": "false",
}


def deploy_check_run(**env: str) -> set[str]:
    """The ids `manage.py check --deploy` reports in a process of its own, DEBUG off."""
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if k not in PLAIN_HTTP},
            "DEBUG": "false",
            "SECRET_KEY": SOUND["SECRET_KEY"],
            "FERNET_KEYS": SOUND["FERNET_KEYS"][0],
            "RECORDER_TOKEN": SOUND["RECORDER_TOKEN"],
            "PLATFORM_S3_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    report = result.stdout + result.stderr
    return {word.strip("():") for word in report.split() if word.startswith("(security.")}


@pytest.mark.e2e
def test_https_and_its_cookies_are_on_by_default_outside_debug():
    assert deploy_check_run() & HTTPS_WARNINGS == set()


@pytest.mark.e2e
def test_each_https_setting_is_read_from_the_environment():
    assert deploy_check_run(**PLAIN_HTTP) & HTTPS_WARNINGS == HTTPS_WARNINGS


def test_plain_http_is_redirected_but_for_probes_and_a_proxy_that_ended_tls(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

    redirected = client.get("/api/v1/bots")
    behind_tls = client.get("/api/v1/bots", HTTP_X_FORWARDED_PROTO="https")

    assert redirected.status_code == 301
    assert redirected["Location"] == "https://testserver/api/v1/bots"
    assert behind_tls.status_code == 401
    assert client.get("/healthz").status_code == 200


@pytest.mark.parametrize(
    ("given", "read"), [("X-Forwarded-Proto", "HTTP_X_FORWARDED_PROTO"), ("", None)]
)
def test_a_proxy_header_is_named_as_sent(monkeypatch, given, read):
    monkeypatch.setenv("SECURE_PROXY_SSL_HEADER", given)

    assert env_header("SECURE_PROXY_SSL_HEADER") == read


def test_a_proxy_header_that_is_no_header_name_stops_the_process(monkeypatch):
    monkeypatch.setenv("SECURE_PROXY_SSL_HEADER", "X-Forwarded-Proto: https")

    with pytest.raises(ImproperlyConfigured, match="a header name like X-Forwarded-Proto"):
        env_header("SECURE_PROXY_SSL_HEADER")
