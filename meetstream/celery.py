import logging
import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meetstream.settings")

app = Celery("meetstream")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.worker_init.connect
def _secrets_required(**_) -> None:
    from django.core.exceptions import ImproperlyConfigured

    from meetstream.startup import production_secrets_require

    try:
        production_secrets_require()
    except ImproperlyConfigured as missing:
        # Celery logs what a signal handler raises and goes on; this must stop the worker.
        raise SystemExit(f"celery worker: {missing}") from None


def send_or_leave_to_sweeper(task, *args) -> None:
    """Queue a task; with the broker down, log it and let the task's beat sweeper find the work."""
    try:
        task.delay(*args)
    except Exception:  # kombu raises various connection errors once its publish retries end
        logging.getLogger(__name__).warning(
            "Could not queue %s%r; its sweeper will pick the work up",
            task.name,
            args,
            exc_info=True,
        )
