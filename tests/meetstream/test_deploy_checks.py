"""`manage.py check --deploy` names what would make this deployment unsafe or broken."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from meetstream.embedded_s3 import free_port

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
