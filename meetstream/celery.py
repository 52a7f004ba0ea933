import logging
import os

from celery import Celery, signals

from meetstream.shared.metrics_dir import metrics_dir_prepare

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meetstream.settings")
# A worker serving metrics counts in each pool process (multiprocess mode), so the folder must
# be chosen before prometheus_client is imported: here, first thing.
WORKER_METRICS_PORT = os.environ.get("WORKER_METRICS_PORT")
if WORKER_METRICS_PORT:
    metrics_dir_prepare("worker")

app = Celery("meetstream")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.setup_logging.connect
def _logging_as_configured(**_) -> None:
    """The worker logs through Django's LOGGING (LOG_LEVEL, LOG_FORMAT), never Celery's own
    setup, which would set the root level from `--loglevel` (WARNING unless given)."""
    import logging.config

    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


@signals.celeryd_init.connect
def _worker_output_formatted(instance=None, **_) -> None:
    """Warnings go through the logs. With LOG_FORMAT=json, Celery's startup banner (plain text)
    is left out, and the notices its signal handlers print (where logging is unsafe: a handler
    may interrupt a logging call holding its lock) are written as JSON lines."""
    from django.conf import settings

    logging.captureWarnings(True)
    if settings.LOG_FORMAT == "json" and instance is not None:
        import celery.apps.worker

        from meetstream.shared.logcontext import json_say

        instance.quiet = True
        celery.apps.worker.safe_say = json_say


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


@signals.worker_init.connect
def _malloc_arenas_limited(**_) -> None:
    """Before the pool forks, so that every pool process starts with it."""
    from meetstream.shared.memory import malloc_arenas_limit

    malloc_arenas_limit()


@signals.worker_init.connect
def _providers_prepare(**_) -> None:
    from storageconfig.backends import PROVIDERS, backend_class

    for name in PROVIDERS:
        backend_class(name).process_prepare()


@signals.worker_init.connect
def _metrics_serve(**_) -> None:
    if WORKER_METRICS_PORT:
        from django.conf import settings

        from meetstream.metrics import worker_metrics_serve

        worker_metrics_serve(settings.WORKER_METRICS_PORT, settings.WORKER_METRICS_ADDRESS)


@signals.worker_shutdown.connect
def _metrics_folder_released(**_) -> None:
    if WORKER_METRICS_PORT:
        from meetstream.shared.metrics_dir import metrics_dir_release

        metrics_dir_release()


@signals.worker_process_shutdown.connect
def _metrics_process_exited(pid=None, **_) -> None:
    if WORKER_METRICS_PORT:
        from meetstream.metrics import worker_process_exited

        worker_process_exited(pid or os.getpid())


@signals.before_task_publish.connect
def _request_id_sent(headers=None, **_) -> None:
    from meetstream.shared.logcontext import log_context

    if headers is not None and (request_id := log_context().get("request_id")):
        headers.setdefault("request_id", request_id)


_task_contexts: dict[str, object] = {}


@signals.task_prerun.connect
def _task_context_start(task_id=None, task=None, **_) -> None:
    from meetstream.shared.logcontext import task_context_start

    _task_contexts[task_id] = task_context_start(task_id, task.request.get("request_id"))


@signals.task_postrun.connect
def _task_context_end(task_id=None, **_) -> None:
    from meetstream.shared.logcontext import log_context_end

    if (token := _task_contexts.pop(task_id, None)) is not None:
        log_context_end(token)
