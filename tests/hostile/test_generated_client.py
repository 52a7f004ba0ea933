"""The README's quickstart through a client generated from the live schema, as a customer
would make it (openapi-python-client with clients/openapi-python-client.yaml): every answer
arrives as its typed model, and the generator has nothing to warn about."""

import importlib
import os
import subprocess
import sys
import urllib.request
import uuid
from pathlib import Path

import pytest
import requests

from meetstream.tenants.services import api_key_create
from tests.support.media import hand_over, sample_media
from tests.support.processes import ROOT

CONFIG = ROOT / "clients" / "openapi-python-client.yaml"


@pytest.fixture
def client_module(live_server, tmp_path):
    """The generated package, imported; the generator must not warn."""
    with urllib.request.urlopen(f"{live_server.url}/api/schema/?format=json") as answer:  # noqa: S310
        (tmp_path / "schema.json").write_bytes(answer.read())
    # The post hooks call ruff and python3: this venv's, found first.
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    generated = subprocess.run(
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            "--path",
            "schema.json",
            "--meta",
            "none",
            "--config",
            str(CONFIG),
            "--fail-on-warning",
        ],
        cwd=tmp_path,
        env={**os.environ, "PATH": path},
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = generated.stdout + generated.stderr
    assert generated.returncode == 0, output
    assert "Warning" not in output and "Error" not in output, output
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module("meetstream_client")
    finally:
        sys.path.remove(str(tmp_path))
        for name in [name for name in sys.modules if name.startswith("meetstream_client")]:
            del sys.modules[name]


TAGS = {"storage", "bots", "media", "deletion"}


def api(module, name: str):
    """An operation's module, under the tag of its area."""
    for tag in TAGS:
        try:
            return importlib.import_module(f"meetstream_client.api.{tag}.{name}")
        except ModuleNotFoundError:
            continue
    raise AssertionError(f"no operation {name} under the tags {sorted(TAGS)}")


