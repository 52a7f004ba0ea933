"""The guide's rules, once per provider: moto for S3, gcp-storage-emulator, Azurite.

Every test reads back with the provider's own SDK and downloads fetch URLs over HTTP."""

import gc
import hashlib
import tracemalloc
from urllib.parse import urlsplit

import pytest
import requests

from bots.models import Pin
from media_fetch.selectors import WRITE_ONLY_MESSAGE
from storageconfig.backends import backend_class
from storageconfig.models import StorageConfig
from storageconfig.serializers import config_input
from tests.support.api import CONFIGS, PUT
from tests.support.media import create_bot, hand_over, sample_media

MiB = 1024 * 1024


@pytest.fixture(autouse=True)
def _committed(transactional_db):
    """Uploads are queued on commit, as in production."""


def recorded(api, recorder) -> tuple[dict, dict[str, bytes]]:
    bot = create_bot(api)
    files = sample_media(bot, screenshots=2)
    hand_over(recorder, bot["bot_id"], files)
    assert api.get(f"/api/v1/bots/{bot['bot_id']}/status").json()["status"] == "Done"
    return bot, files


def download(url: str) -> bytes:
    response = requests.get(url, timeout=10)
    assert response.status_code == 200, (url, response.status_code)
    return response.content


def test_a_configuration_is_checked_saved_shown_and_deleted_by_its_key_name(api, provider):
    bucket = provider.bucket()
    body = provider.body(bucket)

    saved = api.put(PUT, body, format="json")
    shown = api.get(CONFIGS).json()["StorageConfig"]
    other = "azure" if provider.name != "azure" else "aws"
    refused = api.delete(f"{CONFIGS}?key_name={other}")
    deleted = api.delete(f"{CONFIGS}?key_name={provider.name}")

    assert saved.status_code == 200, saved.json()
    assert saved.json()["message"] == "Storage config saved successfully"
    assert list(shown) == [provider.name]
    assert shown[provider.name]["revision"] == 1 and shown[provider.name]["prefix"] == "meetstream"
    for secret in provider.secrets(body):
        assert secret not in saved.content.decode() and secret not in str(shown)
    assert refused.status_code == 404
    assert deleted.status_code == 200
    assert not StorageConfig.objects.get().has_credentials
    assert api.get(CONFIGS).json() == {"StorageConfig": {}}


def test_a_missing_bucket_is_refused_by_the_live_check_and_nothing_is_saved(api, provider):
    response = api.put(PUT, provider.body("no-such-bucket-here"), format="json")

    body = response.json()
    assert response.status_code == 400, body
    assert body["reason"] == "no_such_bucket"
    assert body["check"] == backend_class(provider.name).read_check
    assert "no-such-bucket-here" in body["message"]
    assert not StorageConfig.objects.exists()


# Azurite checks every signature; moto (without IAM) and the GCS emulator take any key, so
# there a secret that cannot be one is refused instead (a wrong S3 secret: test_live_check).
BAD_SECRETS = {
    "aws": ({"access_key_id": "not a key id"}, "access_key_id"),
    "gcs": ({"service_account_json": '{"type": "service_account"}'}, "service_account_json"),
    "azure": ({"account_key": "bm90LXRoZS1rZXk="}, "invalid_credentials"),
}


def test_wrong_credentials_are_refused_and_nothing_is_saved(api, provider):
    secret, problem = BAD_SECRETS[provider.name]
    response = api.put(PUT, provider.body(provider.bucket(), **secret), format="json")

    body = response.json()
    assert response.status_code == 400, body
    assert problem == body.get("reason") or list(body["errors"]) == [problem]
    assert not StorageConfig.objects.exists()


@pytest.mark.slow
def test_write_only_probes_each_prefix_and_fetches_answer_the_guides_403(api, recorder, provider):
    bucket = provider.bucket()
    body = provider.body(bucket, access_mode="write_only", prefixes={"audio": "rec/audio"})
    assert api.put(PUT, body, format="json").status_code == 200
    probes = provider.keys(bucket)
    bot, files = recorded(api, recorder)

    response = api.get(f"/api/v1/bots/{bot['bot_id']}/get_audio")

    assert sorted(key.split("/.write_probe_")[0] for key in probes) == ["meetstream", "rec/audio"]
    assert response.status_code == 403
    assert response.json() == {
        "message": WRITE_ONLY_MESSAGE,
        "code": "write_only",
        "access_mode": "write_only",
        "bucket": bucket,
        "key": f"rec/audio/{bot['bot_id']}_audio.wav",
    }
    assert provider.read(bucket, f"rec/audio/{bot['bot_id']}_audio.wav") == files["audio.wav"]


