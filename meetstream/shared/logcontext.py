"""What every log line says about where it came from: the request, the task, the tenant, the bot.

A request gets an id (its `X-Request-ID` when that is sane, else a new one), echoed in the
response and carried in the headers of each task it queues, so one bot's story can be followed
from the API call through the worker. `LOG_FORMAT=json` writes one JSON object per line.
"""

import json
import logging
import os
import re
import sys
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime

from meetstream.shared.env import env_choice, env_str

FIELDS = ("request_id", "tenant", "bot_id", "task_id")
REQUEST_ID_HEADER = "X-Request-ID"
_SANE_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")
_context: ContextVar[dict[str, str]] = ContextVar("log_context", default={})  # noqa: B039


def log_context() -> dict[str, str]:
    return _context.get()


def log_bind(**fields: str | None) -> None:
    """Add fields to the current request's or task's context (a copy: nothing leaks across)."""
    _context.set({**_context.get(), **{k: v for k, v in fields.items() if v is not None}})


def log_context_start(**fields: str | None):
    """A fresh context; returns the token to hand to log_context_end."""
    return _context.set({k: v for k, v in fields.items() if v is not None})


def log_context_end(token) -> None:
    _context.reset(token)


def request_id_from(header: str | None) -> str:
    """The caller's id when it is a sane token (no spaces, quotes or control characters), else
    a new one: the id is echoed and logged, so it must not carry anything injected."""
    return header if header and _SANE_ID.fullmatch(header) else uuid.uuid4().hex


class RequestIdMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
        token = log_context_start(request_id=request_id)
        try:
            response = self.get_response(request)
        finally:
            # Django logs a refused request ("Unauthorized: ...") after every middleware has
            # returned: the record carries the request, and ContextFilter reads this from it.
            request.log_context = log_context()
            log_context_end(token)
        response[REQUEST_ID_HEADER] = request_id
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        log_bind(bot_id=view_kwargs.get("bot_id"))


class ContextFilter(logging.Filter):
    """Puts the context's fields on every record (None where unknown): those of the request
    the record is about when it names one, else the current ones."""

    def filter(self, record: logging.LogRecord) -> bool:
        about = getattr(getattr(record, "request", None), "log_context", None)
        context = _context.get() if about is None else about
        for name in FIELDS:
            if not hasattr(record, name):
                setattr(record, name, context.get(name))
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **{name: getattr(record, name, None) for name in FIELDS},
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


# botocore logs signed request headers (which name the access key id) at DEBUG, Azure's SDK
# every request's URL and headers at INFO: the storage SDKs' loggers (settings name them, from
# the providers' registry) and urllib3's stay at WARNING whatever the root is.
_QUIETED = ("urllib3",)
# Loggers that do not propagate to the root: gunicorn's own, and billiard's (a pool process's
# exit). They get the same handler, so each stream has one format.
_OWN_HANDLERS = {"gunicorn.error": "INFO", "gunicorn.access": "INFO", "multiprocessing": "ERROR"}


def log_format() -> str:
    """LOG_FORMAT: `plain` or `json`."""
    return env_choice("LOG_FORMAT", "plain", ("plain", "json"))


def logging_config(*, quieted: tuple[str, ...]) -> dict:
    """The logging dictConfig of every process (Django's LOGGING, gunicorn's logconfig_dict,
    the Celery worker's), from LOG_FORMAT and LOG_LEVEL."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": "meetstream.shared.logcontext.ContextFilter"}},
        "formatters": {
            "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
            "json": {"()": "meetstream.shared.logcontext.JsonFormatter"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": log_format(),
                "filters": ["context"],
            }
        },
        "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL") or "INFO"},
        "loggers": {
            **{name: {"level": "WARNING", "propagate": True} for name in (*_QUIETED, *quieted)},
            **{
                name: {"level": own, "handlers": ["console"], "propagate": False}
                for name, own in _OWN_HANDLERS.items()
            },
        },
    }


def json_say(message: str, out=None) -> None:
    """One JSON log line written straight to a file descriptor, without logging's locks: for
    what Celery says from its signal handlers."""
    record = logging.LogRecord(
        "celery.apps.worker", logging.WARNING, "", 0, message.strip(), (), None
    )
    ContextFilter().filter(record)
    line = JsonFormatter().format(record) + "\n"
    try:
        os.write((out or sys.__stderr__).fileno(), line.encode())
    except (OSError, ValueError):
        pass  # a notice, best effort


def task_context_start(task_id: str, request_id: str | None):
    """A task's context: its own id, and the id of the request that queued it."""
    inherited = _context.get().get("request_id")  # an inline (eager) task runs in its caller
    return log_context_start(task_id=task_id, request_id=request_id or inherited)
