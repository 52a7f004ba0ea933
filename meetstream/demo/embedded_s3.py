"""An S3 server on loopback (moto in server mode), for `make run` and the tests."""

import os
import subprocess
import sys

from meetstream.shared.processes import LocalServer, free_port, local_server_wait


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
