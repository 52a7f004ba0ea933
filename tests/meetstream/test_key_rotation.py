"""Rotating FERNET_KEYS as docs say: a new key first, `reencrypt_credentials`, the old key
gone. Every encrypted value in the database must be under the new key by then, whatever model
holds it, and every tenant must go on working."""

import json

import pytest
import requests
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import call_command
from django.db import connection
from fernet_fields.hkdf import derive_fernet_key
from standardwebhooks.webhooks import Webhook

from meetstream.shared.encryption import encrypted_fields
from meetstream.tenants.services import api_key_create, tenant_get_or_create
from storageconfig.models import StorageConfig
from tests.support.api import CONFIGS, PUT
from tests.support.leaks import WatchedAPIClient
from tests.support.media import STATUS, create_bot, hand_over, sample_media
from tests.support.providers import AzureProvider, GcsProvider, S3Provider

SECRET = "/api/v1/admin/webhook_secret"
OLD, NEW = "the-old-fernet-key-" + "o" * 32, "the-new-fernet-key-" + "n" * 32


@pytest.fixture
def fernet_keys(settings):
    """Switch FERNET_KEYS; every encrypted field caches its Fernet, so each cache is reset."""

    def forget() -> None:
        for model, names in encrypted_fields().items():
            for name in names:
                for cached in ("keys", "fernet_keys", "fernet"):
                    model._meta.get_field(name).__dict__.pop(cached, None)

    def use(*keys: str) -> None:
        settings.FERNET_KEYS = list(keys)
        forget()

    yield use
    forget()  # the next read sees the restored settings


def columns_under(key: str) -> set[str]:
    """Every `table.column` of the database holding a value this key decrypts: read from the
    tables themselves, not from the models, so no field escapes by being declared elsewhere."""
    fernet = Fernet(derive_fernet_key(key))
    found = set()
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - the database's own names
            names = [column.name for column in cursor.description]
            for row in cursor.fetchall():
                for name, value in zip(names, row, strict=True):
                    if isinstance(value, str):
                        value = value.encode()
                    if not isinstance(value, bytes | memoryview):
                        continue
                    try:
                        fernet.decrypt(bytes(value))
                    except (InvalidToken, ValueError, TypeError):
                        continue
                    found.add(f"{table}.{name}")
    return found


def encrypted_columns() -> set[str]:
    return {
        f"{model._meta.db_table}.{model._meta.get_field(name).column}"
        for model, names in encrypted_fields().items()
        for name in names
    }


def download(url: str) -> bytes:
    response = requests.get(url, timeout=10)
    assert response.status_code == 200, (url, response.status_code)
    return response.content


@pytest.fixture
def providers(transactional_db, s3_server, gcs_emulator, azurite):
    """A tenant name → (the provider holding its media, its configuration body)."""
    s3, gcs, azure = (
        S3Provider(s3_server),
        GcsProvider(gcs_emulator.url),
        AzureProvider(azurite.url),
    )
    external_id = tenant_get_or_create(name="role").storage_external_id
    anything = [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]
    role = s3.body(s3.bucket(), role_arn=s3_server.role(anything, external_id=external_id))
    del role["access_key_id"], role["secret_key"]
    return {
        "keys": (s3, s3.body(s3.bucket())),
        "role": (s3, role),
        "gcs": (gcs, gcs.body(gcs.bucket())),
        "azure": (azure, azure.body(azure.bucket())),
    }


@pytest.mark.slow
def test_rotating_the_keys_as_the_readme_says_leaves_every_tenant_working(
    transactional_db, fernet_keys, providers, recorder, receiver
):
    fernet_keys(OLD)
    tenants = {}
    for name, (provider, body) in providers.items():
        api = WatchedAPIClient()
        key = api_key_create(tenant=tenant_get_or_create(name=name)).plaintext
        api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        secret = api.get(SECRET).json()["signing_secret"]
        assert api.put(PUT, body, format="json").status_code == 200
        done = create_bot(api, callback_url=receiver.url)
        hand_over(recorder, done["bot_id"], files := sample_media(done, screenshots=1))
        waiting = create_bot(api, callback_url=receiver.url)  # still in its meeting
        hand_over(recorder, waiting["bot_id"], sample_media(waiting, screenshots=1), leave=False)
        tenants[name] = api, secret, provider, body, [done, waiting], files
    every_field = encrypted_columns()
    assert every_field, "no encrypted field found"
    missing = every_field - columns_under(OLD)
    assert not missing, f"fill {missing} in this test, so that its rotation is tested"

    fernet_keys(NEW, OLD)
    call_command("reencrypt_credentials")
    fernet_keys(NEW)

    assert columns_under(OLD) == set()
    signed_with = {}
    for name, (api, secret, provider, body, bots, files) in tenants.items():
        done, waiting = bots
        assert api.get(SECRET).json()["signing_secret"] == secret, name
        assert list(api.get(CONFIGS).json()["StorageConfig"]) == [provider.name], name
        assert recorder.post(f"/internal/v1/bots/{waiting['bot_id']}/left").status_code == 202
        later = create_bot(api, callback_url=receiver.url)
        hand_over(recorder, later["bot_id"], sample_media(later, screenshots=1))
        bucket = body.get("bucket_name") or body["container"]
        for bot in (done, waiting, later):
            signed_with[bot["bot_id"]] = secret
            assert api.get(STATUS.format(bot["bot_id"])).json()["status"] == "Done", name
            audio = api.get(f"/api/v1/bots/{bot['bot_id']}/get_audio").json()
            assert download(audio["audio_url"]) == files["audio.wav"], name
            key = f"meetstream/{bot['bot_id']}_audio.wav"
            assert provider.read(bucket, key) == files["audio.wav"], name
            assert "manifest.completed" in receiver.events(bot["bot_id"]), name
    for request in receiver.received:  # each verifies with its tenant's secret, or raises
        bot_id = json.loads(request["body"])["bot_id"]
        Webhook(signed_with[bot_id]).verify(request["body"], request["headers"])


def test_without_the_key_that_encrypted_them_credentials_do_not_decrypt(
    api, tenant, config_body, fernet_keys
):
    fernet_keys(OLD)
    api.put(PUT, config_body(), format="json")

    fernet_keys("unrelated-key")

    with pytest.raises(InvalidToken):
        StorageConfig.objects.get(tenant=tenant)
