"""Logs an operator can follow: a request id from the API call through the task it queued,
one JSON object per line with LOG_FORMAT=json."""

import json
import re

import pytest
import requests

from meetstream.shared.processes import free_port
from tests.support.media import create_bot, hand_over, sample_media
from tests.support.processes import needs_redis
from tests.support.workers import wait_for_done


def worker_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


@pytest.fixture(autouse=True)
def _committed(transactional_db):
    """Uploads are queued on commit, as in production."""


@pytest.mark.slow
def test_a_request_id_is_taken_echoed_and_logged_with_tenant_and_bot(api, recorder, json_log):
    bot = create_bot(api)

    response = recorder.post(f"/internal/v1/bots/{bot['bot_id']}/left", HTTP_X_REQUEST_ID="req-42")
    status = api.get(f"/api/v1/bots/{bot['bot_id']}/status", HTTP_X_REQUEST_ID="req-43")

    assert response["X-Request-ID"] == "req-42" and status["X-Request-ID"] == "req-43"
    lines = json_log()
    left = next(line for line in lines if "left its meeting" in line["message"])
    assert (left["request_id"], left["bot_id"], left["level"]) == ("req-42", bot["bot_id"], "INFO")
    uploaded = next(line for line in lines if line["message"].startswith("Upload pass"))
    assert uploaded["request_id"] == "req-42", "the inline task ran under the request's id"
    assert uploaded["tenant"] and uploaded["bot_id"] == bot["bot_id"]


def test_the_line_django_writes_about_a_refused_request_names_it(json_log, tenant):
    from rest_framework.test import APIClient

    from meetstream.shared.logcontext import log_context_end, log_context_start

    wrong = APIClient()
    wrong.credentials(HTTP_AUTHORIZATION="Token ms_wrong")
    earlier = log_context_start(task_id="an-earlier-task")  # what this thread logged before
    try:
        response = wrong.get("/api/v1/bots", HTTP_X_REQUEST_ID="req-401")
    finally:
        log_context_end(earlier)

    assert response.status_code == 401 and response["X-Request-ID"] == "req-401"
    [line] = [line for line in json_log() if line["logger"] == "django.request"]
    assert line["message"] == "Unauthorized: /api/v1/bots"
    assert (line["request_id"], line["task_id"]) == ("req-401", None)


@pytest.mark.slow
@pytest.mark.parametrize("sent", ["", "has space", "x" * 129, 'quote"d', "new\\nline"])
def test_an_unusable_request_id_is_replaced_by_a_new_one(api, sent):
    response = api.get("/api/v1/bots", HTTP_X_REQUEST_ID=sent)

    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


@pytest.mark.slow
def test_without_a_request_id_each_response_gets_its_own(api):
    first, second = api.get("/api/v1/bots"), api.get("/api/v1/bots")

    assert first["X-Request-ID"] != second["X-Request-ID"]


@pytest.mark.e2e
@needs_redis
def test_a_worker_on_redis_logs_json_under_the_request_id_and_serves_its_metrics(
    api, recorder, workers, json_log
):
    port = free_port()
    workers.start(LOG_FORMAT="json", WORKER_METRICS_PORT=str(port))
    bot = create_bot(api)
    files = sample_media(bot, screenshots=1)
    hand_over(recorder, bot["bot_id"], files, leave=False)

    left = recorder.post(f"/internal/v1/bots/{bot['bot_id']}/left", HTTP_X_REQUEST_ID="trace-7f3a")
    wait_for_done(api, [bot["bot_id"]], workers)

    assert left.status_code == 202
    web = next(line for line in json_log() if "left its meeting" in line["message"])
    assert web["request_id"] == "trace-7f3a"
    lines = worker_lines(workers.logs())
    assert lines, workers.logs()
    traced = [line for line in lines if line["request_id"] == "trace-7f3a"]
    upload = next(line for line in traced if line["message"].startswith("Upload pass"))
    assert upload["bot_id"] == bot["bot_id"] and upload["tenant"] and upload["task_id"]
    metrics = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    uploaded = re.search(
        r'meetstream_uploads_total\{outcome="uploaded",reason="none"\} (\S+)', metrics
    )
    assert uploaded and float(uploaded[1]) == len(files) + 1  # and the manifest
