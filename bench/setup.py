import uuid
from contextlib import contextmanager
from dataclasses import dataclass, replace

from django.core.management import call_command
from rest_framework.test import APIClient

from meetstream.demo.embedded_s3 import LocalServer, embedded_s3_start
from meetstream.tenants.models import Tenant
from meetstream.tenants.services import api_key_create, tenant_get_or_create
from storageconfig.backends.aws import s3


@dataclass
class Bench:
    work: str
    server: LocalServer
    tenant: Tenant
    key: str
    api: APIClient

    @classmethod
    @contextmanager
    def start(cls, work: str):
        from django.conf import settings

        call_command("migrate", verbosity=0)
        server = embedded_s3_start()
        settings.PLATFORM_S3_ENDPOINT_URL = server.url
        settings.PLATFORM_S3_ACCESS_KEY_ID = settings.PLATFORM_S3_SECRET_ACCESS_KEY = "bench"
        try:
            _buckets_create(server)
            tenant = tenant_get_or_create(name="bench")
            key = api_key_create(tenant=tenant).plaintext
            api = APIClient()
            api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
            bench = cls(work, server, tenant, key, api)
            saved = bench.put_config()
            assert saved.status_code == 200, (saved.status_code, saved.content[:300])
            yield bench
        finally:
            server.stop()

    @contextmanager
    def own_server(self):
        """This bench on a moto server of its own, which keeps every object in memory, as S3
        keeps them off this machine (on moto's disk, earlier rounds' objects were flushed
        during later rounds' uploads), and starts empty; its tenant stores there."""
        server = embedded_s3_start(env={"MOTO_S3_DEFAULT_KEY_BUFFER_SIZE": str(1 << 30)})
        try:
            _buckets_create(server)
            bench = replace(self, server=server)
            yield replace(bench, tenant=bench.tenant_storing_at(server.url))
        finally:
            server.stop()

    def config_body(self, **overrides) -> dict:
        return {
            "provider": "aws",
            "bucket_name": "bench-bucket",
            "region": "us-east-1",
            "access_key_id": "bench",
            "secret_key": "bench",
            "endpoint_url": self.server.url,
            **overrides,
        }

    def put_config(self, **overrides):
        return self.api.put(
            "/api/v1/admin/configs?config_type=storage",
            self.config_body(**overrides),
            format="json",
        )

    def tenant_storing_at(self, endpoint_url: str) -> Tenant:
        """A new tenant whose active configuration sends its media to this endpoint."""
        return tenant_configured(self.config_body(endpoint_url=endpoint_url))

    def buckets_empty(self) -> None:
        """Delete every object of every bucket of the moto server."""
        admin = self.s3_admin()
        for bucket in admin.list_buckets()["Buckets"]:
            pages = admin.get_paginator("list_objects_v2").paginate(Bucket=bucket["Name"])
            for page in pages:
                if keys := [{"Key": item["Key"]} for item in page.get("Contents", [])]:
                    admin.delete_objects(Bucket=bucket["Name"], Delete={"Objects": keys})

    def s3_admin(self):
        return s3.client(
            s3.S3Target("bench-bucket", "us-east-1", self.server.url, "bench", "bench")
        )


def _buckets_create(server: LocalServer) -> None:
    from django.conf import settings

    admin = s3.client(s3.S3Target("x", "us-east-1", server.url, "bench", "bench"))
    for bucket in ("bench-bucket", settings.PLATFORM_S3_BUCKET):
        admin.create_bucket(Bucket=bucket)


def ok(response):
    assert response.status_code == 200, response.content[:500]
    return response


def tenant_configured(body: dict) -> Tenant:
    """A new tenant whose active configuration is this PUT body (any provider)."""
    tenant = tenant_get_or_create(name=f"at-{uuid.uuid4().hex[:8]}")
    response = tenant_client(tenant).put(
        "/api/v1/admin/configs?config_type=storage", body, format="json"
    )
    assert response.status_code == 200, response.content[:300]
    return tenant


def tenant_client(tenant):
    """An in-process API client holding a fresh key of the tenant."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_key_create(tenant=tenant).plaintext}")
    return client


def statistics_refresh() -> None:
    """SQLite plans with the tables' statistics only once ANALYZE gathered them."""
    from django.db import connection

    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
