"""/metrics: what operators scrape, in Prometheus' text format, summed over every process."""

import subprocess

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from bots.models import BotArtifact, UploadState
from tests.support.api import PUT
from tests.support.media import create_bot, recorded_bot
from tests.support.processes import gunicorn_start


@pytest.fixture(autouse=True)
def _committed(transactional_db):
    """Uploads are queued on commit, as in production."""


def samples(text: str) -> dict[tuple[str, tuple], float]:
    """(sample name, sorted labels) → value."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scrape(client, **headers) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    return samples(response.content.decode())


def delta(before: dict, after: dict, name: str, **labels) -> float:
    key = (name, tuple(sorted(labels.items())))
    return after.get(key, 0.0) - before.get(key, 0.0)


@pytest.mark.slow
def test_uploads_fetches_checks_and_latency_are_counted_without_tenant_or_bucket_names(
    api, recorder, client, config_body, bucket, tenant
):
    before = scrape(client)
    assert api.put(PUT, config_body(), format="json").status_code == 200
    bot_id, files = recorded_bot(api, recorder)
    assert api.get(f"/api/v1/bots/{bot_id}/get_audio").status_code == 200
    assert api.get(f"/api/v1/bots/{bot_id}/get_video?x=1").status_code == 200
    assert api.get("/api/v1/bots/bot_nope/get_audio").status_code == 404

    response = client.get("/metrics")
    after = samples(response.content.decode())

    stored = len(files) + 1  # and the manifest
    assert delta(before, after, "meetstream_uploads_total", outcome="uploaded", reason="none") == (
        stored
    )
    assert delta(before, after, "meetstream_upload_bytes_total", category="audio") == sum(
        len(data) for name, data in files.items() if name.startswith("audio.")
    )
    assert delta(before, after, "meetstream_upload_duration_seconds_count", category="video") == 1
    assert delta(before, after, "meetstream_storage_checks_total", outcome="ok", reason="none") == 1
    assert delta(before, after, "meetstream_fetches_total", endpoint="bot-audio", status="200") == 1
    assert delta(before, after, "meetstream_fetches_total", endpoint="bot-audio", status="404") == 1
    assert delta(before, after, "meetstream_fetches_total", endpoint="bot-video", status="200") == 1
    assert (
        delta(
            before,
            after,
            "meetstream_http_request_duration_seconds_count",
            route="bot-create",
            method="POST",
        )
        == 1
    )
    text = response.content.decode()
    for name in (tenant.name, tenant.public_id, bucket, bot_id):
        assert name not in text


@pytest.mark.slow
def test_a_failed_live_check_is_counted_by_its_reason(api, client, config_body):
    before = scrape(client)

    assert (
        api.put(PUT, config_body(bucket_name="no-such-bucket-m"), format="json").status_code == 400
    )

    after = scrape(client)
    assert (
        delta(
            before,
            after,
            "meetstream_storage_checks_total",
            outcome="failed",
            reason="no_such_bucket",
        )
        == 1
    )


@pytest.mark.slow
def test_files_waiting_and_given_up_are_gauges_read_at_scrape_time(api, recorder, client):
    bot_id, _ = recorded_bot(api, recorder)
    files = BotArtifact.objects.filter(bot__public_id=bot_id).order_by("pk")
    before = scrape(client)
    BotArtifact.objects.filter(pk__in=[f.pk for f in files[:2]]).update(state=UploadState.GAVE_UP)
    BotArtifact.objects.filter(pk=files[2].pk).update(state=UploadState.RETRY_WAIT)

    after = scrape(client)

    assert delta(before, after, "meetstream_files_given_up") == 2
    assert delta(before, after, "meetstream_files_waiting_retry") == 1


def test_with_a_metrics_token_set_only_its_bearer_may_scrape(client, settings):
    settings.METRICS_TOKEN = "metrics-token-0123456789"

    missing = client.get("/metrics")
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer nope")
    right = client.get("/metrics", HTTP_AUTHORIZATION="Bearer metrics-token-0123456789")

    assert missing.status_code == wrong.status_code == 401
    assert "METRICS_TOKEN" in missing.json()["message"]
    assert right.status_code == 200 and b"meetstream_uploads" in right.content


@pytest.mark.e2e
def test_under_gunicorn_with_two_workers_a_scrape_sums_both(tmp_path):
    folder = tmp_path / "metrics"
    gone = subprocess.Popen(["true"])
    gone.wait()
    stale = folder / f"web-{gone.pid}"  # a gunicorn of a previous run, whose process is gone
    stale.mkdir(parents=True)
    (stale / "counter_1.db").write_bytes(b"stale, from a previous run")
    healthz = (
        "meetstream_http_request_duration_seconds_count",
        (("method", "GET"), ("route", "healthz")),
    )
    server = gunicorn_start(
        log=tmp_path / "gunicorn.log", workers=2, PROMETHEUS_MULTIPROC_DIR=str(folder)
    )
    try:
        assert not stale.exists(), "the master removed a finished group's folder at start"
        baseline = samples(requests.get(f"{server.url}/metrics", timeout=10).text)[healthz]
        sent = 0
        while len(list(folder.glob("web-*/histogram_*.db"))) < 2 and sent < 2000:
            # A new connection each time: either worker may accept it.
            assert requests.get(f"{server.url}/healthz", timeout=10).status_code == 200
            sent += 1
        assert len(list(folder.glob("web-*/histogram_*.db"))) == 2, "both workers served"
        scrapes = [requests.get(f"{server.url}/metrics", timeout=10).text for _ in range(6)]
    finally:
        server.stop()

    for text in scrapes:  # whichever worker answers, it counts the other's requests too
        assert samples(text)[healthz] == baseline + sent


@pytest.mark.slow
def test_webhook_attempts_are_counted_by_outcome(api, client, receiver):
    before = scrape(client)
    receiver.status = 503

    create_bot(api, callback_url=receiver.url)  # bot.joining: answered 503, to be retried
    receiver.status = 200
    create_bot(api, callback_url=receiver.url)  # delivered

    after = scrape(client)
    assert delta(before, after, "meetstream_webhook_attempts_total", outcome="http_5xx") == 1
    assert delta(before, after, "meetstream_webhook_attempts_total", outcome="delivered") == 1
