import os
import subprocess
import sys

import boto3
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from meetstream.embedded_s3 import embedded_s3_start
from meetstream.services import api_key_create, tenant_get_or_create

DEMO_TENANT = "demo"
SAMPLE_BUCKET = "customer-sample-bucket"
DEMO_S3_KEY = "demo-key"
DEMO_S3_SECRET = "demo-secret"  # noqa: S105 - the embedded S3 accepts any key


class Command(BaseCommand):
    help = "`make run`: migrate, start an embedded S3, create a demo tenant and serve on :8000."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000")

    def handle(self, *args, addr: str, **options):
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        env = dict(os.environ)
        embedded = None
        if not settings.PLATFORM_S3_ENDPOINT_URL:
            embedded = embedded_s3_start()
            env.update(
                PLATFORM_S3_ENDPOINT_URL=embedded.url,
                PLATFORM_S3_ACCESS_KEY_ID=DEMO_S3_KEY,
                PLATFORM_S3_SECRET_ACCESS_KEY=DEMO_S3_SECRET,
            )
            s3 = boto3.client(
                "s3",
                endpoint_url=embedded.url,
                region_name="us-east-1",
                aws_access_key_id=DEMO_S3_KEY,
                aws_secret_access_key=DEMO_S3_SECRET,
            )
            for bucket in (settings.PLATFORM_S3_BUCKET, SAMPLE_BUCKET):
                s3.create_bucket(Bucket=bucket)
        key = api_key_create(tenant=tenant_get_or_create(name=DEMO_TENANT)).plaintext
        self.stdout.write(self._quickstart(addr, key, embedded.url if embedded else None))
        server = subprocess.Popen(  # noqa: S603 - our own interpreter and manage.py
            [sys.executable, "manage.py", "runserver", addr, "--noreload"], env=env
        )
        try:
            server.wait()
        except KeyboardInterrupt:
            server.terminate()
            server.wait()
        finally:
            if embedded:
                embedded.stop()

    def _quickstart(self, addr: str, key: str, s3_url: str | None) -> str:
        base = f"http://{addr}"
        lines = [
            "",
            f"MeetStream storage is starting on {base}",
            f"  API docs:      {base}/api/docs/",
            f"  Demo API key:  {key}",
        ]
        if s3_url:
            lines += [
                f"  Embedded S3:   {s3_url} (platform bucket '{settings.PLATFORM_S3_BUCKET}', "
                f"sample customer bucket '{SAMPLE_BUCKET}')",
                "",
                "Quickstart (paste into a shell):",
                f"  export API={base} KEY={key}",
                '  curl -s -X PUT "$API/api/v1/admin/configs?config_type=storage" \\',
                "    -H \"Authorization: Token $KEY\" -H 'Content-Type: application/json' \\",
                f'    -d \'{{"provider": "aws", "bucket_name": "{SAMPLE_BUCKET}", '
                f'"region": "us-east-1", "access_key_id": "{DEMO_S3_KEY}", '
                f'"secret_key": "{DEMO_S3_SECRET}", "endpoint_url": "{s3_url}"}}\'',
                '  curl -s "$API/api/v1/admin/configs" -H "Authorization: Token $KEY"',
                '  curl -s -X POST "$API/api/v1/bots/create_bot" -H "Authorization: Token $KEY" \\',
                "    -H 'Content-Type: application/json' \\",
                '    -d \'{"meeting_link": "https://meet.google.com/abc-defg-hij", '
                '"bot_name": "Notetaker"}\'',
                '  curl -s "$API/api/v1/bots/<bot_id>/status" -H "Authorization: Token $KEY"',
            ]
        lines += ["", "Stop with Ctrl-C.", ""]
        return "\n".join(lines)
