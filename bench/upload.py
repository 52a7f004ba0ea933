"""Uploads in this process: ours (the service a worker runs) against plain boto3 and awscli on
the same moto server, and against a stub S3 that is no bottleneck (our own cost per object)."""

import json
import os
import resource
import statistics
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import boto3
from botocore.config import Config
from django.conf import settings

from bench.setup import Bench
from bench.stub_s3 import StubS3
from bench.timing import Row, spread, timed
from bots.bot.lifecycle import BotEventType
from bots.bot.services import artifact_stage, bot_create, bot_transition
from bots.models import Bot
from bots.pipeline.uploads import media_upload
from bots.recorder.simulation import png_bytes, video_write, wav_write
from tests.support.processes import command_run

MiB = 1024 * 1024
SMALL_ROUNDS = 3
AWS = str(Path(sys.executable).parent / "aws")


def screenshots(folder: Path, count: int) -> dict[str, Path]:
    files = {}
    png = png_bytes()
    for n in range(count):
        shot = uuid.uuid4()
        files[f"screenshots/{shot}.png"] = folder / f"{shot}.png"
        files[f"screenshots/{shot}.png"].write_bytes(png)
        files[f"screenshots/{shot}.json"] = folder / f"{shot}.json"
        files[f"screenshots/{shot}.json"].write_text(
            json.dumps({"captured_at": f"2026-11-25T10:00:{n % 60:02d}+00:00"})
        )
    return files


@cache
def recording(work: str) -> dict[str, Path]:
    """The recorder's files of one long meeting, written once per run."""
    folder = Path(work) / "recording"
    folder.mkdir()
    video, audio = folder / "video.mp4", folder / "audio.wav"
    video_write(video, size=256 * MiB)
    wav_write(audio, seconds=30 * 60)
    return {"meeting_recording.mp4": video, "audio.wav": audio, **screenshots(folder, 200)}


def left_bot(tenant, files: dict[str, Path], *, leave: bool = True) -> Bot:
    """A bot with these files staged; `leave`: left too, its upload not queued (run here)."""
    bot = bot_create(tenant=tenant, meeting_link="https://meet.google.com/abc", bot_name="bench")
    for name, path in files.items():
        with path.open("rb") as stream:
            artifact_stage(bot=bot, name=name, stream=stream)
    if leave:
        bot_transition(bot=bot, event=BotEventType.LEFT)
    return Bot.objects.select_related("tenant").get(pk=bot.pk)


def _ours(bot: Bot) -> None:
    summary = media_upload(bot=bot, owner=f"bench-{uuid.uuid4().hex}")
    assert set(summary) == {"uploaded"}, summary


def plain_boto3(
    bench: Bench, files: dict[str, Path], *, one_call: str, endpoint: str = "", threads: int = 1
) -> None:
    """The baseline: a default boto3 client, one file after another (or `threads` at once)."""
    client = boto3.client(
        "s3",
        endpoint_url=endpoint or bench.server.url,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
        config=Config(max_pool_connections=max(10, threads)),
    )
    prefix = f"baseline-{uuid.uuid4().hex}"

    def one(item: tuple[str, Path]) -> None:
        name, path = item
        if one_call == "upload_file":
            client.upload_file(str(path), "bench-bucket", f"{prefix}/{name}")
        else:
            client.put_object(Bucket="bench-bucket", Key=f"{prefix}/{name}", Body=path.read_bytes())

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, files.items()))


def awscli(folder: Path, endpoint: str) -> None:
    """What a customer would type: `aws s3 cp --recursive` of the folder (awscli, bench only)."""
    command = [AWS, "s3", "cp", "--recursive", "--only-show-errors", "--endpoint-url", endpoint]
    command += [str(folder), f"s3://bench-bucket/awscli-{uuid.uuid4().hex}/"]
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)


@dataclass
class Measured:
    seconds: float
    cpu: float  # CPU seconds of this process and the children it waited for

    @classmethod
    def of(cls, fn) -> "Measured":
        def cpu() -> float:
            children = resource.getrusage(resource.RUSAGE_CHILDREN)
            return time.process_time() + children.ru_utime + children.ru_stime

        started, cpu_before = time.perf_counter(), cpu()
        fn()
        return cls(time.perf_counter() - started, cpu() - cpu_before)


def _small_rounds(
    bench: Bench, files, folder, *, endpoint: str, tenant, rounds: int = 3
) -> dict[str, list]:
    """Each way of uploading the 2,000 small files, interleaved round by round."""
    ways = {
        "ours": None,  # its bot is staged before the clock starts, below
        "boto3": lambda: plain_boto3(bench, files, one_call="put_object", endpoint=endpoint),
        "boto3 x8": lambda: plain_boto3(
            bench,
            files,
            one_call="put_object",
            endpoint=endpoint,
            threads=settings.MEDIA_UPLOAD_CONCURRENCY,
        ),
    }
    if Path(AWS).exists():
        ways["awscli"] = lambda: awscli(folder, endpoint)
    runs: dict[str, list] = {name: [] for name in ways}
    for _ in range(rounds):
        for name, way in ways.items():
            if way is None:
                bot = left_bot(tenant, files)
                runs[name].append(Measured.of(lambda bot=bot: _ours(bot)))
            else:
                runs[name].append(Measured.of(way))
    return runs


