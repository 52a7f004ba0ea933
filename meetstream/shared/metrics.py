"""Prometheus metrics: what the web and the workers count (meetstream.metrics serves them).

Under gunicorn and Celery's prefork pool each process counts into PROMETHEUS_MULTIPROC_DIR
(prometheus-client's multiprocess mode, chosen when the variable is set before the client is
imported: meetstream.gunicorn and meetstream.celery see to it) and a scrape sums the files.
Labels take values from fixed sets only (outcomes, reasons, categories, route names, status
codes): never a tenant, bucket, bot or key.
"""

import re
import time

from prometheus_client import Counter, Histogram

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
