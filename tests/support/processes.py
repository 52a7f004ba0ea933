"""Processes the tests start: a Celery worker, a management command; all on this database."""

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from meetstream.shared.processes import free_port, local_server_wait, process_stop

ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    """The URL of the database the tests run on (the test database, not the configured one)."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    auth = quote(db["USER"] or "") + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def child_env(**extra: str) -> dict[str, str]:
    """This process's environment, database, secrets and egress rule, as its tests set them:
    children decrypt what it encrypts and connect where it may."""
    mirrored = {
        "SECRET_KEY": settings.SECRET_KEY,
        "FERNET_KEYS": ",".join(settings.FERNET_KEYS),
        "STORAGE_ALLOW_PRIVATE_ENDPOINTS": str(settings.STORAGE_ALLOW_PRIVATE_ENDPOINTS).lower(),
        "SECURE_SSL_REDIRECT": "false",  # plain HTTP on loopback
    }
    return {**os.environ, **mirrored, "DATABASE_URL": database_url(), **extra}


@dataclass
class Worker:
    process: subprocess.Popen
    log: Path
    queue: str

    def stop(self) -> None:
        process_stop(self.process, timeout=20)

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-5000:]


needs_redis = pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (CI sets it)"
)


def children_of(pid: int) -> list[int]:
    """The process ids whose parent is `pid` (a worker's pool processes)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def worker_start(
    *,
    log: Path,
    queue: str,
    concurrency: int = 2,
    deployed: bool = False,
    loglevel: str | None = "INFO",
    **env: str,
) -> Worker:
    """A real Celery worker on REDIS_URL, consuming only this queue; `deployed`: as the docs
    deploys it (`worker --beat`, gossip, mingle and heartbeats on); `loglevel=None`: without
    `--loglevel`, as their command runs it."""
    command = [
        *(sys.executable, "-m", "celery", "-A", "meetstream", "worker"),
        *(f"--concurrency={concurrency}", "--pool=prefork", "-Q", queue),
    ]
    if loglevel:
        command.append(f"--loglevel={loglevel}")
    if deployed:
        command += ["--beat", "--schedule", str(log.with_suffix(".beat"))]
    else:
        command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=child_env(**{"CELERY_QUEUE": queue, **env}),
            stdout=out,
            stderr=out,
        )
    worker = Worker(process, log, queue)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the worker exited: {worker.output()}")
        if " ready." in worker.output():
            return worker
        time.sleep(0.2)
    worker.stop()
    raise RuntimeError(f"the worker did not start: {worker.output()}")


@dataclass
class CommandResult:
    returncode: int
    stdout: str
    stderr: str
    peak_rss: int  # bytes


def high_water_mark(pid: int) -> int | None:
    """The process's peak RSS in bytes (VmHWM); None once it is gone.

    Not getrusage: Linux keeps, across exec, the RSS the child had as a fork of this process.
    """
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return None


def _command_high_water_mark(pid: int) -> int | None:
    """high_water_mark once the child runs manage.py (before the exec it is this process)."""
    try:
        if b"manage.py" not in Path(f"/proc/{pid}/cmdline").read_bytes():
            return None
    except OSError:
        return None
    return high_water_mark(pid)


def command_run(*args: str, timeout: float = 600, **env: str) -> CommandResult:
    """Run a manage.py command in its own process, sampling its peak RSS until it ends."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=child_env(**env),
            stdout=out,
            stderr=err,
        )
        peak = 0
        deadline = time.monotonic() + timeout
        while process.poll() is None:
            peak = max(peak, _command_high_water_mark(process.pid) or 0)
            if time.monotonic() > deadline:
                process.kill()
            time.sleep(0.02)
        out.seek(0)
        err.seek(0)
        return CommandResult(
            process.returncode,
            out.read().decode(errors="replace"),
            err.read().decode(errors="replace"),
            peak,
        )


@dataclass
class Gunicorn:
    process: subprocess.Popen
    url: str
    log: Path

    def stop(self) -> None:
        process_stop(self.process, timeout=20)

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-5000:]


def gunicorn_start(*, log: Path, workers: int = 1, **env: str) -> Gunicorn:
    """The web as deployed: gunicorn with the project's config file, on a free port."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "meetstream.wsgi",
        "--config",
        "python:meetstream.gunicorn",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
    ]
    return _web_start(command, port, "gunicorn", log=log, **env)


def served_start(*, log: Path, **env: str) -> Gunicorn:
    """The web tier as `make serve` runs it: nginx in front of gunicorn, on a free port."""
    port = free_port()
    command = [sys.executable, "manage.py", "serve"]
    return _web_start(command, port, "make serve", log=log, PORT=str(port), **env)


def _web_start(command: list[str], port: int, name: str, *, log: Path, **env: str) -> Gunicorn:
    env = {"EMBEDDED_BROKER_DIR": str(log.parent / "broker"), **env}
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=child_env(**env), stdout=out, stderr=out)
    server = Gunicorn(process, f"http://127.0.0.1:{port}", log)
    try:
        local_server_wait(process, server.url, probe="/healthz", name=name, within=60)
    except RuntimeError as failed:
        server.stop()  # the workers too, should the master have been killed
        raise RuntimeError(f"{failed}: {server.output()}") from None
    return server
