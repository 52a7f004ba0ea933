"""A new provider is one folder, one line in the registry and one test adapter: a fake fourth
provider (tests/support/folder_provider, folders on disk served over HTTP) registered here
takes a configuration, holds a bot's media, serves it back and deletes it, through the API.

The schema is drawn when the views are imported, so it does not name the fake provider: these
requests go through a client that does not check responses against it."""

import functools
import http.server

import pytest
import requests
from rest_framework.test import APIClient

from meetstream.tenants.services import api_key_create
from storageconfig.backends import PROVIDERS, sdk_loggers
from tests.support.api import CONFIGS, PUT
from tests.support.faults import serve
from tests.support.folder_provider import backend
from tests.support.media import create_bot, hand_over, sample_media
from tests.support.providers import FolderProvider


@pytest.fixture(autouse=True)
def _committed(transactional_db):
    """Uploads are queued on commit, as in production."""


class QuietFiles(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def folder(tmp_path, monkeypatch) -> FolderProvider:
    """The fake provider registered (its one registry line), with its folders' server."""
    server, url = serve(functools.partial(QuietFiles, directory=str(tmp_path)))
    monkeypatch.setitem(PROVIDERS, "folder", "tests.support.folder_provider")
    monkeypatch.setattr(backend, "ROOT", tmp_path)
    monkeypatch.setattr(backend, "URL", url)
    yield FolderProvider(tmp_path, url)
    server.shutdown()
    server.server_close()


@pytest.fixture
def client(tenant) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_key_create(tenant=tenant).plaintext}")
    return api


@pytest.mark.slow
def test_a_registered_folder_provider_holds_serves_and_deletes_a_bots_media(
    client, recorder, folder
):
    bucket = folder.bucket()
    body = folder.body(bucket)

    saved = client.put(PUT, body, format="json")
    shown = client.get(CONFIGS).json()["StorageConfig"]
    bot = create_bot(client)
    files = sample_media(bot, screenshots=2)
    hand_over(recorder, bot["bot_id"], files)
    audio = client.get(f"/api/v1/bots/{bot['bot_id']}/get_audio").json()
    landed = folder.read(bucket, f"meetstream/{bot['bot_id']}_audio.wav")
    downloaded = requests.get(audio["audio_url"], timeout=10).content
    deleted = client.post(f"/api/v1/bots/{bot['bot_id']}/delete_data")

    assert saved.status_code == 200, saved.json()
    assert shown["folder"]["folder_name"] == bucket and "token" not in shown["folder"]
    assert body["token"] not in saved.content.decode()
    assert landed == files["audio.wav"]
    assert audio["audio_url"].startswith(folder.url)
    assert downloaded == files["audio.wav"]
    assert deleted.status_code == 202, deleted.content
    assert not [key for key in folder.keys(bucket) if bot["bot_id"] in key]


@pytest.mark.slow
def test_the_live_check_of_the_new_provider_refuses_what_it_refuses(client, folder):
    refused = client.put(PUT, folder.body(folder.bucket(), token="not-the-token"), format="json")
    missing = client.put(PUT, folder.body("no-such-folder"), format="json")
    unknown = client.put(PUT, {"provider": "folder"}, format="json")

    assert refused.status_code == 400 and refused.json()["reason"] == "invalid_credentials"
    assert missing.status_code == 400 and missing.json()["reason"] == "no_such_bucket"
    assert unknown.status_code == 400
    assert set(unknown.json()["errors"]) == {"folder_name", "token"}


@pytest.mark.slow
def test_the_registry_hands_the_new_providers_policy_and_loggers(client, folder):
    bucket = folder.bucket()
    assert client.put(PUT, folder.body(bucket), format="json").status_code == 200

    policy = client.get("/api/v1/admin/configs/policy")

    assert policy.json() == {"provider": "folder", "folder": bucket, "prefixes": ["meetstream"]}
    assert "tests.support.folder_provider" in sdk_loggers()
