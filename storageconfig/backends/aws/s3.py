"""S3 clients: sessions, timeouts, retries, a role's sessions, and what every client
refuses (redirects, other regions, refused hosts). The operations are in `objects`, URLs in
`presign`, and what a failure means in `errors`."""

import logging
from collections.abc import Hashable
from dataclasses import replace
from functools import cache
from typing import Literal

import botocore.session
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.credentials import CredentialProvider, CredentialResolver
from botocore.exceptions import (
    ClientError,
)
from botocore.handlers import add_expect_header
from django.conf import settings

from meetstream.shared import outbound, timing
from storageconfig.backends.aws import sts
from storageconfig.backends.aws.errors import WrongRegion
from storageconfig.backends.aws.target import S3Target
from storageconfig.backends.aws.watch import multipart_begun, multipart_completed
from storageconfig.backends.base import PROBE_SECONDS, upload_connections
from storageconfig.client_cache import CLIENT_CACHE_SIZE, ClientCache, revision_of
from storageconfig.failures import StorageError

logger = logging.getLogger(__name__)


Purpose = Literal["check", "transfer", "fetch", "probe"]


# A live check answers a person waiting on an HTTP request: fail fast, retry once.
CHECK_CONNECT_TIMEOUT = 2.0


CHECK_READ_TIMEOUT = 2.5


_CONFIGS: dict[str, Config] = {
    "check": Config(
        connect_timeout=CHECK_CONNECT_TIMEOUT,
        read_timeout=CHECK_READ_TIMEOUT,
        retries={"mode": "standard", "total_max_attempts": 2},
    ),
    # read_timeout comes from settings.UPLOAD_READ_TIMEOUT when the client is built.
    # A blip is retried here; a longer outage is the upload scheduler's (meetstream.shared.timing).
    "transfer": Config(
        connect_timeout=timing.S3_CONNECT_TIMEOUT,
        retries={"mode": "standard", "total_max_attempts": timing.S3_REQUEST_ATTEMPTS},
    ),
    # Readiness and `check --deploy`: one try, answered within PROBE_SECONDS or not at all.
    "probe": Config(
        connect_timeout=PROBE_SECONDS / 2,
        read_timeout=PROBE_SECONDS / 2,
        retries={"mode": "standard", "total_max_attempts": 1},
    ),
    # Reads that answer an API request: bounded, so a stalled bucket fails the request fast.
    "fetch": Config(
        connect_timeout=3,
        read_timeout=10,
        retries={"mode": "standard", "total_max_attempts": 3},
        max_pool_connections=32,
    ),
}


# AssumeRole, on a check or when a session is due: within 10 s, whatever happens.
_STS_CONFIG = Config(
    connect_timeout=2,
    read_timeout=3,
    retries={"mode": "standard", "total_max_attempts": 2},
)


MiB = 1024 * 1024


def transfer_config(threads: int | None = None) -> TransferConfig:
    """Multipart above one part's size; UPLOAD_THREADS parts at once (shared by an upload
    pass's files, `objects.parts_shared`), and a stream holds at most that many parts in
    memory (docs/benchmarks.md measured these)."""
    part = settings.UPLOAD_PART_MB * MiB
    return _transfer_config(part, threads or settings.UPLOAD_THREADS)


@cache
def _transfer_config(part: int, threads: int) -> TransferConfig:
    config = TransferConfig(
        multipart_threshold=part,
        multipart_chunksize=part,
        max_concurrency=threads,
        use_threads=True,
    )
    config.max_in_memory_upload_chunks = threads
    return config


@cache
def _session() -> botocore.session.Session:
    # One session for the process: loading botocore's service models is the costly part.
    return botocore.session.get_session()


class _Given(CredentialProvider):
    METHOD = "assume-role"

    def __init__(self, credentials) -> None:
        self.credentials = credentials

    def load(self):
        return self.credentials


def _session_holding(credentials) -> botocore.session.Session:
    """A session whose clients sign with these credentials (botocore refreshes them), reading
    the models the process's session has already read."""
    session = botocore.session.get_session()
    session.register_component("data_loader", _session().get_component("data_loader"))
    session.register_component("credential_provider", CredentialResolver([_Given(credentials)]))
    return session


def models_load() -> None:
    """Read botocore's S3 model and endpoint rules into the process's session now. A Celery
    worker does so before its pool forks, so no pool process spends a quarter of a second of
    its first upload reading them (the bench's `left` to first request, cold)."""
    _session().create_client("s3", region_name="us-east-1")


_clients = ClientCache(CLIENT_CACHE_SIZE)


# A role's session per revision: assumed on first use, shared by the revision's clients.
_role_sessions = ClientCache(CLIENT_CACHE_SIZE)


def client(target: S3Target, *, purpose: Purpose = "transfer", cache_key: Hashable | None = None):
    """An S3 client for the target; with a cache_key (a configuration revision) it is reused."""

    def build():
        session = _session() if target.role is None else _role_session(target, cache_key)
        return _build(target, purpose, session)

    return build() if cache_key is None else _clients.get((purpose, cache_key), build)


