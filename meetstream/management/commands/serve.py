"""`make serve`: the production web tier on one machine, nginx in front of gunicorn.

gunicorn's gthread workers give each connection a thread while its request is read, so a few
clients trickling their headers would hold every thread. nginx reads headers (and API bodies)
on its event loop and hands gunicorn whole requests over a Unix socket only it can reach.
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from meetstream.shared.env import env_int
from meetstream.shared.processes import process_stop

NGINX_CONF = Path(__file__).resolve().parents[2] / "nginx.conf"
# How long a deploy (SIGTERM) lets requests in flight finish: a recorder upload, say.
GRACEFUL_SECONDS = 300


def nginx_path() -> str | None:
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")


class Command(BaseCommand):
    help = "`make serve`: nginx on $PORT in front of gunicorn, as deployed on one machine."

    def handle(self, *args, **options):
        nginx = nginx_path()
        if nginx is None:
            raise CommandError(
                "make serve puts nginx in front of gunicorn: install it (Debian: apt-get install "
                "nginx-light), or run gunicorn behind a buffering proxy of your own "
                "(docs/operations.md)."
            )
        call_command("collectstatic", interactive=False, verbosity=0)
        port = env_int("PORT", 8000, minimum=1, maximum=65535)
        # Short and private to this run: a Unix socket path is limited to 107 bytes.
        workdir = Path(tempfile.mkdtemp(prefix="meetstream-serve-"))
        workdir.chmod(0o755)  # nginx's workers (nobody, when started as root) reach the socket
        socket_path = workdir / "web.sock"
        conf = workdir / "nginx.conf"
        conf.write_text(_filled(NGINX_CONF.read_text(), dir=workdir, socket=socket_path, port=port))
        # The web names clients by the address nginx saw (meetstream.shared.proxy).
        env = {**os.environ, "CLIENT_ADDRESS_HEADER": "X-Real-IP"}
        stopping = _stop_signals()
        web, front = self._start(_gunicorn(socket_path), env), None
        try:
            _wait_for_socket(socket_path, web)
            front = self._start([nginx, "-p", str(workdir), "-c", str(conf)], env)
            self.stdout.write(f"Serving on port {port}: nginx in front of gunicorn.")
            while not stopping and web.poll() is None and front.poll() is None:
                time.sleep(0.2)
        finally:
            if front is not None:  # first, gracefully: nginx finishes what it holds
                process_stop(front, timeout=GRACEFUL_SECONDS, signum=signal.SIGQUIT)
            process_stop(web, timeout=GRACEFUL_SECONDS)
            shutil.rmtree(workdir, ignore_errors=True)
        if not stopping:
            raise CommandError("gunicorn or nginx stopped by itself: see its lines above.")

    def _start(self, command: list[str], env: dict) -> subprocess.Popen:
        return subprocess.Popen(command, env=env)  # noqa: S603 - ours


def _filled(template: str, **values) -> str:
    for name, value in values.items():
        template = template.replace("{{" + name + "}}", str(value))
    return template


def _gunicorn(socket_path: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        "python:meetstream.gunicorn",
        "--bind",
        f"unix:{socket_path}",
        "--graceful-timeout",
        str(GRACEFUL_SECONDS),
        settings.WSGI_APPLICATION.rsplit(".", 1)[0],
    ]


def _wait_for_socket(path: Path, web: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        if web.poll() is not None or time.monotonic() > deadline:
            raise CommandError("gunicorn did not start: see its lines above.")
        time.sleep(0.1)


def _stop_signals() -> list[int]:
    """SIGTERM and SIGINT stop both servers gracefully; the list holds the signal received."""
    received: list[int] = []
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda number, frame: received.append(number))
    return received
