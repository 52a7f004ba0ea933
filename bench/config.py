"""The configuration API: client caching, the live check, and its bound against a silent endpoint."""

import socket
import threading

from bench.setup import Bench, ok
from bench.timing import Row, compare, timed
from storageconfig.backends.aws import s3

PREFIXES = {"audio": "a", "video": "v", "transcript": "t", "metadata": "m"}


def _silent_endpoint() -> tuple[str, socket.socket]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    held: list[socket.socket] = []
    threading.Thread(
        target=lambda: [held.append(listener.accept()[0]) for _ in range(64)], daemon=True
    ).start()
    return f"http://127.0.0.1:{listener.getsockname()[1]}", listener


def rows(bench: Bench) -> list[Row]:
    target = s3.S3Target("bench-bucket", "us-east-1", bench.server.url, "bench", "bench")
    silent, listener = _silent_endpoint()
    try:
        for_silent = timed(
            lambda: bench.put_config(
                endpoint_url=silent, access_mode="write_only", prefixes=PREFIXES
            )
        )
    finally:
        listener.close()
    return [
        compare(
            "S3 client: cached per revision vs built per call",
            lambda: s3.client(target, cache_key="bench"),
            lambda: s3.client(target),
            rounds=200,
        ),
        compare(
            "PUT config read_write (HeadBucket) vs GET config",
            lambda: ok(bench.put_config()),
            lambda: ok(bench.api.get("/api/v1/admin/configs")),
            rounds=40,
        ),
        compare(
            "PUT config write_only, 5 probes side by side vs read_write",
            lambda: ok(bench.put_config(access_mode="write_only", prefixes=PREFIXES)),
            lambda: ok(bench.put_config()),
            rounds=40,
        ),
        Row(
            "PUT config vs an endpoint that never answers (bound: 10 s)",
            for_silent,
            10.0,
            unit="s",
            target=1.0,
        ),
    ]
