import io
import json
import logging
import os
import socket
import threading
import uuid
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission, User
from django.core.management import call_command
from django.db import connections
from django.test import Client
from rest_framework.test import APIClient

from meetstream.celery import app as celery_app
from meetstream.shared.logcontext import ContextFilter, JsonFormatter
from meetstream.tenants.services import api_key_create, tenant_get_or_create
from tests.support import leaks
from tests.support.listeners import Receiver
from tests.support.s3 import iam_s3_server_start, s3_server_start
from tests.support.staging import Staging
from tests.support.sts import PLATFORM_ACCOUNT, StsStandIn
from tests.support.workers import PLATFORM_BUCKET, Workers

RECORDER_TOKEN = "recorder-token-for-tests"


def pytest_sessionstart(session):
    """The static files every server a test starts serves, collected once before xdist's workers
    start: tests/meetstream/test_static_files.py says what failed without it."""
    if not hasattr(session.config, "workerinput"):
        call_command("collectstatic", interactive=False, verbosity=0)


@pytest.fixture(scope="session", autouse=True)
def _suite_settings():
    """Session-wide, before the live server loads its middleware: the suite speaks plain HTTP
    on loopback (the HTTPS defaults have tests of their own), and encrypts with a key of its
    own, as the processes it starts with DEBUG off insist."""
    from django.conf import settings

    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    if settings.FERNET_KEYS == [settings.SECRET_KEY]:
        settings.FERNET_KEYS = [f"fernet-key-of-the-test-suite-{'k' * 24}"]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database, dropped at the end even if a child process (a worker, a server a
    test stopped) has not let go of its connection yet: PostgreSQL refuses to drop it then."""
    yield
    with django_db_blocker.unblock():
        connection = connections["default"]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )


@pytest.fixture(scope="session")
def s3_server():
    server = s3_server_start()
    server.client().create_bucket(Bucket=PLATFORM_BUCKET)
    yield server
    server.server.stop()


@pytest.fixture(scope="session")
def sts_stand_in(s3_server):
    """STS in front of the moto server, evaluating the external ID conditions moto does not."""
    stand_in = StsStandIn(
        s3_server.url, access_key_id=s3_server.access_key_id, secret_key=s3_server.secret_key
    )
    yield stand_in
    stand_in.stop()


@pytest.fixture(scope="session")
def media_root(tmp_path_factory):
    return tmp_path_factory.mktemp("media")


@pytest.fixture(autouse=True)
def _platform(settings, s3_server, sts_stand_in, media_root, monkeypatch):
    """Staging under a temporary folder, the platform bucket on the moto server, tasks inline."""
    settings.MEDIA_ROOT = str(media_root)
    settings.STAGING_S3_BUCKET = None  # the staging fixture runs a test in both modes
    # Tests share 127.0.0.1; the failure throttle has its own test with its own address.
    settings.AUTH_FAILURES_PER_MINUTE = 100_000
    settings.RECORDER_TOKEN = RECORDER_TOKEN
    settings.PLATFORM_S3_BUCKET = PLATFORM_BUCKET
    settings.PLATFORM_S3_ENDPOINT_URL = s3_server.url
    settings.PLATFORM_S3_ACCESS_KEY_ID = s3_server.access_key_id
    settings.PLATFORM_S3_SECRET_ACCESS_KEY = s3_server.secret_key
    # moto answers STS too, behind a stand-in that evaluates external IDs; no test reaches AWS.
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", sts_stand_in.url)
    # The platform's principal, in an account of its own (tests/support/sts.py).
    settings.PLATFORM_AWS_PRINCIPAL_ARN = f"arn:aws:iam::{PLATFORM_ACCOUNT}:user/platform"
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = eager


def _bucket_staging(settings, s3_server, media_root) -> Staging:
    bucket = f"staging-{uuid.uuid4().hex[:12]}"
    client = s3_server.client()
    client.create_bucket(Bucket=bucket)
    settings.STAGING_S3_BUCKET = bucket
    return Staging("bucket", Path(media_root), client, bucket)


@pytest.fixture(params=["disk", "bucket"])
def staging(request, settings, s3_server, tmp_path) -> Staging:
    """The test runs once with staging on a disk of its own (MEDIA_ROOT), once in a staging
    bucket of its own (STAGING_S3_BUCKET), and sees what staging holds through this."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    if request.param == "disk":
        return Staging("disk", tmp_path / "media")
    return _bucket_staging(settings, s3_server, tmp_path / "media")


@pytest.fixture
def bucket_staging(settings, s3_server, media_root) -> Staging:
    """Staging in a bucket of its own, for what only that mode does."""
    return _bucket_staging(settings, s3_server, media_root)


@pytest.fixture
def receiver() -> Receiver:
    """A webhook receiver on loopback."""
    started = Receiver()
    yield started
    started.stop()


@pytest.fixture
def recorder() -> APIClient:
    client = leaks.WatchedAPIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RECORDER_TOKEN}")
    return client


@pytest.fixture(scope="session")
def iam_s3_server():
    server = iam_s3_server_start()
    yield server
    server.server.stop()


@pytest.fixture(autouse=True)
def _private_endpoints_allowed(settings):
    # The moto servers listen on loopback; the guard itself is tested with this off.
    settings.STORAGE_ALLOW_PRIVATE_ENDPOINTS = True


