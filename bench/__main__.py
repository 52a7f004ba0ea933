"""`make bench`: each figure is measured side by side with its baseline in one run."""

import os
import tempfile

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meetstream.settings")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3")
os.environ.setdefault("STORAGE_ALLOW_PRIVATE_ENDPOINTS", "true")
os.environ.setdefault("STORAGE_CONFIG_THROTTLE_RATE", "100000/min")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from bench.timing import compare  # noqa: E402
from meetstream.embedded_s3 import embedded_s3_start  # noqa: E402
from meetstream.services import api_key_create, tenant_get_or_create  # noqa: E402
from storageconfig import s3  # noqa: E402


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
    print(f"{'benchmark'.ljust(width)}  {'ours ms':>9}  {'base ms':>9}  {'ratio':>6}")
    for name, ours, base in rows:
        print(f"{name.ljust(width)}  {ours * 1e3:9.3f}  {base * 1e3:9.3f}  {ours / base:6.2f}")


if __name__ == "__main__":
    main()
