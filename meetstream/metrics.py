"""Prometheus metrics: what the web and the workers count, and /metrics.

Under gunicorn and Celery's prefork pool each process counts into PROMETHEUS_MULTIPROC_DIR
(prometheus-client's multiprocess mode, chosen when the variable is set before the client is
imported: meetstream.gunicorn and meetstream.celery see to it) and a scrape sums the files.
Labels take values from fixed sets only (outcomes, reasons, categories, route names, status
codes): never a tenant, bucket, bot or key.
"""

import hmac
import json
import os
import re
import threading
import time
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    make_wsgi_app,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

from meetstream.metrics_dir import MULTIPROC_ENV

UPLOADS = Counter(
    "meetstream_uploads", "Upload attempts, by how they ended and why.", ["outcome", "reason"]
)
UPLOAD_BYTES = Counter(
    "meetstream_upload_bytes", "Bytes stored in buckets by uploads.", ["category"]
)
UPLOAD_SECONDS = Histogram(
    "meetstream_upload_duration_seconds",
    "Time to store one file, by its category.",
    ["category"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900),
)
WEBHOOK_ATTEMPTS = Counter(
    "meetstream_webhook_attempts", "Webhook deliveries tried, by outcome.", ["outcome"]
)
STORAGE_CHECKS = Counter(
    "meetstream_storage_checks",
    "Live checks of a storage configuration, by outcome and the first failure's reason.",
    ["outcome", "reason"],
)
FETCHES = Counter(
    "meetstream_fetches",
    "Media fetch requests, by endpoint and HTTP status.",
    ["endpoint", "status"],
)
REQUEST_SECONDS = Histogram(
    "meetstream_http_request_duration_seconds",
    "Time to answer an HTTP request, by route and method.",
    ["route", "method"],
)

_REASON = re.compile(r"[a-z][a-z0-9_]{0,39}")
_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
FETCH_VIEWS = "media_fetch.views"  # every route served there is a media fetch


def reason_label(reason: str | None) -> str:
    """A failure reason as a label: the code's own vocabulary, anything else 'other'."""
    if not reason:
        return "none"
    return reason if _REASON.fullmatch(reason) else "other"


def upload_counted(*, outcome: str, reason: str | None, category: str, size: int) -> None:
    UPLOADS.labels(outcome=outcome, reason=reason_label(reason)).inc()
    if outcome == "uploaded":
        UPLOAD_BYTES.labels(category=category).inc(size)


def storage_check_counted(*, failure_reason: str | None) -> None:
    outcome = "failed" if failure_reason else "ok"
    STORAGE_CHECKS.labels(outcome=outcome, reason=reason_label(failure_reason)).inc()


class RequestMetricsMiddleware:
    """Latency of every request by its route's name; fetches by endpoint and status."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        route = match.view_name if match and match.view_name else "unmatched"
        method = request.method if request.method in _METHODS else "other"
        REQUEST_SECONDS.labels(route=route, method=method).observe(time.perf_counter() - started)
        if match and match.func.__module__ == FETCH_VIEWS:
            FETCHES.labels(endpoint=match.url_name, status=str(response.status_code)).inc()
        return response


class MediaBacklogCollector:
    """Gauges read at scrape time, from partial indexes: files waiting for a retry, given up."""

    def collect(self):
        from bots.models import BotArtifact
        from bots.upload_lifecycle import UploadState

        waiting = BotArtifact.objects.filter(state=UploadState.RETRY_WAIT).count()
        given_up = BotArtifact.objects.filter(state=UploadState.GAVE_UP).count()
        yield GaugeMetricFamily(
            "meetstream_files_waiting_retry", "Files waiting for a retry of their upload.", waiting
        )
        yield GaugeMetricFamily(
            "meetstream_files_given_up", "Files whose upload was given up.", given_up
        )


class _ThisProcess:
    def collect(self):
        return REGISTRY.collect()


def registry_for_scrape(*, backlog: bool) -> CollectorRegistry:
    """Every process's counts (or this one's, outside multiprocess mode), and the backlog."""
    registry = CollectorRegistry()
    if os.environ.get(MULTIPROC_ENV):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    if backlog:
        registry.register(MediaBacklogCollector())
    return registry


def _token_refusal(sent: str) -> dict | None:
    """With METRICS_TOKEN set, the 401 body for a scrape that does not send it; else None."""
    token = settings.METRICS_TOKEN
    if token and not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
        return {"message": "Send the metrics token as 'Authorization: Bearer <METRICS_TOKEN>'."}
    return None


def metrics_view(request) -> HttpResponse:
    """GET /metrics; with METRICS_TOKEN set, only for `Authorization: Bearer <token>`."""
    if (refusal := _token_refusal(request.headers.get("Authorization", ""))) is not None:
        response = JsonResponse(refusal, status=401)
        response["WWW-Authenticate"] = "Bearer"
        return response
    body = generate_latest(registry_for_scrape(backlog=True))
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args) -> None:  # a scrape every few seconds is not news
        pass


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


def worker_metrics_serve(port: int, address: str) -> None:
    """The worker's main process serves every pool process's counts on WORKER_METRICS_PORT,
    as the web serves /metrics: METRICS_TOKEN asked when set."""
    scrape = make_wsgi_app(registry_for_scrape(backlog=False))

    def app(environ, start_response):
        if (refusal := _token_refusal(environ.get("HTTP_AUTHORIZATION", ""))) is not None:
            headers = [("Content-Type", "application/json"), ("WWW-Authenticate", "Bearer")]
            start_response("401 Unauthorized", headers)
            return [json.dumps(refusal).encode()]
        return scrape(environ, start_response)

    server = make_server(address, port, app, _ThreadingServer, handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, name="worker-metrics", daemon=True).start()


def worker_process_exited(pid: int) -> None:
    if os.environ.get(MULTIPROC_ENV):
        multiprocess.mark_process_dead(pid)
