"""Every delay and lease of the scheduled work (meetstream.shared.due_work), in one place.

Three layers, each with its own job and nothing else retrying in between:

1. botocore retries one S3 request a few times within one upload attempt (a blip);
2. a failed attempt puts the file (the webhook event, the deletion) back to wait until a
   backoff has passed (an outage);
3. the one scheduler (`run_due_work` on beat, or `manage.py uploads_due`) starts what is due.

Work being done is held by a lease on its row, renewed while a long upload runs, so a dead
worker's work becomes due again when the lease lapses, however long healthy work takes.
`tests/meetstream/test_timing.py` checks how these relate and that docs/decisions.md's table says
the same.
"""

import random
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings

S3_REQUEST_ATTEMPTS = 3  # botocore "standard" mode, per request, within one upload attempt
S3_CONNECT_TIMEOUT = 5
RETRY_CAP = timedelta(hours=1)
LEASE = timedelta(minutes=5)
LEASE_RENEW_EVERY = timedelta(minutes=1)
SCHEDULER_EVERY = timedelta(seconds=15)
# A webhook attempt ends by WEBHOOK_TIMEOUT_SECONDS (at most 50 s), so its lease is not renewed.
WEBHOOK_LEASE = timedelta(minutes=1)
WEBHOOK_RETRY_CAP = timedelta(hours=1)
WEBHOOK_MAX_ATTEMPTS = 8
# A partial staged file younger than this is left alone even unlocked: its writer may be
# between creating it and locking it (bots.pipeline.staging).
PARTIAL_FILE_GRACE = timedelta(minutes=1)
# A recorder upload into the staging bucket still unfinished after this is one whose request
# died (a live one would be an 8 GiB body at under 1 MB/s): it is aborted (bots.pipeline.staging).
STAGED_UPLOAD_GRACE = timedelta(hours=3)


def retry_base() -> timedelta:
    return timedelta(seconds=settings.MEDIA_UPLOAD_RETRY_BASE_SECONDS)


def retry_delay(attempts: int) -> timedelta:
    """After the n-th failed attempt: base x 2^(n-1), capped, then a random 50-100 % of it, so
    the files of many bots that failed together do not all come back at once."""
    ceiling = min(RETRY_CAP, retry_base() * 2 ** max(0, attempts - 1))
    return ceiling * random.uniform(0.5, 1.0)  # noqa: S311 - jitter, not a secret


def webhook_retry_delay(attempts: int) -> timedelta:
    """After the n-th failed webhook attempt: base x 4^(n-1), an hour at most."""
    base = timedelta(seconds=settings.WEBHOOK_RETRY_BASE_SECONDS)
    return min(WEBHOOK_RETRY_CAP, base * 4 ** max(0, attempts - 1))


def visibility_timeout() -> timedelta:
    return timedelta(seconds=settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"])


@dataclass(frozen=True)
class Row:
    what: str
    value: str


def _seconds(delay: timedelta) -> str:
    seconds = int(delay.total_seconds())
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    return f"{seconds // 60} min" if seconds % 60 == 0 and seconds >= 60 else f"{seconds} s"


def timing_table() -> list[Row]:
    """docs/decisions.md's timing table, from the values in force."""
    base = retry_base()
    return [
        Row(
            "S3 request attempts within one upload attempt (botocore)",
            f"{S3_REQUEST_ATTEMPTS}, connect timeout {S3_CONNECT_TIMEOUT} s, "
            f"read timeout {settings.UPLOAD_READ_TIMEOUT} s",
        ),
        Row(
            "Wait after the n-th failed attempt (`retry_wait`)",
            f"{_seconds(base)} x 2^(n-1), at most {_seconds(RETRY_CAP)}, "
            "then a random 50-100 % of it",
        ),
        Row("Attempts before a file is given up", str(settings.MEDIA_UPLOAD_MAX_ATTEMPTS)),
        Row(
            "Scheduler of all due work (`run_due_work` on beat)",
            f"every {_seconds(SCHEDULER_EVERY)}",
        ),
        Row(
            "Lease on a file being uploaded",
            f"{_seconds(LEASE)}, renewed every {_seconds(LEASE_RENEW_EVERY)} while it runs",
        ),
        Row("Lease on a deletion or a retention expiry being done", _seconds(LEASE)),
        Row(
            "Webhook attempt (connect, send, answer together)",
            f"{settings.WEBHOOK_TIMEOUT_SECONDS} s deadline, 64 KiB of the answer read at most",
        ),
        Row(
            "Wait after the n-th failed webhook attempt",
            f"{settings.WEBHOOK_RETRY_BASE_SECONDS} s x 4^(n-1), at most "
            f"{_seconds(WEBHOOK_RETRY_CAP)}; given up after {WEBHOOK_MAX_ATTEMPTS} attempts",
        ),
        Row(
            "Lease on a webhook event being delivered",
            f"{_seconds(WEBHOOK_LEASE)}; at most {settings.WEBHOOK_TENANT_CONCURRENCY} "
            "per tenant at once",
        ),
        Row(
            "A recorder upload's partial file (`.part`) whose request died",
            f"deleted by the scheduler once no process holds its lock and it is "
            f"{_seconds(PARTIAL_FILE_GRACE)} old; by a deletion of the bot's media at once",
        ),
        Row(
            "A recorder upload into `STAGING_S3_BUCKET` whose request died (an open multipart "
            "upload)",
            f"aborted by the scheduler once it is {_seconds(STAGED_UPLOAD_GRACE)} old; by a "
            f"deletion of the bot's media at once",
        ),
        Row(
            "A given-up file's staged copy, held for `redeliver`",
            f"{settings.MEDIA_HOLD_HOURS} h, then deleted by the scheduler",
        ),
        Row("Live check of each active storage configuration", _health_every()),
        Row("Redis visibility timeout (a vanished worker's task)", _seconds(visibility_timeout())),
    ]


def _health_every() -> str:
    minutes = settings.STORAGE_HEALTH_CHECK_MINUTES
    if not minutes:
        return "off"
    return (
        f"every {_seconds(timedelta(minutes=minutes))} (the first one an interval after the "
        f"save), a lease of {_seconds(LEASE)} on each batch of 100 checks"
    )
