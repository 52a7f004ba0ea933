"""`make run`: the whole product on one machine, with an embedded S3 unless one is configured."""

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass

import boto3
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import BaseCommand

from meetstream.demo import emulators
from meetstream.demo.embedded_s3 import embedded_s3_start
from meetstream.shared.processes import LocalServer, process_stop
from meetstream.tenants.selectors import api_key_get_active
from meetstream.tenants.services import api_key_create, tenant_get_or_create

DEMO_TENANT = "demo"
STAFF_USER = "admin"
SAMPLE_BUCKET = "customer-sample-bucket"
DEMO_S3_KEY = "demo-key"
DEMO_S3_SECRET = "demo-secret"  # noqa: S105 - the embedded S3 accepts any key
SAMPLE_CONTAINER = "customer-sample-container"
CREDENTIALS = "demo-credentials.json"  # the demo's API key and admin password, kept in var/
AZURITE_MISSING = (
    "  Azurite:       not installed, so no Azure sample container: `make test` installs it "
    "(npm), or `npm install --prefix .tools azurite@3.35.0`"
)


@dataclass
class Others:
    """The other providers' emulators the demo started (by provider): a PUT body for each."""

    bodies: dict[str, str]
    started: dict[str, LocalServer]

    def stop(self) -> None:
        for emulator in self.started.values():
            emulator.stop()

    def lines(self) -> list[str]:
        lines = []
        if gcs := self.started.get("gcs"):
            lines.append(f"  GCS emulator:  {gcs.url} (bucket '{SAMPLE_BUCKET}', in memory)")
        if azure := self.started.get("azure"):
            container = f"container '{SAMPLE_CONTAINER}', in memory"
            lines.append(f"  Azurite:       {azure.url} ({container})")
        elif gcs:
            lines.append(AZURITE_MISSING)
        return lines


@dataclass
class DemoCredentials:
    """The demo tenant's API key and the admin's password: made once and kept in var/ (mode
    0600), so a restart does not pile up keys; made again when this database does not know
    them (another DATABASE_URL, a fresh database)."""

    api_key: str
    admin_password: str

    @classmethod
    def load_or_make(cls, var_dir) -> "DemoCredentials":
        path = var_dir / CREDENTIALS
        kept = json.loads(path.read_text()) if path.exists() else {}
        key = kept.get("api_key", "")
        active = api_key_get_active(plaintext=key) if key else None
        if active is None or active.tenant.name != DEMO_TENANT:
            key = api_key_create(tenant=tenant_get_or_create(name=DEMO_TENANT)).plaintext
        user, _ = User.objects.get_or_create(username=STAFF_USER, defaults={"is_staff": True})
        password = kept.get("admin_password", "")
        if not (password and user.check_password(password) and user.is_superuser):
            password = secrets.token_urlsafe(12)
            user.is_staff = user.is_superuser = True
            user.set_password(password)
            user.save()
        credentials = cls(api_key=key, admin_password=password)
        if kept != vars(credentials):
            var_dir.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "w") as out:
                json.dump(vars(credentials), out)
        return credentials


def _wait_for(addr: str, seconds: float = 30) -> None:
    host, port = addr.rsplit(":", 1)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex((host, int(port))) == 0:
                return
        time.sleep(0.1)


def _stop_on_sigterm() -> None:
    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)


_PLAIN_HTTP = {
    "SECURE_SSL_REDIRECT": "false",
    "SESSION_COOKIE_SECURE": "false",
    "CSRF_COOKIE_SECURE": "false",
    "SECURE_HSTS_SECONDS": "0",
}


