"""The one module that talks to S3: clients, timeouts, retries and readable errors.

Everything else asks it for a client or an operation and gets back either a result or an
`StorageError` whose message is safe to show a customer (it never carries credentials nor raw
S3 text).
"""

import hashlib
import hmac
import io
import logging
import os
import uuid
from collections.abc import Callable, Hashable
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cache
from typing import Literal
from urllib.parse import quote, urlsplit

import botocore.session
from boto3.s3.transfer import TransferConfig, create_transfer_manager
from botocore.config import Config
from botocore.credentials import CredentialProvider, CredentialResolver
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    HTTPClientError,
    ReadTimeoutError,
)
from botocore.handlers import add_expect_header
from botocore.parsers import ResponseParserError
from django.conf import settings
from s3transfer.utils import OSUtils

from meetstream import outbound, timing
from storageconfig import failures, sts
from storageconfig.backends.base import ObjectSource, Stored, source_size
from storageconfig.client_cache import CLIENT_CACHE_SIZE, ClientCache, revision_of
from storageconfig.failures import StorageError
from storageconfig.sts import Role

logger = logging.getLogger(__name__)

Purpose = Literal["check", "transfer", "fetch", "probe"]

# A live check answers a person waiting on an HTTP request: fail fast, retry once.
CHECK_CONNECT_TIMEOUT = 2.0
CHECK_READ_TIMEOUT = 2.5
PROBE_SECONDS = 2.0
_CONFIGS: dict[str, Config] = {
    "check": Config(
        connect_timeout=CHECK_CONNECT_TIMEOUT,
        read_timeout=CHECK_READ_TIMEOUT,
        retries={"mode": "standard", "total_max_attempts": 2},
    ),
    # read_timeout comes from settings.S3_TRANSFER_READ_TIMEOUT when the client is built.
    # A blip is retried here; a longer outage is the upload scheduler's (meetstream.timing).
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
PRESIGN_SECONDS = sts.URL_SECONDS

MiB = 1024 * 1024


def transfer_config(threads: int | None = None) -> TransferConfig:
    """Multipart above one part's size; each file sends S3_UPLOAD_THREADS parts at once and a
    stream holds at most that many parts in memory (the README's upload curve chose these)."""
    part = settings.S3_UPLOAD_PART_MB * MiB
    return _transfer_config(part, threads or settings.S3_UPLOAD_THREADS)


# A stream's parts are read into memory before they are sent (a file's, or an ObjectSource's,
# are read as they go): it sends this many at once and holds one more, so memory stays within
# three parts whatever the stream's size (a recorder's body on its way into staging).
STREAM_THREADS = 2


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


_RETRYABLE_CODES = {
    "SlowDown",
    "InternalError",
    "ServiceUnavailable",
    "RequestTimeout",
    "RequestTimeTooSkewed",
    "Throttling",
    "ThrottlingException",
    "RequestLimitExceeded",
}
_REGION_CODES = {
    "PermanentRedirect",
    "AuthorizationHeaderMalformed",
    "IllegalLocationConstraintException",
}
_ACTIONS = {
    "HeadBucket": "s3:ListBucket",
    "PutObject": "s3:PutObject",
    "GetObject": "s3:GetObject",
    "DeleteObjects": "s3:DeleteObject",
    "AbortMultipartUpload": "s3:AbortMultipartUpload",
}
DELETE_BATCH = 1000  # S3's limit of keys per DeleteObjects call


@dataclass(frozen=True)
class S3Target:
    """Where to reach a bucket and as whom. Credentials are left out of repr()."""

    bucket: str
    region: str
    endpoint_url: str | None = None
    access_key_id: str | None = field(default=None, repr=False)
    secret_key: str | None = field(default=None, repr=False)
    session_token: str | None = field(default=None, repr=False)
    # Instead of keys: the customer's role, assumed with the platform's own credentials.
    role: Role | None = None
    # Server-side encryption asked of every write: None, "AES256" or "aws:kms" (with a key).
    sse: str | None = None
    kms_key_id: str | None = None
    # A tenant's endpoint is reached only through the egress guard; the platform's is ours.
    egress_vetted: bool = True

    @property
    def endpoint(self) -> str:
        return self.endpoint_url or f"https://s3.{self.region}.amazonaws.com"

    def write_args(self) -> dict[str, str]:
        args = {"ServerSideEncryption": self.sse} if self.sse else {}
        if self.sse == "aws:kms" and self.kms_key_id:
            args["SSEKMSKeyId"] = self.kms_key_id
        return args


class _WrongRegion(Exception):
    def __init__(self, region: str) -> None:
        super().__init__(region)
        self.region = region


# StorageError: a role's session that could not be refreshed inside an S3 call (storageconfig.sts).
# botocore's (an answer that is not XML included), and ours.
_FAILURES = (*sts.FAILURES, _WrongRegion, outbound.EgressRefused, StorageError)


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


def url_life(s3) -> int:
    """Seconds a URL the client signs now stays valid: PRESIGN_SECONDS, or what is left of its
    role's session (refreshed first when due, so never under `sts.url_floor()`)."""
    credentials = _signing_credentials(s3)
    if isinstance(credentials, sts.RoleCredentials):
        return min(PRESIGN_SECONDS, credentials.seconds_left())
    return PRESIGN_SECONDS


def _signing_credentials(s3):
    return s3._request_signer._credentials  # botocore keeps a client's only here


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
        # Every file of an upload pass may send all its parts at once on one shared client.
        connections = max(32, settings.MEDIA_UPLOAD_CONCURRENCY * settings.S3_UPLOAD_THREADS)
        config = config.merge(
            Config(
                read_timeout=settings.S3_TRANSFER_READ_TIMEOUT,
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
        built.meta.events.register("after-call.s3.CreateMultipartUpload", _multipart_begun)
        built.meta.events.register("after-call.s3.CompleteMultipartUpload", _multipart_completed)
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
            raise _WrongRegion(actual)
        return None

    return hook


def error_from(
    exc: Exception, *, target: S3Target, operation: str, key: str | None = None
) -> StorageError:
    """Translate a botocore failure into an StorageError; raw S3 text is never passed on."""
    if isinstance(exc, StorageError):
        return exc
    where = f"s3://{target.bucket}/{key}" if key else f"bucket '{target.bucket}'"
    if isinstance(exc, _WrongRegion):
        return _wrong_region(target, exc.region)
    if (refused := outbound.refusal_in(exc)) is not None:
        return failures.egress_refused(refused)
    if isinstance(exc, ConnectTimeoutError | ReadTimeoutError):
        return failures.timed_out(target.endpoint)
    if isinstance(exc, EndpointConnectionError | ConnectionClosedError | HTTPClientError):
        return failures.unreachable(target.endpoint)
    if isinstance(exc, ResponseParserError):
        return failures.not_understood(target.endpoint, "S3", operation)
    if not isinstance(exc, ClientError):
        return StorageError("s3_error", f"{operation} on {where} failed ({type(exc).__name__}).")

    error = exc.response.get("Error", {})
    code = str(error.get("Code", ""))
    meta = exc.response.get("ResponseMetadata", {})
    status = int(meta.get("HTTPStatusCode") or 0)
    region = error.get("Region") or meta.get("HTTPHeaders", {}).get("x-amz-bucket-region")

    if code == "NoSuchBucket" or (operation == "HeadBucket" and status == 404):
        return failures.no_bucket(target.bucket)
    if code in _REGION_CODES or status == 301:
        return _wrong_region(target, region)
    if code == "InvalidAccessKeyId":
        return StorageError("invalid_access_key_id", "S3 does not recognise the access key id.")
    if code == "SignatureDoesNotMatch":
        return StorageError(
            "signature_mismatch", "The secret key does not match the access key id."
        )
    if code.startswith("KMS.") or (
        status == 403 and "kms" in str(error.get("Message", "")).lower()
    ):
        return StorageError(
            "kms_access_denied",
            f"KMS refused the key {target.kms_key_id or '(the default aws/s3 key)'} for {where}: "
            "the credentials need kms:GenerateDataKey (and kms:Decrypt) on it.",
        )
    if code in {"InvalidToken", "ExpiredToken", "TokenRefreshRequired"}:
        return StorageError("invalid_credentials", "The credentials are expired or not valid.")
    if code in {"AccessDenied", "AllAccessDisabled", "403"} or status == 403:
        return failures.denied(_ACTIONS.get(operation, operation), where)
    if code == "NoSuchKey" or status == 404:
        return failures.no_key(where)
    if code in _RETRYABLE_CODES or status >= 500:
        return failures.unavailable("S3", operation, where, code or status)
    return StorageError("s3_error", f"S3 refused {operation} on {where} ({code or status}).")


def _wrong_region(target: S3Target, region: str | None) -> StorageError:
    if region:
        return StorageError(
            "wrong_region",
            f"The bucket '{target.bucket}' is in region '{region}', not '{target.region}'.",
        )
    return StorageError(
        "wrong_region", f"The bucket '{target.bucket}' is not in region '{target.region}'."
    )


def bucket_head(s3, target: S3Target, *, diagnose_prefix: str) -> None:
    """HeadBucket; when S3 answers a bare 403, find out why with a read of a missing key."""
    try:
        s3.head_bucket(Bucket=target.bucket)
    except _FAILURES as exc:
        failure = error_from(exc, target=target, operation="HeadBucket")
        if failure.reason == "access_denied":
            # A HEAD response has no body, so a bad key id looks like any 403 there.
            failure = _credential_failure(s3, target, diagnose_prefix) or failure
        raise failure from None


def bucket_probe(target: S3Target, *, cache_key: Hashable) -> StorageError | None:
    """One HeadBucket, bounded to PROBE_SECONDS: None when the bucket answers, else why not."""
    try:
        client(target, purpose="probe", cache_key=cache_key).head_bucket(Bucket=target.bucket)
    except _FAILURES as exc:
        return error_from(exc, target=target, operation="HeadBucket")
    return None


def _credential_failure(s3, target: S3Target, prefix: str) -> StorageError | None:
    key = f"{prefix}/.read_probe_{uuid.uuid4().hex}"
    try:
        s3.get_object(Bucket=target.bucket, Key=key)
    except _FAILURES as exc:
        failure = error_from(exc, target=target, operation="GetObject", key=key)
        if failure.reason in {"invalid_access_key_id", "signature_mismatch", "invalid_credentials"}:
            return failure
    return None


def object_put(s3, target: S3Target, *, key: str, body: bytes, content_type: str) -> None:
    try:
        s3.put_object(
            Bucket=target.bucket,
            Key=key,
            Body=body,
            ContentType=content_type,
            **target.write_args(),
        )
    except _FAILURES as exc:
        raise error_from(exc, target=target, operation="PutObject", key=key) from None


@dataclass
class _Watch:
    """One managed upload's multipart answers, heard by the transfer client's hooks (they run
    in s3transfer's threads): who hears the upload's id, and what completing it answered."""

    started: Callable[[str], None] | None
    completed: dict = field(default_factory=dict)


_watches: dict[tuple[str, str], _Watch] = {}  # (bucket, key) → its upload's watch


def _watch_of(parsed) -> _Watch | None:
    return _watches.get((parsed.get("Bucket"), parsed.get("Key"))) if parsed else None


def _multipart_begun(parsed=None, **_) -> None:
    watch = _watch_of(parsed)
    if watch is not None and watch.started and (upload_id := parsed.get("UploadId")):
        watch.started(upload_id)


def _multipart_completed(parsed=None, **_) -> None:
    if (watch := _watch_of(parsed)) is not None:
        watch.completed = parsed


# botocore's flexible checksums: what it sent with the bytes (CRC32 unless told otherwise),
# and S3 refuses a part or an object whose bytes do not match.
_CHECKSUMS = ("ChecksumCRC32", "ChecksumCRC32C", "ChecksumCRC64NVME", "ChecksumSHA256")


def stored_from(answer: dict) -> Stored:
    """What S3 answered a PutObject, a CompleteMultipartUpload or a HeadObject."""
    checksum = next(
        (
            f"{name.removeprefix('Checksum').lower()}:{answer[name]}"
            for name in _CHECKSUMS
            if answer.get(name)
        ),
        "",
    )
    return Stored(
        etag=answer.get("ETag", ""),
        version_id=answer.get("VersionId") or "",
        checksum=checksum,
        size=answer.get("ContentLength"),
    )


def object_upload(
    s3,
    target: S3Target,
    *,
    key: str,
    source,
    content_type: str,
    metadata: dict[str, str],
    started: Callable[[str], None] | None = None,
) -> Stored:
    """Managed upload of a file path, an ObjectSource or a binary stream: streamed, multipart
    when large; a multipart upload's id goes to `started` as soon as S3 gives it. What S3
    answered once the object is whole.

    Only PutObject and the multipart calls: write-only credentials suffice.
    """
    extra = {"ContentType": content_type, "Metadata": metadata, **target.write_args()}
    files, size = None, source_size(source)
    if isinstance(source, ObjectSource):
        # Named by its key, as if a file: s3transfer opens each part through `files`.
        files, source = _ObjectParts(source), key
    watch = _Watch(started)
    try:
        transfer = transfer_config(STREAM_THREADS if size is None else None)
        if size is not None and size < transfer.multipart_threshold:
            # One PUT: a transfer manager's threads cost more than a small file takes.
            with _opened(source, files) as body:
                answer = s3.put_object(Bucket=target.bucket, Key=key, Body=body, **extra)
            return stored_from(answer)
        _watches[(target.bucket, key)] = watch
        with create_transfer_manager(s3, transfer, osutil=files) as manager:
            manager.upload(source, target.bucket, key, extra_args=extra).result()
    except _FAILURES as exc:
        raise error_from(exc, target=target, operation="PutObject", key=key) from None
    finally:
        _watches.pop((target.bucket, key), None)
    # A stream of unknown size below one part went up in one PutObject s3transfer answered
    # (the staging bucket's; media has a size).
    return stored_from(watch.completed) if watch.completed else Stored(etag="")


def _opened(source, files: OSUtils | None):
    if files is not None:
        return files.open(source, "rb")
    return open(source, "rb") if isinstance(source, str) else nullcontext(source)


def object_head(s3, target: S3Target, *, key: str) -> Stored | None:
    """HeadObject: None when there is no object at the key."""
    try:
        return stored_from(s3.head_object(Bucket=target.bucket, Key=key))
    except _FAILURES as exc:
        failure = error_from(exc, target=target, operation="HeadObject", key=key)
        if failure.reason == "no_such_key":
            return None
        raise failure from None


def multipart_abort(s3, target: S3Target, *, key: str, upload_id: str) -> None:
    """Abort a multipart upload an earlier attempt left open, so its parts stop costing the
    customer. Already gone, or not ours to abort (no s3:AbortMultipartUpload): nothing to do
    here (the README's lifecycle rule catches it). Unreachable: raises, the attempt waits."""
    try:
        s3.abort_multipart_upload(Bucket=target.bucket, Key=key, UploadId=upload_id)
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code == "NoSuchUpload":
            return
        failure = error_from(exc, target=target, operation="AbortMultipartUpload", key=key)
        if not failure.retryable:
            logger.warning("Could not abort an unfinished upload of %s: %s", key, failure.reason)
            return
        raise failure from None
    except _FAILURES as exc:
        raise error_from(exc, target=target, operation="AbortMultipartUpload", key=key) from None


def presign_get(s3, target: S3Target, *, key: str, expires: int = PRESIGN_SECONDS) -> str:
    """A SigV4 URL for one object; computed locally, no network call unless a role's
    session is due (its StorageError then passes through)."""
    return s3.generate_presigned_url(
        "get_object", Params={"Bucket": target.bucket, "Key": key}, ExpiresIn=expires
    )


def presign_gets(s3, target: S3Target, *, keys: list[str], expires: int = PRESIGN_SECONDS):
    """SigV4 URLs for many keys of one bucket, the same URLs botocore makes, at a fraction of
    the cost: botocore signs one template (host, path style, region, credentials, date), then
    each key costs one SHA-256 and one HMAC under a signing key derived once, instead of a
    full pass through botocore's request machinery (about 0.2 ms a key)."""
    if not keys:
        return []
    template = presign_get(s3, target, key="k", expires=expires)
    credentials = _signing_credentials(s3)
    frozen = credentials.get_frozen_credentials() if credentials else None
    url = urlsplit(template)
    query = url.query.split("&")
    fields = dict(part.split("=", 1) for part in query)
    scope = fields.get("X-Amz-Credential", "").replace("%2F", "/").split("/")
    if frozen is None or scope[0] != frozen.access_key:
        # Not SigV4, or refreshed in between (a role's session): botocore signs each key.
        return [presign_get(s3, target, key=key, expires=expires) for key in keys]
    _, date, region, service, _ = scope
    signing_key = f"AWS4{frozen.secret_key}".encode()
    for part in (date, region, service, "aws4_request"):
        signing_key = hmac.new(signing_key, part.encode(), hashlib.sha256).digest()
    unsigned = "&".join(part for part in query if not part.startswith("X-Amz-Signature="))
    canonical_query = "&".join(
        "=".join(pair) for pair in sorted(part.split("=", 1) for part in unsigned.split("&"))
    )
    host = url.netloc  # signed as botocore sends it: without the scheme's default port
    if (url.scheme, url.port) in {("http", 80), ("https", 443)}:
        host = host.rsplit(":", 1)[0]
    folder = url.path.removesuffix("k")
    signed_tail = f"\n{canonical_query}\nhost:{host}\n\nhost\nUNSIGNED-PAYLOAD"
    head = f"AWS4-HMAC-SHA256\n{fields['X-Amz-Date']}\n{'/'.join(scope[1:])}\n"
    origin = f"{url.scheme}://{url.netloc}"
    urls = []
    for key in keys:
        path = folder + quote(key, safe="/~")
        canonical = hashlib.sha256(f"GET\n{path}{signed_tail}".encode()).hexdigest()
        signature = hmac.new(signing_key, (head + canonical).encode(), hashlib.sha256).hexdigest()
        urls.append(f"{origin}{path}?{unsigned}&X-Amz-Signature={signature}")
    return urls


def object_open(s3, target: S3Target, *, key: str):
    """The object's streaming body, to be read in chunks and closed by the caller."""
    try:
        return s3.get_object(Bucket=target.bucket, Key=key)["Body"]
    except _FAILURES as exc:
        raise error_from(exc, target=target, operation="GetObject", key=key) from None


class _ObjectFile(io.RawIOBase):
    """An object as a seekable file, read one window (a part's size) per ranged GET: a part of
    a multipart upload is one whole answer, and its connection goes back to the pool. Only the
    reader's buffer is held in memory."""

    def __init__(self, s3, target: S3Target, key: str, size: int, failure_as) -> None:
        self._s3, self._target, self._key = s3, target, key
        self._failure_as = failure_as
        self.size = size
        self._window = settings.S3_UPLOAD_PART_MB * MiB
        self._at = 0
        self._body, self._body_at, self._body_end = None, 0, 0

    def _open(self, start: int) -> None:
        self._drop()
        end = min(start + self._window, self.size)
        answer = self._s3.get_object(
            Bucket=self._target.bucket, Key=self._key, Range=f"bytes={start}-{end - 1}"
        )
        self._body, self._body_at, self._body_end = answer["Body"], start, end

    def _drop(self) -> None:
        if self._body is not None:
            self._body.close()
            self._body = None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._at

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._at, os.SEEK_END: self.size}[whence]
        self._at = max(0, base + offset)
        return self._at

    def readinto(self, buffer) -> int:
        if self._at >= self.size:
            return 0
        try:
            if self._body is None or self._at != self._body_at or self._at >= self._body_end:
                self._open(self._at)
            data = self._body.read(min(len(buffer), self._body_end - self._at))
        except _FAILURES as exc:
            failure = error_from(exc, target=self._target, operation="GetObject", key=self._key)
            raise self._failure_as(failure) from None
        if not data:  # the answer ended early
            raise self._failure_as(failures.unreachable(self._target.endpoint))
        buffer[: len(data)] = data
        self._at += len(data)
        self._body_at = self._at
        return len(data)

    def close(self) -> None:
        self._drop()
        super().close()


def object_reader(
    s3, target: S3Target, *, key: str, size: int, failure_as=lambda failure: failure
) -> io.BufferedReader:
    """The object (of this `size`, object_size's) as a seekable binary file whose reads return
    all they ask for, until the end; nothing is asked of S3 before the first read. A read that
    fails raises `failure_as(the StorageError)`, as its reader may be another bucket's upload."""
    return io.BufferedReader(_ObjectFile(s3, target, key, size, failure_as), buffer_size=MiB)


def object_start(s3, target: S3Target, *, key: str, limit: int) -> bytes:
    """The object's first `limit` bytes (all of it when shorter)."""
    try:
        answer = s3.get_object(Bucket=target.bucket, Key=key, Range=f"bytes=0-{limit - 1}")
        with answer["Body"] as body:
            return body.read()
    except _FAILURES as exc:
        raise error_from(exc, target=target, operation="GetObject", key=key) from None


def object_size(s3, target: S3Target, *, key: str) -> int:
    try:
        return s3.head_object(Bucket=target.bucket, Key=key)["ContentLength"]
    except _FAILURES as exc:
        raise error_from(exc, target=target, operation="HeadObject", key=key) from None


class _ObjectParts(OSUtils):
    """s3transfer's file access, for an ObjectSource named as the "file": each part opens its
    own reader and seeks to its range (s3transfer closes it once the part is sent)."""

    def __init__(self, source: ObjectSource) -> None:
        self._source = source

    def get_file_size(self, filename: str) -> int:
        return self._source.size

    def open(self, filename: str, mode: str):
        return self._source.open()


def multipart_uploads(s3, target: S3Target, *, prefix: str) -> list[tuple[str, str, datetime]]:
    """The multipart uploads begun under the prefix and neither completed nor aborted: each
    one's key, upload id and when it began (S3 lists up to 1,000 a call)."""
    try:
        pages = s3.get_paginator("list_multipart_uploads").paginate(
            Bucket=target.bucket, Prefix=prefix
        )
        return [
            (upload["Key"], upload["UploadId"], upload["Initiated"])
            for page in pages
            for upload in page.get("Uploads", [])
        ]
    except _FAILURES as exc:
        raise error_from(exc, target=target, operation="ListMultipartUploads") from None


def objects_delete(s3, target: S3Target, *, keys: list[str]) -> dict[str, StorageError]:
    """Delete the keys, DELETE_BATCH per DeleteObjects call; the keys S3 refused, with why.

    A key refused for access, or for a passing fault botocore did not retry (a per-key error
    in a successful answer), is tried once more alone with DeleteObject: some S3-compatible
    servers authorise a batch against the bucket rather than each key, as AWS does. Deleting
    a key that is already gone succeeds, so running this again is harmless."""
    refused: dict[str, StorageError] = {}
    for start in range(0, len(keys), DELETE_BATCH):
        batch = keys[start : start + DELETE_BATCH]
        refused |= _batch_delete(s3, target, batch)
    again = [key for key, why in refused.items() if why.reason == "access_denied" or why.retryable]
    for key in again:
        try:
            s3.delete_object(Bucket=target.bucket, Key=key)
        except _FAILURES as exc:
            refused[key] = error_from(exc, target=target, operation="DeleteObjects", key=key)
        else:
            del refused[key]
    return refused


def _batch_delete(s3, target: S3Target, keys: list[str]) -> dict[str, StorageError]:
    try:
        answer = s3.delete_objects(
            Bucket=target.bucket,
            Delete={"Objects": [{"Key": key} for key in keys], "Quiet": True},
        )
    except _FAILURES as exc:
        failure = error_from(exc, target=target, operation="DeleteObjects")
        return dict.fromkeys(keys, failure)
    refused = {}
    for error in answer.get("Errors", []):
        key, code = error.get("Key", ""), str(error.get("Code", ""))
        response = {"Error": {"Code": code}, "ResponseMetadata": {}}
        refused[key] = error_from(
            ClientError(response, "DeleteObjects"),
            target=target,
            operation="DeleteObjects",
            key=key,
        )
    return refused
