"""`make bench`: every figure beside its baseline, measured in one run, printed as one table."""

import os
import secrets
import sys
import tempfile

WORK = tempfile.mkdtemp(prefix="meetstream-bench-")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meetstream.settings")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{WORK}/bench.sqlite3")
os.environ["MEDIA_ROOT"] = f"{WORK}/media"
os.environ["STORAGE_ALLOW_PRIVATE_ENDPOINTS"] = "true"
os.environ["STORAGE_CONFIG_THROTTLE_RATE"] = "100000/min"
os.environ["AUTH_FAILURES_PER_MINUTE"] = "100000"
# The `deployed` rows start a worker on Redis; every other row runs in this process.
os.environ["BENCH_REDIS_URL"] = os.environ.get("REDIS_URL", "")
os.environ["REDIS_URL"] = ""
os.environ["LOG_LEVEL"] = "WARNING"
# The bench speaks plain HTTP on loopback, as the suite does (HTTPS has tests of its own).
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
# The gunicorn the fetch rows start checks these like any deployment.
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(48))
os.environ.setdefault("FERNET_KEYS", secrets.token_urlsafe(48))

import django  # noqa: E402

django.setup()

from bench import config, curve, deployed, fetch, health, listing, providers, upload  # noqa: E402
from bench.setup import Bench  # noqa: E402
from bench.timing import table  # noqa: E402


def main(sections: list[str]) -> None:
    modules = (
        ("config", config),
        ("upload", upload),
        ("providers", providers),
        ("deployed", deployed),
        ("fetch", fetch),
        ("listing", listing),
        ("health", health),
        ("curve", curve),
    )
    chosen = sections or [name for name, _ in modules if name != "curve"]
    with Bench.start(WORK) as bench:
        rows = []
        for name, module in modules:
            if name in chosen:
                section = module.rows(bench)
                print(table(section), flush=True)  # kept, should a later section fail
                rows += section
    print(table(rows))


if __name__ == "__main__":
    main(sys.argv[1:])
