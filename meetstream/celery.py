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

    from meetstream.startup import broker_require, production_secrets_require

    try:
        production_secrets_require()
        broker_require()
    except ImproperlyConfigured as missing:
        # Celery logs what a signal handler raises and goes on; this must stop the worker.
        raise SystemExit(f"celery worker: {missing}") from None


def task_queue(name: str, *args) -> None:
    """Queue a task by name (so services need not import the tasks above them); with the
    broker down, log it and leave the work to the beat task that finds it (its scheduler)."""
    try:
        app.tasks[name].delay(*args)
    except Exception:  # kombu raises various connection errors once its publish retries end
        logging.getLogger(__name__).warning(
            "Could not queue %s%r; its scheduler will pick the work up", name, args, exc_info=True
        )
