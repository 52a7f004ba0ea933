"""An S3 server on loopback (moto in server mode), for `make run` and the tests."""

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field

import requests


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def process_stop(
    process: subprocess.Popen, *, timeout: float = 10, signum: int = signal.SIGTERM
) -> None:
    """Ask a child process to stop (`signum`); kill it if it has not within the timeout."""
    process.send_signal(signum)  # nothing when it has exited already
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass
class LocalServer:
    """A server of ours on loopback (moto, a storage emulator), in its own process."""

    url: str
    process: subprocess.Popen = field(repr=False)

    def stop(self) -> None:
        process_stop(self.process)


def local_server_wait(
    process: subprocess.Popen, url: str, *, probe: str, name: str, within: float = 30
) -> LocalServer:
    """The server once `url + probe` answers; it is killed if it has not `within` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}")
        try:
            requests.get(f"{url}{probe}", timeout=1)
            return LocalServer(url=url, process=process)
        except requests.RequestException:  # not listening yet, or not answering yet
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"{name} did not start within {within:g} s")


def embedded_s3_start(
    *, port: int | None = None, env: dict[str, str] | None = None, host: str = "127.0.0.1"
) -> LocalServer:
    """Start moto's S3 server in its own process; `env` can turn on IAM enforcement."""
    port = port or free_port(host)
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and fixed arguments
        [sys.executable, "-m", "moto.server", "-H", host, "-p", str(port)],
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # moto's own API does not count as an action against INITIAL_NO_AUTH_ACTION_COUNT.
    return local_server_wait(
        process,
        f"http://{host}:{port}",
        probe="/moto-api/data.json",
        name=f"the S3 server on port {port}",
    )
