import logging
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meetstream.settings")

app = Celery("meetstream")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


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
