"""3.11 is the floor, not the ceiling: make takes the newest python3.X that runs."""

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_requires_python_has_a_floor_and_no_ceiling():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

    assert project["requires-python"] == ">=3.11"


def fake_path(tmp_path, **pythons: str) -> str:
    """A PATH holding only `seq` and the given python3.X: "real" (this interpreter), or a
    script exiting with that code (a pyenv shim of a version not selected exits 127)."""
    folder = tmp_path / "bin"
    folder.mkdir()
    (folder / "seq").symlink_to("/usr/bin/seq")
    for name, kind in pythons.items():
        path = folder / name.replace("_", ".")
        if kind == "real":
            path.symlink_to(sys.executable)
        else:
            path.write_text(f"#!/bin/sh\nexit {kind}\n")
            path.chmod(0o755)
    return str(folder)


def make(tmp_path, path: str, *args: str) -> subprocess.CompletedProcess:
    # Not the calling make's choice: CI's `make test PYTHON=...` passes it down in MAKEFLAGS.
    inherited = {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "PYTHON", "VENV"}
    env = {name: value for name, value in os.environ.items() if name not in inherited}
    return subprocess.run(
        ["/usr/bin/make", "-C", str(ROOT), *args, f"VENV={tmp_path / 'venv'}"],
        env={**env, "PATH": path},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.e2e
def test_the_newest_python_that_runs_is_chosen(tmp_path):
    path = fake_path(tmp_path, python3_14="127", python3_13="real", python3_11="real")

    planned = make(tmp_path, path, "-n", "install")

    assert planned.returncode == 0, planned.stderr
    assert f"python3.13 -m venv {tmp_path / 'venv'}" in planned.stdout


@pytest.mark.e2e
def test_a_machine_whose_only_python_is_newer_than_the_floor_works(tmp_path):
    path = fake_path(tmp_path, python3_12="real")

    planned = make(tmp_path, path, "-n", "install")

    assert f"python3.12 -m venv {tmp_path / 'venv'}" in planned.stdout


@pytest.mark.e2e
def test_python_overrides_the_choice(tmp_path):
    path = fake_path(tmp_path, python3_13="real")

    planned = make(tmp_path, path, "-n", "install", "PYTHON=/opt/python/bin/python3")

    assert f"/opt/python/bin/python3 -m venv {tmp_path / 'venv'}" in planned.stdout


@pytest.mark.e2e
def test_without_a_usable_python_make_says_so(tmp_path):
    path = fake_path(tmp_path, python3_13="127", python3_10="1")

    refused = make(tmp_path, path, "install")

    assert refused.returncode != 0
    assert "No python3.11 or newer on PATH; set PYTHON=" in refused.stderr
    assert not (tmp_path / "venv").exists()
