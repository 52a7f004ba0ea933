import logging

from celery import current_app


def task_queue(name: str, *args) -> None:
    """Queue a task by name (so services need not import the tasks above them); with the
    broker down, log it and leave the work to the beat task that finds it (its scheduler)."""
    try:
        current_app.tasks[name].delay(*args)
    except Exception:  # kombu raises various connection errors once its publish retries end
        logging.getLogger(__name__).warning(
            "Could not queue %s%r; its scheduler will pick the work up", name, args, exc_info=True
        )