@pytest.fixture(autouse=True)
def _credentials_never_leak(caplog):
    """After every test: no credential it handed out is in any response body or log line."""
    caplog.set_level(logging.DEBUG)
    leaks.WATCHED.clear()
    leaks.RESPONSES.clear()
    yield
    places = leaks.places_leaked(caplog.text)
    assert not places, f"credentials leaked into {places}"


@pytest.fixture
def tenant(db):
    return tenant_get_or_create(name="acme")


@pytest.fixture
def platform_at(settings, monkeypatch):
    """The platform's own credentials on this moto server, and STS there behind a stand-in."""
    stand_ins = []

    def point(server) -> None:
        settings.PLATFORM_S3_ACCESS_KEY_ID = server.access_key_id
        settings.PLATFORM_S3_SECRET_ACCESS_KEY = server.secret_key
        stand_in = StsStandIn(
            server.url, access_key_id=server.access_key_id, secret_key=server.secret_key
        )
        stand_ins.append(stand_in)
        monkeypatch.setenv("AWS_ENDPOINT_URL_STS", stand_in.url)

    yield point
    for stand_in in stand_ins:
        stand_in.stop()


@pytest.fixture
def role_arn(s3_server, tenant) -> str:
    """A role in the moto server (the customer's account) that may do anything in S3 and that
    only the tenant's external ID assumes."""
    everything = [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]
    return s3_server.role(everything, external_id=tenant.storage_external_id)


@pytest.fixture
def other_tenant(db):
    return tenant_get_or_create(name="globex")


def _client_for(tenant) -> leaks.WatchedAPIClient:
    client = leaks.WatchedAPIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_key_create(tenant=tenant).plaintext}")
    return client


@pytest.fixture
def api(tenant) -> leaks.WatchedAPIClient:
    return _client_for(tenant)


@pytest.fixture
def other_api(other_tenant) -> leaks.WatchedAPIClient:
    return _client_for(other_tenant)


@pytest.fixture
def bucket(s3_server) -> str:
    return s3_server.bucket()


@pytest.fixture
def config_body(s3_server, bucket):
    """A valid read_write configuration for a fresh bucket on the moto server."""

    def make(**overrides) -> dict:
        body = {
            "provider": "aws",
            "bucket_name": bucket,
            "region": "us-east-1",
            "access_key_id": "AKIAEXAMPLEKEY123456",
            "secret_key": "s3cr3t/Example+Secret-Key-0123456789abcd",
            "endpoint_url": s3_server.url,
        }
        body.update(overrides)
        for name in ("access_key_id", "secret_key"):
            if isinstance(body.get(name), str) and len(body[name]) >= 8:
                leaks.watch(body[name])
        return {key: value for key, value in body.items() if value is not ...}

    return make


@pytest.fixture
def silent_endpoint():
    """A TCP server on loopback that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    listener.close()


@pytest.fixture
def workers(settings, tmp_path, transactional_db):
    """Start real workers with `workers.start()`; this process sends its tasks to their queue."""
    pool = Workers(settings, tmp_path)
    conf = celery_app.conf
    saved = conf.task_always_eager, conf.task_default_queue
    conf.task_always_eager, conf.task_default_queue = False, pool.queue
    yield pool
    conf.task_always_eager, conf.task_default_queue = saved
    for worker in pool.started:
        worker.stop()


@pytest.fixture
def json_log():
    """This process's log lines as LOG_FORMAT=json writes them, parsed."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)


@pytest.fixture
def staff_client(db):
    """A staff member holding exactly the given permissions (codenames)."""

    def make(*codenames: str) -> Client:
        user = User.objects.create_user(
            f"staff-{len(codenames)}-{User.objects.count()}", password="pw-for-tests", is_staff=True
        )
        user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture(scope="session")
def gcs_emulator():
    """gcp-storage-emulator, named by STORAGE_EMULATOR_HOST as Google's libraries expect."""
    from meetstream.demo.emulators import gcs_emulator_start

    emulator = gcs_emulator_start()
    before = os.environ.get("STORAGE_EMULATOR_HOST")
    os.environ["STORAGE_EMULATOR_HOST"] = emulator.url
    yield emulator
    if before is None:
        os.environ.pop("STORAGE_EMULATOR_HOST", None)
    else:
        os.environ["STORAGE_EMULATOR_HOST"] = before
    emulator.stop()


@pytest.fixture(scope="session")
def azurite(tmp_path_factory):
    """Azurite's blob service (installed by `make test`), its development account's URL."""
    from meetstream.demo.emulators import azurite_start

    emulator = azurite_start(workspace=tmp_path_factory.mktemp("azurite"))
    yield emulator
    emulator.stop()


@pytest.fixture(params=["aws", "gcs", "azure"])
def provider(request, s3_server):
    """Each storage provider in turn, on its local server: moto, the GCS emulator, Azurite."""
    from tests.support.providers import AzureProvider, GcsProvider, S3Provider

    if request.param == "gcs":
        return GcsProvider(request.getfixturevalue("gcs_emulator").url)
    if request.param == "azure":
        return AzureProvider(request.getfixturevalue("azurite").url)
    return S3Provider(s3_server)
