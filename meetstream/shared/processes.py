"""Our own child processes and servers on loopback: a free port, waiting for one to answer,
stopping one (make serve's nginx and gunicorn, the demo's emulators)."""

import signal
import socket
import subprocess
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