class Command(BaseCommand):
    help = "`make run`: migrate, start an embedded S3, create a demo tenant and serve the API."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000")
        parser.add_argument("--gcs-port", type=int, default=9011)
        parser.add_argument("--azure-port", type=int, default=9012)
        parser.add_argument(
            "--s3-port",
            type=int,
            default=9010,
            help="Port of the embedded S3; fixed so that restarts keep pinned endpoints valid.",
        )

    def handle(self, *args, addr: str, s3_port: int, gcs_port: int, azure_port: int, **options):
        _stop_on_sigterm()
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        # The demo speaks plain HTTP on loopback: no HTTPS redirect, no secure-only cookies.
        env = {**_PLAIN_HTTP, **os.environ}
        children: list[subprocess.Popen] = []
        embedded = None
        others = Others({}, {})
        try:
            if not settings.PLATFORM_S3_ENDPOINT_URL:
                embedded = embedded_s3_start(port=s3_port)
                env.update(
                    PLATFORM_S3_ENDPOINT_URL=embedded.url,
                    PLATFORM_S3_ACCESS_KEY_ID=DEMO_S3_KEY,
                    PLATFORM_S3_SECRET_ACCESS_KEY=DEMO_S3_SECRET,
                    # moto answers STS too, but reads no trust policy: a role is refused
                    # there as unprotected (docs/providers.md, "A bucket through an IAM role").
                    AWS_ENDPOINT_URL_STS=embedded.url,
                )
                self._buckets(embedded.url)
                others = self._others(env, gcs_port, azure_port)
            credentials = DemoCredentials.load_or_make(settings.VAR_DIR)
            children.append(self._worker(env))
            children.append(self._start("manage.py", "runserver", addr, "--noreload", env=env))
            _wait_for(addr)
            s3_url = embedded.url if embedded else None
            self.stdout.write(self._quickstart(addr, credentials, s3_url, others))
            children[-1].wait()
        except KeyboardInterrupt:
            self.stdout.write("Stopping.")
        finally:
            for child in reversed(children):
                process_stop(child)
            others.stop()
            if embedded:
                embedded.stop()

    def _worker(self, env: dict) -> subprocess.Popen:
        """A Celery worker with beat, as in production; without REDIS_URL on a broker that
        lives in a folder under var/ (kombu's filesystem transport), so no server is needed.
        Threads share one process there, so the webhook lock (a per-process cache) holds.
        The folder is set in `env` itself: the web, started next with it, queues there too."""
        # --quiet: no banner, which would print after the quickstart and scroll it away.
        command = ["-m", "celery", "-A", "meetstream", "--quiet", "worker", "--beat"]
        command += ["--schedule", str(settings.VAR_DIR / "celerybeat-schedule")]
        if not settings.REDIS_URL:
            broker = settings.VAR_DIR / "broker"
            broker.mkdir(parents=True, exist_ok=True)
            env["EMBEDDED_BROKER_DIR"] = str(broker)
            command += ["--pool", "threads", "--concurrency", "4"]
        # The worker logs through LOGGING (LOG_LEVEL): quiet in the demo unless asked.
        return self._start(*command, env={"LOG_LEVEL": "WARNING", **env})

    def _start(self, *command: str, env: dict) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, *command], env=env)  # noqa: S603 - ours

    def _buckets(self, url: str) -> None:
        s3 = boto3.client(
            "s3",
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id=DEMO_S3_KEY,
            aws_secret_access_key=DEMO_S3_SECRET,
        )
        for bucket in (settings.PLATFORM_S3_BUCKET, SAMPLE_BUCKET):
            s3.create_bucket(Bucket=bucket)

    def _others(self, env: dict, gcs_port: int, azure_port: int) -> Others:
        """The GCS emulator and Azurite (when `make test` has installed it), each with a sample
        bucket, so that every provider can be configured in the demo."""
        from azure.storage.blob import BlobServiceClient
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import storage

        others = Others({}, {})
        gcs = emulators.gcs_emulator_start(port=gcs_port)
        others.started["gcs"] = gcs
        env["STORAGE_EMULATOR_HOST"] = os.environ["STORAGE_EMULATOR_HOST"] = gcs.url
        client = storage.Client(project="demo", credentials=AnonymousCredentials())
        client.create_bucket(SAMPLE_BUCKET)
        key_file = settings.VAR_DIR / "demo-gcs-key.json"
        if not key_file.exists():
            key_file.parent.mkdir(parents=True, exist_ok=True)
            key_file.write_text(json.dumps(emulators.service_account_key("meetstream-demo")))
        others.bodies["gcs"] = (
            f'"{{\\"provider\\": \\"gcs\\", \\"bucket_name\\": \\"{SAMPLE_BUCKET}\\", '
            f'\\"service_account_json\\": $(cat {key_file})}}"'
        )
        if emulators.azurite_path() is None:
            return others
        azurite = emulators.azurite_start(workspace=settings.VAR_DIR, port=azure_port)
        others.started["azure"] = azurite
        credential = {
            "account_name": emulators.AZURITE_ACCOUNT,
            "account_key": emulators.AZURITE_KEY,
        }
        BlobServiceClient(azurite.url, credential=credential).create_container(SAMPLE_CONTAINER)
        body = {
            "provider": "azure",
            "account_name": emulators.AZURITE_ACCOUNT,
            "container": SAMPLE_CONTAINER,
            "account_key": emulators.AZURITE_KEY,
            "endpoint_url": azurite.url,
        }
        others.bodies["azure"] = f"'{json.dumps(body)}'"
        return others

    def _quickstart(
        self, addr: str, credentials: DemoCredentials, s3_url: str | None, others: Others
    ) -> str:
        base, key = f"http://{addr}", credentials.api_key
        auth = '-H "Authorization: Token $KEY"'
        password = credentials.admin_password
        lines = [
            "",
            f"MeetStream storage is running on {base}",
            f"  API docs:      {base}/api/docs/  (Authorize with the demo API key)",
            f"  Admin:         {base}/admin/  (user {STAFF_USER}, password {password})",
            f"  Demo API key:  {key}",
            f"                 (both kept in var/{CREDENTIALS} for the next start)",
        ]
        if s3_url:
            lines.append(
                f"  Embedded S3:   {s3_url} (platform bucket '{settings.PLATFORM_S3_BUCKET}', "
                f"sample customer bucket '{SAMPLE_BUCKET}'; objects live in memory only)"
            )
        lines += others.lines()
        body = (
            f'{{"provider": "aws", "bucket_name": "{SAMPLE_BUCKET}", "region": "us-east-1", '
            f'"access_key_id": "{DEMO_S3_KEY}", "secret_key": "{DEMO_S3_SECRET}", '
            f'"endpoint_url": "{s3_url}"}}'
        )
        field = "python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])'"
        lines += [
            "",
            "Quickstart (paste into a shell):",
            f"  export API={base} KEY={key}",
        ]
        if s3_url:
            lines += [
                f'  curl -s -X PUT "$API/api/v1/admin/configs?config_type=storage" {auth} \\',
                f"    -H 'Content-Type: application/json' -d '{body}'; echo",
            ]
        for provider, body in others.bodies.items():
            lines += [
                f"  # or, {provider} on its emulator (then create a bot as below):",
                f'  # curl -s -X PUT "$API/api/v1/admin/configs?config_type=storage" {auth} \\',
                f"  #   -H 'Content-Type: application/json' -d {body}; echo",
            ]
        lines += [
            f'  BOT=$(curl -s -X POST "$API/api/v1/bots/create_bot" {auth} \\',
            "    -H 'Content-Type: application/json' \\",
            '    -d \'{"meeting_link": "https://meet.google.com/abc-defg-hij", '
            '"bot_name": "Notetaker"}\' \\',
            f"    | {field} bot_id)",
            f'  until curl -s "$API/api/v1/bots/$BOT/status" {auth} \\',
            '    | grep -q \'"status":"Done"\'; do sleep 1; done',
            f'  URL=$(curl -s "$API/api/v1/bots/$BOT/get_audio" {auth} | {field} audio_url)',
            '  curl -s -o audio.wav "$URL"   # the recording, a WAV file',
            "",
            "Stop with Ctrl-C.",
            "",
        ]
        return "\n".join(lines)