@pytest.mark.slow
def test_the_quickstart_through_a_generated_client(
    client_module, live_server, tenant, recorder, config_body, s3_server, settings
):
    models = importlib.import_module("meetstream_client.models")
    key = api_key_create(tenant=tenant).plaintext
    # The scheme's prefix is the client's default: no `prefix=` anywhere.
    client = client_module.AuthenticatedClient(base_url=live_server.url, token=key)

    body = config_body()
    saved = api(client_module, "storage_config_put").sync(
        client=client,
        config_type=models.StorageConfigPutConfigType.STORAGE,
        body=models.S3ConfigInputRequest.from_dict(body),
    )
    assert isinstance(saved, models.S3ConfigSaved)
    assert saved.bucket_name == body["bucket_name"]
    assert saved.access_mode == models.AccessModeEnum.READ_WRITE

    missing = api(client_module, "storage_config_put").sync(
        client=client,
        config_type=models.StorageConfigPutConfigType.STORAGE,
        body=models.S3ConfigInputRequest.from_dict({**body, "bucket_name": "no-such-bucket-x"}),
    )
    assert isinstance(missing, models.StorageCheckFailed)
    assert missing.reason == models.StorageReasonEnum.NO_SUCH_BUCKET
    assert missing.check == models.StorageCheckEnum.HEADBUCKET
    assert all(isinstance(c, models.CheckOutcome) for c in missing.checks)

    invalid = api(client_module, "storage_config_put").sync(
        client=client,
        config_type=models.StorageConfigPutConfigType.STORAGE,
        body=models.S3ConfigInputRequest.from_dict({**body, "bucket_name": "Not_A_Bucket"}),
    )
    assert isinstance(invalid, models.ValidationError)
    assert "bucket_name" in invalid.errors.additional_properties

    # With a body: openapi-python-client 0.29 calls to_dict() on an unset union body, so the
    # body-less form (the schema's requestBody is not required) is left to the API tests.
    checked = api(client_module, "storage_config_validate").sync(
        client=client, body=models.S3ConfigInputRequest.from_dict(body)
    )
    assert isinstance(checked, models.StorageChecks) and checked.ok

    created = api(client_module, "bot_create").sync(
        client=client,
        body=models.BotCreateRequest(
            meeting_link="https://meet.google.com/abc-defg-hij", bot_name="Notes"
        ),
    )
    assert isinstance(created, models.BotCreated)
    files = sample_media(
        {"bot_id": created.bot_id, "transcript_id": created.transcript_id}, screenshots=2
    )
    hand_over(recorder, created.bot_id, files)

    status = api(client_module, "bot_status").sync(created.bot_id, client=client)
    assert isinstance(status, models.BotStatus)
    assert status.status == models.StatusEnum.DONE
    assert status.media.state == models.MediaStateEnum.UPLOADED

    audio = api(client_module, "bot_get_audio").sync(created.bot_id, client=client)
    assert isinstance(audio, models.AudioUrl) and audio.expires_in == 3600
    assert requests.get(audio.audio_url, timeout=10).content == files["audio.wav"]

    first = api(client_module, "bot_screenshots").sync(created.bot_id, client=client, page_size=1)
    assert isinstance(first, models.ScreenshotPage)
    assert first.count == 2 and first.next_ and first.previous is None
    shot = first.results[0]
    assert isinstance(shot, models.Screenshot) and isinstance(shot.id, uuid.UUID)
    again = api(client_module, "bot_screenshot").sync(created.bot_id, shot.id, client=client)
    assert isinstance(again, models.Screenshot) and again.id == shot.id
    png = requests.get(again.url, timeout=10).content
    assert png in files.values() and png.startswith(b"\x89PNG")

    document = api(client_module, "bot_document")
    chat = document.sync(created.bot_id, client=client, type_=models.BotDocumentType.CHAT)
    assert chat and all(isinstance(line, models.ChatMessage) for line in chat)
    people = document.sync(created.bot_id, client=client, type_=models.BotDocumentType.PARTICIPANTS)
    assert people and all(isinstance(p, models.Participant) for p in people)
    manifest = document.sync(created.bot_id, client=client, type_=models.BotDocumentType.MANIFEST)
    assert isinstance(manifest, models.Manifest)
    assert {o.file for o in manifest.objects} >= {"audio.wav", "chats.json"}

    # Each document type has an operation of its own: no union to narrow.
    chat = api(client_module, "bot_get_chat").sync(created.bot_id, client=client)
    assert chat and all(isinstance(line, models.ChatMessage) for line in chat)
    people = api(client_module, "bot_get_participants").sync(created.bot_id, client=client)
    assert people and all(isinstance(p, models.Participant) for p in people)
    manifest = api(client_module, "bot_get_manifest").sync(created.bot_id, client=client)
    assert isinstance(manifest, models.Manifest)
    lines = api(client_module, "bot_get_transcript").sync(created.bot_id, client=client)
    assert lines and all(isinstance(line, models.TranscriptLine) for line in lines)

    lines = api(client_module, "transcript_get").sync(created.transcript_id, client=client)
    assert lines and all(isinstance(line, models.TranscriptLine) for line in lines)
    assert lines[0].speaker and lines[0].end_time > lines[0].start_time
    raw = api(client_module, "transcript_get_raw").sync(created.transcript_id, client=client)
    assert isinstance(raw, models.RawTranscript)

    policy = api(client_module, "storage_config_policy").sync(client=client, allow_delete=True)
    assert isinstance(policy, models.IamPolicy)
    assert any("s3:DeleteObject" in statement.action for statement in policy.statement)

    write_only = config_body(access_mode="write_only")
    saved = api(client_module, "storage_config_put").sync(
        client=client,
        config_type=models.StorageConfigPutConfigType.STORAGE,
        body=models.S3ConfigInputRequest.from_dict(write_only),
    )
    assert isinstance(saved, models.S3ConfigSaved)
    hidden = api(client_module, "bot_create").sync(
        client=client,
        body=models.BotCreateRequest(
            meeting_link="https://meet.google.com/abc-defg-hij", bot_name="Hidden"
        ),
    )
    hand_over(
        recorder,
        hidden.bot_id,
        sample_media({"bot_id": hidden.bot_id, "transcript_id": hidden.transcript_id}),
    )
    refused = api(client_module, "bot_get_audio").sync(hidden.bot_id, client=client)
    assert isinstance(refused, models.WriteOnly)
    assert refused.access_mode == models.WriteOnlyAccessMode.WRITE_ONLY
    assert refused.bucket == write_only["bucket_name"]
    assert refused.key == f"meetstream/{hidden.bot_id}_audio.wav"

    bearer = client_module.AuthenticatedClient(base_url=live_server.url, token=key, prefix="Bearer")
    told = api(client_module, "bot_list").sync(client=bearer)
    assert isinstance(told, models.Error) and "Token" in told.message

    wrong = client_module.AuthenticatedClient(base_url=live_server.url, token="ms_wrong")
    denied = api(client_module, "bot_list").sync(client=wrong)
    assert isinstance(denied, models.Error)
    assert denied.code == models.ErrorCode.AUTHENTICATION_FAILED

    settings.AUTH_FAILURES_PER_MINUTE = 1
    answers = [api(client_module, "bot_list").sync_detailed(client=wrong) for _ in range(2)]
    throttled = answers[-1]
    assert isinstance(throttled.parsed, models.Throttled), throttled.content
    assert throttled.parsed.retry_after >= 1
    assert throttled.headers["RateLimit-Limit"] == "1"
    assert throttled.headers["RateLimit-Remaining"] == "0"
    assert int(throttled.headers["RateLimit-Reset"]) == int(throttled.headers["Retry-After"])
    # The right key from the same address still gets in while the wrong one is refused.
    listed = api(client_module, "bot_list").sync(client=client)
    assert isinstance(listed, models.BotPage) and len(listed.results) == 2
    assert listed.results[0].bot_id == hidden.bot_id  # newest first


