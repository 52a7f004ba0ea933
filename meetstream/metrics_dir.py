"""Where prometheus-client's multiprocess mode keeps each process's counts.

It is chosen by PROMETHEUS_MULTIPROC_DIR when prometheus_client is first imported, so the
gunicorn master and the Celery worker's main process call this before anything imports it,
and their forked children inherit it. Nothing here imports prometheus_client.
"""

import os
import tempfile
from pathlib import Path

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def metrics_dir_prepare(*, wipe: bool) -> str:
    """Point PROMETHEUS_MULTIPROC_DIR at a folder (a new one unless set); with `wipe`, drop a
    previous run's files, which would otherwise be summed in."""
    folder = os.environ.get(MULTIPROC_ENV) or tempfile.mkdtemp(prefix="meetstream-metrics-")
    os.environ[MULTIPROC_ENV] = folder
    Path(folder).mkdir(parents=True, exist_ok=True)
    if wipe:
        for stale in Path(folder).glob("*.db"):
            stale.unlink(missing_ok=True)
    return folder
