"""/metrics and the worker's scrape port: every process's counts (meetstream.shared.metrics
holds the counters), and the media backlog read at scrape time."""

import hmac
import json
import os
import threading
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    make_wsgi_app,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

from meetstream.shared.metrics_dir import MULTIPROC_ENV


class MediaBacklogCollector:
    """Gauges read at scrape time, from partial indexes: files waiting for a retry, given up."""

    def collect(self):
        from bots.models import BotArtifact  # at scrape time: the worker imports this early
        from bots.pipeline.upload_lifecycle import UploadState

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
