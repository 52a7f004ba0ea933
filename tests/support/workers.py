"""Real Celery workers for a test, on a queue of their own."""

import time
import uuid
from dataclasses import dataclass, field

from tests.support.media import STATUS
from tests.support.processes import Worker, worker_start

PLATFORM_BUCKET = "meetstream-platform-tests"


@dataclass
class Workers:
    """Real Celery workers on one queue of their own; this process sends its tasks there."""

    settings: object
    folder: object
    queue: str = field(default_factory=lambda: f"tests-{uuid.uuid4().hex[:8]}")
    started: list[Worker] = field(default_factory=list)

    def env(self, **extra: str) -> dict[str, str]:
        staging = {}
        if bucket := self.settings.STAGING_S3_BUCKET:
            # Staged in a bucket: the workers have a disk of their own, which nobody else reads.
            staging = {"STAGING_S3_BUCKET": bucket, "MEDIA_ROOT": str(self.folder / "worker-disk")}
        return {
            "MEDIA_ROOT": str(self.settings.MEDIA_ROOT),
            **staging,
            "PLATFORM_S3_BUCKET": PLATFORM_BUCKET,
            "PLATFORM_S3_ENDPOINT_URL": self.settings.PLATFORM_S3_ENDPOINT_URL,
            "PLATFORM_S3_ACCESS_KEY_ID": self.settings.PLATFORM_S3_ACCESS_KEY_ID,
            "PLATFORM_S3_SECRET_ACCESS_KEY": self.settings.PLATFORM_S3_SECRET_ACCESS_KEY,
            **extra,
        }

    def start(self, *, concurrency: int = 2, loglevel: str | None = "INFO", **env: str) -> Worker:
        """Start a worker (and wait until it is ready); safe to call from several threads."""
        log = self.folder / f"worker-{uuid.uuid4().hex[:8]}.log"
        worker = worker_start(
            log=log,
            queue=self.queue,
            concurrency=concurrency,
            loglevel=loglevel,
            **self.env(**env),
        )
        self.started.append(worker)
        return worker

    def logs(self) -> str:
        return "\n".join(worker.output() for worker in self.started)


def wait_for_done(api, bot_ids, workers: Workers, seconds: float = 120) -> None:
    pending = set(bot_ids)
    deadline = time.monotonic() + seconds
    while pending and time.monotonic() < deadline:
        pending = {b for b in pending if api.get(STATUS.format(b)).json()["status"] != "Done"}
        time.sleep(0.3)
    assert not pending, f"not Done: {sorted(pending)[:5]}; workers:\n{workers.logs()}"
