"""The live check run before a configuration is saved: can these credentials do their job?"""

import time
import uuid
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass
from functools import partial

from meetstream import metrics
from storageconfig import s3
from storageconfig.selectors import platform_storage

# The whole check, however many probes, answers within this; the request within 10 s.
CHECK_DEADLINE_SECONDS = 7.0
PROBE_BODY = b"MeetStream write probe: safe to delete.\n"


@dataclass(frozen=True)
class CheckOutcome:
    check: str  # "AssumeRole", "HeadBucket" or "PutObject"
    key: str | None
    ok: bool
    reason: str | None = None
    message: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def probe_key(prefix: str) -> str:
    return f"{prefix}/.write_probe_{uuid.uuid4().hex}"


def _head(client, target: s3.S3Target, prefix: str) -> CheckOutcome:
    try:
        s3.bucket_head(client, target, diagnose_prefix=prefix)
    except s3.S3Error as failure:
        return CheckOutcome("HeadBucket", None, False, failure.reason, failure.message)
    return CheckOutcome("HeadBucket", None, True)


def _probe(client, target: s3.S3Target, key: str) -> CheckOutcome:
    try:
        s3.object_put(client, target, key=key, body=PROBE_BODY, content_type="text/plain")
    except s3.S3Error as failure:
        return CheckOutcome("PutObject", key, False, failure.reason, failure.message)
    return CheckOutcome("PutObject", key, True)


def _assume(target: s3.S3Target) -> tuple[CheckOutcome, s3.S3Target | None]:
    try:
        session = s3.role_assume(target)
    except s3.S3Error as failure:
        return CheckOutcome("AssumeRole", None, False, failure.reason, failure.message), None
    return CheckOutcome("AssumeRole", None, True), session


def storage_check(
    *, target: s3.S3Target, access_mode: str, prefixes: list[str]
) -> list[CheckOutcome]:
    """A role is assumed first. Then `read_write`: HeadBucket; `write_only`: a probe object
    under each distinct prefix.

    Probes run side by side under one deadline, so a silent endpoint costs the deadline once.
    """
    deadline = time.monotonic() + CHECK_DEADLINE_SECONDS
    pool = ThreadPoolExecutor(max_workers=len(prefixes), thread_name_prefix="storage-check")
    try:
        outcomes = []
        if target.role is not None:
            assumed = pool.submit(_assume, target)
            wait([assumed], timeout=CHECK_DEADLINE_SECONDS)
            silent = f"STS did not answer within {CHECK_DEADLINE_SECONDS:g} s."
            outcome, target = (
                assumed.result()
                if assumed.done()
                else (CheckOutcome("AssumeRole", None, False, "timeout", silent), None)
            )
            outcomes.append(outcome)
        if target is not None:
            outcomes += _bucket_checks(pool, target, access_mode, prefixes, deadline)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    failed = next((outcome.reason for outcome in outcomes if not outcome.ok), None)
    metrics.storage_check_counted(failure_reason=failed)
    return outcomes


def _bucket_checks(pool, target, access_mode, prefixes, deadline) -> list[CheckOutcome]:
    client = s3.client(target, purpose="check")
    if access_mode == "read_write":
        jobs = [("HeadBucket", None, partial(_head, client, target, prefixes[0]))]
    else:
        jobs = [
            ("PutObject", key, partial(_probe, client, target, key))
            for key in map(probe_key, prefixes)
        ]
    futures = [pool.submit(job) for _, _, job in jobs]
    wait(futures, timeout=max(0.0, deadline - time.monotonic()))
    timeout = f"The endpoint {target.endpoint} did not answer within {CHECK_DEADLINE_SECONDS:g} s."
    return [
        future.result() if future.done() else CheckOutcome(check, key, False, "timeout", timeout)
        for future, (check, key, _) in zip(futures, jobs, strict=True)
    ]


def platform_bucket_probe() -> s3.S3Error | None:
    """Readiness and `check --deploy`: does the platform bucket answer a HeadBucket in 2 s?"""
    storage = platform_storage()
    return s3.bucket_probe(storage.target, cache_key=storage.cache_key)