def _small_rows(bench: Bench) -> list[Row]:
    folder = Path(bench.work) / "small"
    folder.mkdir()
    files = screenshots(folder, 1000)
    rows = []
    on_moto = _small_rounds(
        bench, files, folder, endpoint=bench.server.url, tenant=bench.tenant, rounds=SMALL_ROUNDS
    )
    ours = [run.seconds for run in on_moto["ours"]]
    for name, label, target in (
        ("boto3", "boto3 put_object one after another", 0.5),
        (
            "boto3 x8",
            f"boto3 with our concurrency ({settings.MEDIA_UPLOAD_CONCURRENCY} threads)",
            None,
        ),
        ("awscli", "aws s3 cp --recursive", 1.0),
    ):
        if name not in on_moto:
            print(f"upload: no awscli in {AWS}; `make bench` installs it")
            continue
        theirs = [run.seconds for run in on_moto[name]]
        rows.append(
            Row(
                f"moto: 1,000 screenshots + sidecars vs {label} (median of {SMALL_ROUNDS})",
                statistics.median(ours),
                statistics.median(theirs),
                unit="s",
                target=target,
                spread=spread(ours, theirs),
            )
        )
    return rows + _stub_rows(bench, files, folder) + _stub_rows(bench, files, folder, latency=0.01)


def _on_stub(bench: Bench, files, folder, *, latency: float, rounds: int) -> dict[str, list]:
    stub = StubS3(latency=latency)
    try:
        tenant = bench.tenant_storing_at(stub.url)
        return _small_rounds(bench, files, folder, endpoint=stub.url, tenant=tenant, rounds=rounds)
    finally:
        stub.stop()


def _stub_rows(bench: Bench, files, folder, *, latency: float = 0) -> list[Row]:
    """Without latency: objects per second and CPU per object, our own cost. With it: times,
    as against a distant S3, where the server's answer is the wait and not the client."""
    runs = _on_stub(bench, files, folder, latency=latency, rounds=1 if latency else SMALL_ROUNDS)
    objects = len(files)
    seconds = {name: statistics.median(run.seconds for run in done) for name, done in runs.items()}
    cpu = {name: statistics.median(run.cpu for run in done) for name, done in runs.items()}
    rows = []
    for name in runs:
        if name == "ours":
            continue
        if latency:
            rows.append(
                Row(
                    f"stub S3 answering after {latency * 1e3:.0f} ms: ours vs {name}",
                    seconds["ours"],
                    seconds[name],
                    unit="s",
                    target={"boto3": 0.5, "awscli": 1.0}.get(name),
                )
            )
            continue
        rows.append(
            Row(
                f"stub S3 (discards bodies): objects/s, ours vs {name}",
                objects / seconds["ours"],
                objects / seconds[name],
                unit="/s",
                kind="throughput",
            )
        )
        rows.append(
            Row(
                f"  CPU ms per object, ours vs {name}",
                cpu["ours"] / objects * 1e3,
                cpu[name] / objects * 1e3,
            )
        )
    return rows


def _peak_memory(bench: Bench, files: dict[str, Path]) -> float:
    bot = left_bot(bench.tenant, files)
    result = command_run(
        "upload_media",
        bot.public_id,
        PLATFORM_S3_ENDPOINT_URL=bench.server.url,
        PLATFORM_S3_ACCESS_KEY_ID="bench",
        PLATFORM_S3_SECRET_ACCESS_KEY="bench",
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
        STAGING_S3_BUCKET=settings.STAGING_S3_BUCKET or "",
    )
    assert result.returncode == 0 and " 0 retry_wait, 0 gave_up" in result.stdout, result.stderr
    return result.peak_rss / MiB


@contextmanager
def staged_in_bucket(bench: Bench):
    """Staging in a bucket of the moto server (STAGING_S3_BUCKET) while inside."""
    bench.s3_admin().create_bucket(Bucket=STAGING_BUCKET)
    settings.STAGING_S3_BUCKET = STAGING_BUCKET
    try:
        yield
    finally:
        settings.STAGING_S3_BUCKET = None


STAGING_BUCKET = "bench-staging"
BIG = "256 MiB video + 30 min WAV + 200 screenshots (+ sidecars)"


def _big_rows(bench: Bench, big: dict[str, Path], where: str) -> list[Row]:
    """The upload row (staged beforehand, not timed) and the uploading process's peak memory."""
    bot = left_bot(bench.tenant, big)
    ours = timed(lambda: _ours(bot))
    base = timed(lambda: plain_boto3(bench, big, one_call="upload_file"))
    return [
        Row(f"In-process, {where}: {BIG} vs boto3 upload_file", ours, base, unit="s", target=1.2),
        Row(
            "  peak memory of the uploading process vs the 150 MiB bound",
            _peak_memory(bench, big),
            150,
            unit="MB",
            target=1.0,
        ),
    ]


def _staging_row(bench: Bench, big: dict[str, Path]) -> Row:
    """The recorder's side: the same files staged (artifact_stage, as a PUT does) into the
    staging bucket against on disk."""
    on_disk = timed(lambda: left_bot(bench.tenant, big, leave=False))
    with staged_in_bucket(bench):
        in_bucket = timed(lambda: left_bot(bench.tenant, big, leave=False))
    return Row(f"Staging {BIG}: into STAGING_S3_BUCKET vs onto disk", in_bucket, on_disk, unit="s")


def rows(bench: Bench) -> list[Row]:
    big = recording(bench.work)
    on_disk = _big_rows(bench, big, "staged on disk")
    with staged_in_bucket(bench):
        in_bucket = _big_rows(bench, big, "staged in STAGING_S3_BUCKET")
    return [*on_disk, *in_bucket, _staging_row(bench, big), *_small_rows(bench)]
