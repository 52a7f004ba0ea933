"""The upload path's delays fit together, and docs/decisions.md says what the code does."""

from datetime import timedelta

from django.conf import settings

from meetstream.celery import app as celery_app
from meetstream.shared import timing
from storageconfig.backends.aws import s3
from tests.support.processes import ROOT


def test_a_lease_survives_a_missed_renewal_and_lapses_before_redis_redelivers():
    assert timing.LEASE_RENEW_EVERY * 2 < timing.LEASE
    # A dead worker's file is found by the scheduler when its lease lapses, long before the
    # broker would hand the task to another worker.
    assert timing.LEASE + timing.SCHEDULER_EVERY < timing.visibility_timeout()


def test_one_scheduler_ticks_before_the_shortest_wait_is_over():
    assert timing.SCHEDULER_EVERY <= timing.retry_base() * 0.5
    # What beat reads: one entry, the one scheduler, at that pace.
    [entry] = celery_app.conf.beat_schedule.values()
    assert (entry["task"], entry["schedule"]) == (
        "bots.tasks.run_due_work",
        timing.SCHEDULER_EVERY.total_seconds(),
    )


def test_a_webhook_attempt_ends_before_its_lease_lapses_whatever_the_deadline_is_set_to():
    longest = timedelta(seconds=50)  # WEBHOOK_TIMEOUT_SECONDS's maximum
    assert settings.WEBHOOK_TIMEOUT_SECONDS <= 50
    assert longest + timedelta(seconds=5) < timing.WEBHOOK_LEASE


def test_one_attempt_is_botocores_few_requests_and_nothing_else_retries_within_it():
    transfer = s3._CONFIGS["transfer"]
    assert transfer.retries == {"mode": "standard", "total_max_attempts": 3}
    assert timing.S3_REQUEST_ATTEMPTS == 3 and transfer.connect_timeout == timing.S3_CONNECT_TIMEOUT


def test_waits_grow_exponentially_with_jitter_up_to_the_cap(settings):
    settings.MEDIA_UPLOAD_RETRY_BASE_SECONDS = 30
    for attempts in range(1, 12):
        ceiling = min(timing.RETRY_CAP, timedelta(seconds=30 * 2 ** (attempts - 1)))
        waits = {timing.retry_delay(attempts) for _ in range(50)}
        assert all(ceiling / 2 <= wait <= ceiling for wait in waits), attempts
        assert len(waits) > 1  # jittered


def test_the_documented_table_is_the_timing_in_force():
    readme = (ROOT / "docs" / "decisions.md").read_text()
    for row in timing.timing_table():
        assert f"| {row.what} | {row.value} |" in readme, row
