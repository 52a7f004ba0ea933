"""Outside the demo, no process starts on the public default secrets."""

import os
import stat
import subprocess
import sys

import pytest
from django.core.checks import run_checks

from meetstream.settings import DEV_SECRET_KEY
from meetstream.startup import demo_secrets_load
from tests.support.processes import ROOT

ENTRY_POINTS = {
    "manage.py": [sys.executable, "manage.py", "migrate", "--check"],
    "web": [sys.executable, "-c", "import meetstream.wsgi"],
    "worker": [sys.executable, "-m", "celery", "-A", "meetstream", "worker", "--pool=solo"],
}


def _run(command: list[str], **env: str) -> subprocess.CompletedProcess:
    base = {
        key: value
        for key, value in os.environ.items()
        if key not in {"SECRET_KEY", "FERNET_KEYS", "DEBUG", "REDIS_URL"}
    }
    return subprocess.run(
        command,
        cwd=ROOT,
        env={**base, "DATABASE_URL": f"sqlite:///{ROOT / 'var' / 'unused.sqlite3'}", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.e2e
@pytest.mark.parametrize("entry", ENTRY_POINTS)
@pytest.mark.parametrize(
    ("given", "missing"),
    [({"FERNET_KEYS": "k" * 40}, "SECRET_KEY"), ({"SECRET_KEY": "s" * 40}, "FERNET_KEYS")],
)
def test_every_entry_point_stops_naming_the_missing_secret(entry, given, missing):
    result = _run(ENTRY_POINTS[entry], DEBUG="false", **given)

    assert result.returncode != 0
    assert f"{missing} must be set when DEBUG is false" in result.stderr


@pytest.mark.e2e
@pytest.mark.parametrize("entry", ENTRY_POINTS)
@pytest.mark.parametrize(
    ("fernet_keys", "says"),
    [
        ("s" * 40, "FERNET_KEYS key 1 is the SECRET_KEY."),
        (f"{'k' * 40},{DEV_SECRET_KEY}", "FERNET_KEYS key 2 is a known development value."),
    ],
    ids=["the SECRET_KEY", "a development value"],
)
def test_every_entry_point_stops_on_a_fernet_key_that_is_no_secret(entry, fernet_keys, says):
    result = _run(ENTRY_POINTS[entry], DEBUG="false", SECRET_KEY="s" * 40, FERNET_KEYS=fernet_keys)

    assert result.returncode != 0
    assert says in result.stderr
    assert "s" * 40 not in result.stderr and DEV_SECRET_KEY not in result.stderr


@pytest.mark.e2e
def test_with_both_secrets_set_manage_py_runs():
    result = _run([sys.executable, "manage.py", "check"], SECRET_KEY="s" * 40, FERNET_KEYS="f" * 40)

    assert result.returncode == 0, result.stderr


@pytest.mark.e2e
@pytest.mark.parametrize(
    "entry",
    [*(ENTRY_POINTS[name] for name in ("web", "worker")), ["manage.py", "runserver", "--noreload"]],
    ids=["web", "worker", "runserver"],
)
def test_without_a_broker_the_web_and_the_worker_stop_naming_redis_url(entry):
    command = [sys.executable, *entry] if entry[0] == "manage.py" else entry
    result = _run(command, SECRET_KEY="s" * 40, FERNET_KEYS="f" * 40)

    assert result.returncode != 0
    assert "REDIS_URL must be set" in result.stderr


def test_demo_secrets_are_made_once_private_and_reused(tmp_path, monkeypatch):
    for name in ("SECRET_KEY", "FERNET_KEYS"):
        monkeypatch.delenv(name, raising=False)

    demo_secrets_load(tmp_path)
    first = os.environ["SECRET_KEY"], os.environ["FERNET_KEYS"]
    for name in ("SECRET_KEY", "FERNET_KEYS"):
        monkeypatch.delenv(name)
    demo_secrets_load(tmp_path)

    path = tmp_path / "demo-secrets.env"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert (os.environ["SECRET_KEY"], os.environ["FERNET_KEYS"]) == first
    assert first[0] != first[1] and min(map(len, first)) >= 48


def test_demo_secrets_leave_a_given_secret_alone(tmp_path, monkeypatch):
    monkeypatch.setenv("FERNET_KEYS", "given-by-the-operator")

    demo_secrets_load(tmp_path)

    assert os.environ["FERNET_KEYS"] == "given-by-the-operator"


def _deploy_errors() -> set[str]:
    """The key checks' findings (the other deploy checks have tests of their own)."""
    return {
        message.id
        for message in run_checks(include_deployment_checks=True)
        if message.id in {"meetstream.E001", "meetstream.E002"}
    }


def test_check_deploy_refuses_the_secret_key_as_fernet_key(settings):
    settings.SECRET_KEY = "a-long-random-secret-key-" + "x" * 40
    settings.FERNET_KEYS = ["another-key-" + "y" * 40, settings.SECRET_KEY]

    assert _deploy_errors() == {"meetstream.E001"}


def test_check_deploy_refuses_a_known_development_key(settings):
    settings.SECRET_KEY = "a-long-random-secret-key-" + "x" * 40
    settings.FERNET_KEYS = [settings.DEV_SECRET_KEY]

    assert _deploy_errors() == {"meetstream.E002"}


def test_check_deploy_passes_keys_of_their_own(settings):
    settings.SECRET_KEY = "a-long-random-secret-key-" + "x" * 40
    settings.FERNET_KEYS = ["a-fernet-key-of-its-own-" + "z" * 40]

    assert _deploy_errors() == set()