@pytest.mark.slow
def test_storage_chosen_per_bot_through_a_generated_client(
    client_module, live_server, tenant, recorder, config_body, s3_server
):
    models = importlib.import_module("meetstream_client.models")
    client = client_module.AuthenticatedClient(
        base_url=live_server.url, token=api_key_create(tenant=tenant).plaintext
    )
    eu = config_body(bucket_name=s3_server.bucket(), key_template="eu/{yyyy}/{bot_id}/{file}")
    saved = api(client_module, "storage_config_put").sync(
        client=client,
        config_type=models.StorageConfigPutConfigType.STORAGE,
        name="eu",
        body=models.S3ConfigInputRequest.from_dict(eu),
    )
    assert isinstance(saved, models.S3ConfigSaved)
    assert (saved.name, saved.key_template) == ("eu", eu["key_template"])
    names = api(client_module, "storage_config_names").sync(client=client)
    assert isinstance(names, models.NamedConfigList)
    assert [(c.name, c.bucket_name) for c in names.configs] == [("eu", eu["bucket_name"])]

    created = api(client_module, "bot_create").sync(
        client=client,
        body=models.BotCreateRequest(
            meeting_link="https://meet.google.com/abc-defg-hij",
            bot_name="EU notes",
            storage=models.StorageChoiceRequest(config="eu"),
        ),
    )
    assert isinstance(created, models.BotCreated)
    files = sample_media({"bot_id": created.bot_id, "transcript_id": created.transcript_id})
    hand_over(recorder, created.bot_id, files)

    video = api(client_module, "bot_get_video").sync(
        created.bot_id,
        client=client,
        expires_in=600,
        disposition=models.BotGetVideoDisposition.ATTACHMENT,
    )
    assert isinstance(video, models.VideoUrl)
    assert video.expires_in == 600 and video.expires_limited_by is None
    assert video.expires_at.tzinfo is not None
    download = requests.get(video.video_url, timeout=10)
    assert download.content == files["meeting_recording.mp4"]
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert any(created.bot_id in key for key in s3_server.keys(eu["bucket_name"]))
    listed = api(client_module, "bot_list").sync(client=client, storage_config="eu")
    assert [(b.bot_id, b.storage_config) for b in listed.results] == [(created.bot_id, "eu")]
