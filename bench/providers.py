"""One upload row per provider: ours (the same upload pass a worker runs, to a tenant configured
for that provider) against the provider's own SDK uploading the same files one after another,
on its local server: moto, gcp-storage-emulator, Azurite."""

import os
import statistics
import uuid
from functools import partial
from pathlib import Path

from azure.storage.blob import BlobServiceClient
from django.test import override_settings
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

from bench.setup import Bench, tenant_configured
from bench.timing import Row, spread, timed
from bench.upload import _ours, left_bot, plain_boto3, screenshots
from bots.recorder.simulation import video_write, wav_write
from meetstream.demo.emulators import (
    AZURITE_ACCOUNT,
    AZURITE_KEY,
    azurite_path,
    azurite_start,
    gcs_emulator_start,
)
from tests.support.providers import AzureProvider, GcsProvider

MiB = 1024 * 1024
ROUNDS = 3


def _files(work: str) -> dict[str, Path]:
    folder = Path(work) / "providers"
    folder.mkdir(exist_ok=True)
    video, audio = folder / "video.mp4", folder / "audio.wav"
    video_write(video, size=64 * MiB)
    wav_write(audio, seconds=10 * 60)
    return {"meeting_recording.mp4": video, "audio.wav": audio, **screenshots(folder, 50)}


def _gcs_sdk(bucket: str, files: dict[str, Path]):
    client = storage.Client(project="bench", credentials=AnonymousCredentials())
    prefix = f"sdk-{uuid.uuid4().hex}"
    return lambda: [
        client.bucket(bucket).blob(f"{prefix}/{name}").upload_from_filename(str(path))
        for name, path in files.items()
    ]


def _azure_sdk(url: str, container: str, files: dict[str, Path]):
    credential = {"account_name": AZURITE_ACCOUNT, "account_key": AZURITE_KEY}
    client = BlobServiceClient(url, credential=credential).get_container_client(container)
    prefix = f"sdk-{uuid.uuid4().hex}"

    def upload():
        for name, path in files.items():
            with path.open("rb") as stream:
                client.upload_blob(f"{prefix}/{name}", stream, overwrite=True)

    return upload


def _row(label: str, tenant, files, sdk, sdk_name: str) -> Row:
    ours, theirs = [], []
    for _ in range(ROUNDS):
        bot = left_bot(tenant, files)
        ours.append(timed(lambda bot=bot: _ours(bot)))
        theirs.append(timed(sdk))
    return Row(
        f"{label}: 64 MiB video + 10 min WAV + 50 screenshots vs {sdk_name} (median of {ROUNDS})",
        statistics.median(ours),
        statistics.median(theirs),
        unit="s",
        target=1.2,
        spread=spread(ours, theirs),
    )


def rows(bench: Bench) -> list[Row]:
    files = _files(bench.work)
    boto3_sdk = partial(plain_boto3, bench, files, one_call="upload_file")
    result = [_row("aws (moto)", bench.tenant, files, boto3_sdk, "boto3 upload_file")]
    gcs = gcs_emulator_start()
    os.environ["STORAGE_EMULATOR_HOST"] = gcs.url
    try:
        provider = GcsProvider(gcs.url)
        bucket = provider.bucket()
        tenant = tenant_configured(provider.body(bucket))
        sdk = _gcs_sdk(bucket, files)
        result.append(_row("gcs (emulator)", tenant, files, sdk, "upload_from_filename"))
        # The emulator serves one request at a time, and slower the more arrive at once (100
        # small files: 0.25 s one after another, 1.05 s eight at a time): ours, one at a time.
        with override_settings(MEDIA_UPLOAD_CONCURRENCY=1):
            label = "gcs (emulator), ours one file at a time"
            result.append(_row(label, tenant, files, sdk, "upload_from_filename"))
    finally:
        gcs.stop()
    if azurite_path() is None:
        print("providers: no Azurite; `make test` installs it")
        return result
    azurite = azurite_start(workspace=Path(bench.work))
    try:
        provider = AzureProvider(azurite.url)
        container = provider.bucket()
        tenant = tenant_configured(provider.body(container))
        sdk = _azure_sdk(azurite.url, container, files)
        result.append(_row("azure (Azurite)", tenant, files, sdk, "upload_blob"))
    finally:
        azurite.stop()
    return result
