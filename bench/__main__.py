"""`make bench`: each figure is measured side by side with its baseline in one run."""

import os
import tempfile

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meetstream.settings")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3")
os.environ.setdefault("STORAGE_ALLOW_PRIVATE_ENDPOINTS", "true")
os.environ.setdefault("STORAGE_CONFIG_THROTTLE_RATE", "100000/min")
os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp())
os.environ["REDIS_URL"] = ""  # uploads run inline, in this process

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from bench.timing import compare  # noqa: E402
from bots.services import bot_create  # noqa: E402
from bots.simulation import meeting_simulate  # noqa: E402
from meetstream.embedded_s3 import embedded_s3_start  # noqa: E402
from meetstream.services import api_key_create, tenant_get_or_create  # noqa: E402
from storageconfig import s3  # noqa: E402


def fetch_rows(api) -> list[tuple[str, float, float]]:
    """get_audio against status for one bot with recorded media, in this process."""
    bot = bot_create(
        tenant=tenant_get_or_create(name="bench"),
        meeting_link="https://meet.google.com/abc-defg-hij",
        bot_name="bench",
    )
    meeting_simulate(bot=bot, screenshots=20, audio_seconds=1, video_bytes=1024)
    base = f"/api/v1/bots/{bot.public_id}"

    def ok(response):
        assert response.status_code == 200, response.content
        return response

    return [
        compare(
            "GET get_audio / GET status (same bot)",
            lambda: ok(api.get(f"{base}/get_audio")),
            lambda: ok(api.get(f"{base}/status")),
            rounds=500,
        ),
        compare(
            "GET screenshots (20) / GET status (same bot)",
            lambda: ok(api.get(f"{base}/screenshots")),
            lambda: ok(api.get(f"{base}/status")),
            rounds=300,
        ),
    ]


def main() -> None:
    call_command("migrate", verbosity=0)
    server = embedded_s3_start()
    try:
        target = s3.S3Target("bench-bucket", "us-east-1", server.url, "bench", "bench")
        s3.client(target, purpose="transfer").create_bucket(Bucket="bench-bucket")
        api = APIClient()
        key = api_key_create(tenant=tenant_get_or_create(name="bench")).plaintext
        api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        body = {
            "provider": "aws",
            "bucket_name": "bench-bucket",
            "region": "us-east-1",
            "access_key_id": "bench",
            "secret_key": "bench",
            "endpoint_url": server.url,
        }
        put = "/api/v1/admin/configs?config_type=storage"

        def ok(response):
            assert response.status_code == 200, response.content
            return response

        rows = [
            compare(
                "S3 client: cached per revision / built per call",
                lambda: s3.client(target, cache_key="bench"),
                lambda: s3.client(target),
                rounds=200,
            ),
            compare(
                "PUT config read_write (HeadBucket) / GET config",
                lambda: ok(api.put(put, body, format="json")),
                lambda: ok(api.get("/api/v1/admin/configs")),
                rounds=50,
            ),
            *fetch_rows(api),
            compare(
                "PUT config write_only (5 probes) / read_write (HeadBucket)",
                lambda: ok(
                    api.put(
                        put,
                        {
                            **body,
                            "access_mode": "write_only",
                            "prefixes": {
                                "audio": "a",
                                "video": "v",
                                "transcript": "t",
                                "metadata": "m",
                            },
                        },
                        format="json",
                    )
                ),
                lambda: ok(api.put(put, body, format="json")),
                rounds=50,
            ),
        ]
    finally:
        server.stop()
    width = max(len(row[0]) for row in rows)
    print(
        f"{'benchmark (ours / baseline)'.ljust(width)}  {'ours ms':>9}  {'base ms':>9}"
        f"  {'time ratio':>10}  {'throughput ratio':>16}"
    )
    for name, ours, base in rows:
        print(
            f"{name.ljust(width)}  {ours * 1e3:9.3f}  {base * 1e3:9.3f}"
            f"  {ours / base:10.2f}  {base / ours:16.2f}"
        )


if __name__ == "__main__":
    main()
