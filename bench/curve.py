"""The upload curve behind UPLOAD_PART_MB and UPLOAD_THREADS: the 256 MiB video alone,
through our upload in this process, for each part size and thread count, against boto3's
upload_file with its defaults (8 MiB parts, 10 threads). `python -m bench curve`; not in the
default run (it takes a few minutes)."""

import statistics
from pathlib import Path

from django.test import override_settings

from bench.setup import Bench
from bench.timing import Row, timed
from bench.upload import MiB, _ours, left_bot, plain_boto3
from bots.recorder.simulation import video_write

PARTS = (8, 16, 64)
THREADS = (4, 8, 10)
ROUNDS = 2


def rows(bench: Bench) -> list[Row]:
    video = Path(bench.work) / "curve.mp4"
    video_write(video, size=256 * MiB)
    files = {"meeting_recording.mp4": video}
    rows = []
    for part in PARTS:
        for threads in THREADS:
            ours, base = [], []
            with override_settings(UPLOAD_PART_MB=part, UPLOAD_THREADS=threads):
                for _ in range(ROUNDS):
                    bot = left_bot(bench.tenant, files)
                    ours.append(timed(lambda bot=bot: _ours(bot)))
                    base.append(timed(lambda: plain_boto3(bench, files, one_call="upload_file")))
            rows.append(
                Row(
                    f"256 MiB, {part} MiB parts x {threads} threads vs boto3 upload_file",
                    statistics.median(ours),
                    statistics.median(base),
                    unit="s",
                )
            )
    return rows
