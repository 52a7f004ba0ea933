"""gunicorn's settings for this project: `gunicorn -c python:meetstream.gunicorn meetstream.wsgi`.

Each worker process counts its own metrics into PROMETHEUS_MULTIPROC_DIR, which /metrics sums
(prometheus-client's multiprocess mode). The folder is set and emptied here, in the master,
before any worker imports prometheus_client.
"""

import os

from meetstream.metrics_dir import metrics_dir_prepare

metrics_dir_prepare(wipe=True)

worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = 60


def child_exit(server, worker) -> None:
    from meetstream.metrics import worker_process_exited

    worker_process_exited(worker.pid)