def _role_session(target: S3Target, cache_key: Hashable | None) -> botocore.session.Session:
    """The revision's role session (a new one for a client that is not kept)."""
    role, region = target.role, target.region

    def build() -> botocore.session.Session:
        credentials = sts.RoleCredentials(lambda: sts.assume(_sts(region), role, region=region))
        return _session_holding(credentials)

    if cache_key is None:
        return build()
    return _role_sessions.get((revision_of(cache_key), role, region), build)


def _sts(region: str):
    """An STS client signing with the platform's own key pair, or else the default chain."""
    return _session().create_client(
        "sts",
        region_name=region,
        aws_access_key_id=settings.PLATFORM_S3_ACCESS_KEY_ID or None,
        aws_secret_access_key=settings.PLATFORM_S3_SECRET_ACCESS_KEY or None,
        config=_STS_CONFIG,
    )


def role_sessions_held(revision: Hashable) -> list[botocore.session.Session]:
    """The role sessions this process holds for a revision (one per role and region)."""
    return [held for key, held in _role_sessions.items() if revision_of(key) == revision]


def clients_forget_all() -> None:
    """Drop every client this process holds: the next are built with the settings of now
    (the platform's keys rotated, a timeout changed)."""
    _clients.clear()


def client_forget(revision: Hashable) -> None:
    """Drop the clients and the role sessions of a revision: keyed by it, or by a tuple that
    starts with it."""
    _clients.forget(revision)
    _role_sessions.forget(revision)


def role_assume(target: S3Target) -> S3Target:
    """The live check's first step: the target holding a fresh session of its role, once the
    role is shown to be the customer's own and protected (sts.role_protection_check)."""
    client = _sts(target.region)
    platform_account = platform_principal_arn().split(":")[4]
    sts.role_protection_check(client, target.role, region=target.region, account=platform_account)
    session = sts.assume(client, target.role, region=target.region)
    return replace(
        target,
        access_key_id=session["access_key"],
        secret_key=session["secret_key"],
        session_token=session["token"],
        role=None,
    )


@cache
def _principal(key_id: str | None) -> str:
    # Keyed by the platform's key id: a new key pair may be another principal.
    return sts.caller_arn(_sts(settings.PLATFORM_S3_REGION))


def platform_principal_arn() -> str:
    """Who a customer's role must trust: PLATFORM_AWS_PRINCIPAL_ARN, else STS's answer."""
    if settings.PLATFORM_AWS_PRINCIPAL_ARN:
        return settings.PLATFORM_AWS_PRINCIPAL_ARN
    try:
        return _principal(settings.PLATFORM_S3_ACCESS_KEY_ID or None)
    except sts.FAILURES as exc:
        raise StorageError(
            "platform_principal_unknown",
            f"STS did not name the platform's principal ({type(exc).__name__}): "
            "set PLATFORM_AWS_PRINCIPAL_ARN.",
            retryable=True,
        ) from None


def _build(target: S3Target, purpose: Purpose, session: botocore.session.Session):
    config = _CONFIGS[purpose]
    if purpose == "transfer":
        connections = max(32, upload_connections())
        config = config.merge(
            Config(
                read_timeout=settings.UPLOAD_READ_TIMEOUT,
                max_pool_connections=connections,
            )
        )
    config = config.merge(
        Config(
            signature_version="s3v4",
            # S3-compatible servers (MinIO, moto, R2) want bucket names in the path.
            s3={"addressing_style": "path" if target.endpoint_url else "auto"},
        )
    )
    built = session.create_client(
        "s3",
        region_name=target.region,
        endpoint_url=target.endpoint_url or None,
        aws_access_key_id=target.access_key_id,
        aws_secret_access_key=target.secret_key,
        aws_session_token=target.session_token,
        config=config,
    )
    # Small PUTs skip "Expect: 100-continue": its extra round trip costs more than it saves.
    built.meta.events.unregister("before-call.s3", add_expect_header)
    built.meta.events.register("before-call.s3.UploadPart", add_expect_header)
    if purpose == "transfer":
        built.meta.events.register("after-call.s3.CreateMultipartUpload", multipart_begun)
        built.meta.events.register("after-call.s3.CompleteMultipartUpload", multipart_completed)
    # botocore answers a redirect by asking the bucket's region, and when that redirects too,
    # asks again until the stack runs out; a redirect is an answer here, never followed.
    built.meta.events.register_first("needs-retry.s3", _stop_at_redirect)
    if target.egress_vetted:
        outbound.botocore_connections_vet(built)
        built.meta.events.register_first("needs-retry.s3", _stop_on_refusal)
    if purpose == "check":
        # botocore follows a bucket to its real region silently; a check must say so instead.
        built.meta.events.register_first("needs-retry.s3", _refuse_other_region(target.region))
    return built


_REDIRECTS = {301, 302, 303, 307, 308}


def _stop_at_redirect(response=None, operation=None, **_) -> None:
    if response is not None and response[0].status_code in _REDIRECTS:
        raise ClientError(response[1], operation.name)


def _stop_on_refusal(caught_exception=None, **_) -> None:
    # A refused destination is final: no retry would connect anywhere else.
    refused = outbound.refusal_in(caught_exception)
    if refused is not None:
        raise refused


def _refuse_other_region(expected: str):
    def hook(response=None, **_):
        if response is None:
            return None
        actual = response[0].headers.get("x-amz-bucket-region")
        if actual and actual != expected:
            raise WrongRegion(actual)
        return None

    return hook
