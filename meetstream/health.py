"""Liveness and readiness for load balancers and orchestrators.

Readiness runs django-health-check's database check beside ours (the broker, staging, the
platform bucket), concurrently and each within its timeout. Neither answer
carries host names, credentials or exception text: a failing check is named, nothing more; the
reason goes to the log.
"""

import asyncio
import dataclasses
import datetime
import logging

from django.http import JsonResponse
from health_check.base import HealthCheck
from health_check.checks import Database, Storage
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView

from bots.pipeline.staging import staging_bucket
from meetstream.celery import app as celery_app
from storageconfig.backends.base import PROBE_SECONDS
from storageconfig.checks import platform_bucket_probe

logger = logging.getLogger(__name__)
TWO_SECONDS = datetime.timedelta(seconds=PROBE_SECONDS)


@dataclasses.dataclass
class Broker(HealthCheck):
    """The broker the web queues uploads on accepts a connection (Redis, or make run's folder)."""

    timeout = TWO_SECONDS

    def run(self) -> None:
        try:
            with celery_app.connection_for_write() as connection:
                connection.ensure_connection(max_retries=1, interval_start=0, timeout=PROBE_SECONDS)
        except Exception as exc:  # kombu raises a different error for each transport
            raise ServiceUnavailable("The broker refused a connection.") from exc


@dataclasses.dataclass
class PlatformBucket(HealthCheck):
    """The platform bucket answers a HeadBucket."""

    timeout = TWO_SECONDS

    def run(self) -> None:
        if (failure := platform_bucket_probe()) is not None:
            raise ServiceUnavailable(failure.reason)


@dataclasses.dataclass
class Staging(HealthCheck):
    """Staging takes files: on disk, django-health-check's write, read and delete under
    MEDIA_ROOT; in STAGING_S3_BUCKET, a HeadBucket."""

    timeout = TWO_SECONDS

    def run(self) -> None:
        if (bucket := staging_bucket()) is None:
            Storage(alias="staging").run()
        elif (failure := bucket.bucket_probe()) is not None:
            raise ServiceUnavailable(failure.reason)


READINESS = {
    "database": (Database, {}),
    "broker": (Broker, {}),
    "staging": (Staging, {}),
    "platform_bucket": (PlatformBucket, {}),
}


def liveness(request) -> JsonResponse:
    """The process serves requests; nothing it depends on is asked."""
    return JsonResponse({"status": "ok"})


class ReadinessView(HealthCheckView):
    """200 when every dependency answers; 503 naming those that did not."""

    checks = tuple(READINESS.values())

    async def get(self, request, *args, **kwargs) -> JsonResponse:
        with self.get_executor() as executor:
            results = await asyncio.gather(
                *(check.get_result(executor) for check in self.get_checks())
            )
        checks, failing = {}, []
        for name, result in zip(READINESS, results, strict=True):
            checks[name] = "unavailable" if result.error else "ok"
            if result.error:
                failing.append(name)
                logger.warning("Readiness: %s is unavailable (%s)", name, _reason(result.error))
        if not failing:
            return JsonResponse({"status": "ok", "checks": checks})
        return JsonResponse(
            {
                "status": "unavailable",
                "message": f"Not ready: {', '.join(failing)} unavailable.",
                "failing": failing,
                "checks": checks,
            },
            status=503,
        )


def _reason(error: BaseException) -> str:
    """What went wrong, down to the exception that started it, for the log (never the answer):
    "The broker refused a connection. <- OperationalError: Error 111 connecting to ..."."""
    reasons, seen = [], error
    while seen is not None and len(reasons) < 4:
        text = getattr(seen, "message", None) or str(seen)
        reasons.append(text if seen is error else f"{type(seen).__name__}: {text}")
        seen = seen.__cause__ or seen.__context__
    return " <- ".join(reasons)
