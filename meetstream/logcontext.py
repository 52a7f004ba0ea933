"""What every log line says about where it came from: the request, the task, the tenant, the bot.

A request gets an id (its `X-Request-ID` when that is sane, else a new one), echoed in the
response and carried in the headers of each task it queues, so one bot's story can be followed
from the API call through the worker. `LOG_FORMAT=json` writes one JSON object per line.
"""

import json
import logging
import re
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime

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
            log_context_end(token)
        response[REQUEST_ID_HEADER] = request_id
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        log_bind(bot_id=view_kwargs.get("bot_id"))


class ContextFilter(logging.Filter):
    """Puts the context's fields on every record (None where unknown)."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = _context.get()
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


def task_context_start(task_id: str, request_id: str | None):
    """A task's context: its own id, and the id of the request that queued it."""
    inherited = _context.get().get("request_id")  # an inline (eager) task runs in its caller
    return log_context_start(task_id=task_id, request_id=request_id or inherited)
