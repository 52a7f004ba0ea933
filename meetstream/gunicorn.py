"""gunicorn's settings for this project: `gunicorn -c python:meetstream.gunicorn meetstream.wsgi`.

Each worker process counts its own metrics into this gunicorn's folder under
PROMETHEUS_MULTIPROC_DIR, which /metrics sums (prometheus-client's multiprocess mode). The folder
is made here, in the master, before any worker imports prometheus_client.
"""

import os

from meetstream.shared.logcontext import logging_config
from meetstream.shared.metrics_dir import metrics_dir_prepare, metrics_dir_release
from storageconfig.backends import sdk_loggers

metrics_dir_prepare("web")

worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = 60
# gunicorn's own lines ("Booting worker", "Worker ... was sent SIGKILL!") in LOG_FORMAT too.
logconfig_dict = logging_config(quieted=sdk_loggers())


def child_exit(server, worker) -> None:
    from meetstream.metrics import worker_process_exited

    worker_process_exited(worker.pid)


def on_exit(server) -> None:
    metrics_dir_release()
