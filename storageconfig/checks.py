"""The live check run before a configuration is saved: can these credentials do their job?"""

import time
import uuid
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass
from functools import partial

from meetstream.shared import metrics
from storageconfig.backends.base import Backend
from storageconfig.failures import StorageError
from storageconfig.rules import folder_start
from storageconfig.selectors import platform_storage

# The whole check, however many probes, answers within this; the request within 10 s.
CHECK_DEADLINE_SECONDS = 7.0
PROBE_BODY = b"MeetStream write probe: safe to delete.\n"


@dataclass(frozen=True)
class CheckOutcome:
    check: str  # the backend's first_check, read_check or write_check
    key: str | None
    ok: bool
    reason: str | None = None
    message: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def probe_key(folder: str, name: str | None = None) -> str:
    return f"{folder_start(folder)}.write_probe_{name or uuid.uuid4().hex}"


def _outcome(check: str, key: str | None, step) -> CheckOutcome:
    try:
        step()
    except StorageError as failure:
        return CheckOutcome(check, key, False, failure.reason, failure.message)
    return CheckOutcome(check, key, True)


def _prepared(backend: Backend) -> tuple[CheckOutcome, Backend | None]:
    try:
        prepared = backend.prepare()
    except StorageError as failure:
        return CheckOutcome(backend.first_check, None, False, failure.reason, failure.message), None
    return CheckOutcome(backend.first_check, None, True), prepared


def storage_check(
    *, backend: Backend, access_mode: str, folders: list[str], probe_name: str | None = None
) -> list[CheckOutcome]:
    """The backend's first step when it has one (a role assumed). Then `read_write`: its read
    check; `write_only`: a probe object in each distinct folder its keys go to.

    Probes run side by side under one deadline, so a silent endpoint costs the deadline once.
    """
    deadline = time.monotonic() + CHECK_DEADLINE_SECONDS
    pool = ThreadPoolExecutor(max_workers=len(folders), thread_name_prefix="storage-check")
    try:
        outcomes = []
        ready: Backend | None = backend
        if backend.prepare_needed():
            prepared = pool.submit(_prepared, backend)
            wait([prepared], timeout=CHECK_DEADLINE_SECONDS)
            silent = f"{backend.first_check} did not answer within {CHECK_DEADLINE_SECONDS:g} s."
            outcome, ready = (
                prepared.result()
                if prepared.done()
                else (CheckOutcome(backend.first_check, None, False, "timeout", silent), None)
            )
            outcomes.append(outcome)
        if ready is not None:
            keys = [probe_key(folder, probe_name) for folder in folders]
            outcomes += _bucket_checks(pool, ready, access_mode, folders, keys, deadline)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    failed = next((outcome.reason for outcome in outcomes if not outcome.ok), None)
    metrics.storage_check_counted(failure_reason=failed)
    return outcomes


def _bucket_checks(
    pool, backend: Backend, access_mode, folders, keys, deadline
) -> list[CheckOutcome]:
    if access_mode == "read_write":
        read = partial(backend.bucket_read, diagnose_prefix=folders[0])
        jobs = [(backend.read_check, None, read)]
    else:
        jobs = [
            (
                backend.write_check,
                key,
                partial(backend.object_put, key=key, body=PROBE_BODY, content_type="text/plain"),
            )
            for key in keys
        ]
    futures = [pool.submit(_outcome, *job) for job in jobs]
    wait(futures, timeout=max(0.0, deadline - time.monotonic()))
    timeout = (
        f"The endpoint {backend.endpoint()} did not answer within {CHECK_DEADLINE_SECONDS:g} s."
    )
    return [
        future.result() if future.done() else CheckOutcome(check, key, False, "timeout", timeout)
        for future, (check, key, _) in zip(futures, jobs, strict=True)
    ]


def platform_bucket_probe() -> StorageError | None:
    """Readiness and `check --deploy`: does the platform bucket answer a HeadBucket in 2 s?"""
    return platform_storage().backend.bucket_probe()