@pytest.mark.slow
def test_media_lands_in_the_bucket_and_fetch_urls_download_the_same_bytes(api, recorder, provider):
    bucket = provider.bucket()
    api.put(PUT, provider.body(bucket), format="json")
    bot, files = recorded(api, recorder)
    base = f"/api/v1/bots/{bot['bot_id']}"

    audio = api.get(f"{base}/get_audio").json()
    shots = api.get(f"{base}/screenshots").json()
    transcript = api.get(f"/api/v1/transcript/{bot['transcript_id']}/get_transcript")
    manifest = provider.read(bucket, f"meetstream/{bot['bot_id']}_manifest.json")

    assert audio["audio_url"].startswith(provider.url)
    assert audio["expires_in"] == 3600
    assert download(audio["audio_url"]) == files["audio.wav"]
    assert [download(shot["url"]) for shot in shots["results"]] == [
        data for name, data in sorted(files.items()) if name.endswith(".png")
    ]
    assert transcript.status_code == 200
    assert b"".join(transcript.streaming_content) == next(
        data for name, data in files.items() if name.endswith("processed_transcript.json")
    )
    assert hashlib.sha256(files["audio.wav"]).hexdigest() in manifest.decode()
    assert Pin.objects.get(bot__public_id=bot["bot_id"]).provider == provider.name


@pytest.mark.slow
def test_delete_data_removes_every_object_of_the_bot_from_the_bucket(api, recorder, provider):
    bucket = provider.bucket()
    api.put(PUT, provider.body(bucket), format="json")
    bot, files = recorded(api, recorder)
    kept, _ = recorded(api, recorder)
    stored = [key for key in provider.keys(bucket) if bot["bot_id"] in key]

    response = api.post(f"/api/v1/bots/{bot['bot_id']}/delete_data")

    media = api.get(f"/api/v1/bots/{bot['bot_id']}/status").json()["media"]
    assert len(stored) == len(files) + 1  # and the manifest
    assert response.status_code == 202
    assert (media["state"], media["deleted"], media["kept"]) == ("deleted", len(files) + 1, 0)
    assert not [key for key in provider.keys(bucket) if bot["bot_id"] in key]
    assert [key for key in provider.keys(bucket) if kept["bot_id"] in key]


@pytest.mark.slow
def test_old_bots_keep_their_storage_after_a_switch_to_another_provider(
    api, recorder, config_body, s3_server, bucket, provider
):
    api.put(PUT, config_body(), format="json")
    old, old_files = recorded(api, recorder)
    other = provider.bucket()
    assert api.put(PUT, provider.body(other), format="json").status_code == 200
    new, new_files = recorded(api, recorder)

    old_url = api.get(f"/api/v1/bots/{old['bot_id']}/get_audio").json()["audio_url"]
    new_url = api.get(f"/api/v1/bots/{new['bot_id']}/get_audio").json()["audio_url"]

    assert old_url.startswith(s3_server.url) and urlsplit(old_url).path.startswith(f"/{bucket}/")
    assert new_url.startswith(provider.url)
    assert download(old_url) == old_files["audio.wav"]
    assert download(new_url) == new_files["audio.wav"]
    assert provider.read(other, f"meetstream/{new['bot_id']}_audio.wav") == new_files["audio.wav"]


def upload_peak(backend, path, key: str) -> int:
    """The most memory Python held while the backend uploaded the file."""
    gc.collect()  # what an earlier upload left in reference cycles is not this one's
    tracemalloc.start()
    try:
        backend.object_upload(
            key=key, source=str(path), content_type="application/octet-stream", metadata={}
        )
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.slow
def test_a_large_upload_streams_in_parts_with_memory_flat(provider, tmp_path, settings, tenant):
    settings.UPLOAD_PART_MB, settings.UPLOAD_THREADS = 5, 2
    bucket = provider.bucket()
    backend = config_input(provider.body(bucket)).backend(tenant)
    peaks = {}
    for size in (16 * MiB, 64 * MiB):
        path = tmp_path / f"{size}.bin"
        with path.open("wb") as out:
            for n in range(size // MiB):
                out.write(bytes([n % 251]) * MiB)
        peaks[size] = upload_peak(backend, path, f"meetstream/{size}.bin")
        stored = provider.read(bucket, f"meetstream/{size}.bin")
        assert hashlib.sha256(stored).digest() == hashlib.sha256(path.read_bytes()).digest()

        del stored
    print(provider.name, {size // MiB: f"{peak / MiB:.1f} MiB" for size, peak in peaks.items()})
    # Parts in flight and read ahead (two each), not the file: the same bound at both sizes.
    assert all(peak < 5 * 5 * MiB for peak in peaks.values())
