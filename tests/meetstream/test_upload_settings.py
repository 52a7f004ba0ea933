"""The upload settings have provider-neutral names; their former S3_* names still work, and the
new name wins when both are set. An uploading process limits its malloc arenas."""

import platform
import subprocess
import sys

import pytest

from meetstream.shared.memory import malloc_arenas_limit
from tests.support.processes import ROOT, child_env

READ = (
    "from django.conf import settings; "
    "print(settings.UPLOAD_PART_MB, settings.UPLOAD_THREADS, settings.UPLOAD_READ_TIMEOUT)"
)


def settings_read(**env: str) -> str:
    names = ("UPLOAD_PART_MB", "UPLOAD_THREADS", "UPLOAD_READ_TIMEOUT")
    old = ("S3_UPLOAD_PART_MB", "S3_UPLOAD_THREADS", "S3_TRANSFER_READ_TIMEOUT")
    given = {key: value for key, value in child_env(**env).items() if key not in names + old}
    done = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {READ}"],
        cwd=ROOT,
        env={**given, **env, "DJANGO_SETTINGS_MODULE": "meetstream.settings", "DEBUG": "true"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, ["8", "10", "60"]),
        (
            {"UPLOAD_PART_MB": "16", "UPLOAD_THREADS": "2", "UPLOAD_READ_TIMEOUT": "30"},
            ["16", "2", "30"],
        ),
        (
            {"S3_UPLOAD_PART_MB": "12", "S3_UPLOAD_THREADS": "3", "S3_TRANSFER_READ_TIMEOUT": "20"},
            ["12", "3", "20"],
        ),
        ({"S3_UPLOAD_PART_MB": "12", "UPLOAD_PART_MB": "24"}, ["24", "10", "60"]),
    ],
)
def test_upload_settings_are_read_by_their_new_names_or_their_old_ones(env, expected):
    assert settings_read(**env) == expected


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's malloc only")
def test_an_uploading_process_limits_its_malloc_arenas():
    """Each part thread would keep an arena of its own (tests/bots/test_upload_memory.py
    measures what the limit saves); glibc takes the limit."""
    assert malloc_arenas_limit() is True
