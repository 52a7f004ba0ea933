"""What only Google Cloud Storage or Azure asks of a configuration: the service account key's
rules, a SAS token's limits, the account URL through the egress guard, their policies, the
admin's form."""

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from azure.storage.blob import ContainerSasPermissions, generate_container_sas

from meetstream.demo.emulators import AZURITE_ACCOUNT, AZURITE_KEY
from storageconfig.models import StorageConfig
from tests.support.api import CONFIGS, PUT
from tests.support.media import create_bot, hand_over
from tests.support.providers import AzureProvider, GcsProvider, service_account_key


@pytest.fixture
def gcs(gcs_emulator):
    return GcsProvider(gcs_emulator.url)


@pytest.fixture
def azure(azurite):
    return AzureProvider(azurite.url)


@pytest.mark.parametrize(
    "key",
    [
        {**service_account_key(), "token_uri": "http://169.254.169.254/token"},
        {**service_account_key(), "private_key": "-----BEGIN PRIVATE KEY-----\nAAAA\n"},
        {**service_account_key(), "type": "authorized_user"},
        "not json at all",
        ["a", "list"],
    ],
    ids=["token_uri elsewhere", "unreadable private key", "a user's key", "text", "a list"],
)
def test_a_key_that_is_not_a_service_account_of_googles_is_refused(api, gcs, key):
    body = gcs.body(gcs.bucket(), service_account_json=key)

    response = api.put(PUT, body, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["service_account_json"]
    assert "169.254" not in response.content.decode()  # the value is never echoed
    assert not StorageConfig.objects.exists()


def test_the_key_may_be_sent_as_an_object_and_its_policy_names_the_prefixes(api, gcs):
    bucket = gcs.bucket()
    body = gcs.body(bucket, service_account_json=service_account_key(), prefix="rec")
    assert api.put(PUT, body, format="json").status_code == 200

    policy = api.get(f"{CONFIGS}/policy?allow_delete=true").json()

    assert policy["role"]["includedPermissions"] == [
        "storage.buckets.get",
        "storage.objects.create",
        "storage.objects.delete",
        "storage.objects.get",
    ]
    assert (
        f'startsWith("projects/_/buckets/{bucket}/objects/rec/")'
        in (policy["condition"]["expression"])
    )
    assert api.get(f"{CONFIGS}/policy?credentials=role").status_code == 400


def sas_token(container: str, permission: str) -> str:
    return generate_container_sas(
        AZURITE_ACCOUNT,
        container,
        account_key=AZURITE_KEY,
        permission=ContainerSasPermissions.from_string(permission),
        expiry=datetime.now(UTC) + timedelta(hours=1),
    )


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_sas_token_writes_only_and_cannot_sign_links(api, recorder, azure):
    container = azure.bucket()
    token = sas_token(container, "cw")
    with_token = azure.body(container, account_key=..., sas_token=token)
    del with_token["account_key"]

    read_write = api.put(PUT, with_token, format="json")
    write_only = api.put(PUT, {**with_token, "access_mode": "write_only"}, format="json")
    bot = create_bot(api)
    hand_over(recorder, bot["bot_id"], {"chats.json": b"[]"})

    assert read_write.status_code == 400
    assert list(read_write.json()["errors"]) == ["sas_token"]
    assert write_only.status_code == 200, write_only.json()
    assert token not in write_only.content.decode()
    assert azure.read(container, f"meetstream/{bot['bot_id']}_chats.json") == b"[]"


def test_an_account_url_with_another_accounts_path_is_refused(api, azure):
    body = azure.body(azure.bucket(), endpoint_url=azure.url.replace(AZURITE_ACCOUNT, "other1"))

    response = api.put(PUT, body, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["endpoint_url"]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_uploads_to_an_account_url_go_through_the_egress_guard(api, recorder, azure, settings):
    container = azure.bucket()
    assert api.put(PUT, azure.body(container), format="json").status_code == 200
    settings.STORAGE_ALLOW_PRIVATE_ENDPOINTS = False  # loopback is private from now on

    bot = create_bot(api)
    hand_over(recorder, bot["bot_id"], {"chats.json": b"[]"})

    row = StorageConfig.objects.get().pins.get().bot.artifacts.get(name="chats.json")
    assert row.last_reason == "endpoint_refused"
    assert azure.keys(container) == []


def test_staff_add_an_azure_configuration_from_its_own_form(staff_client, tenant, azure):
    editor = staff_client("view_storageconfig", "add_storageconfig", "change_storageconfig")
    add = "/admin/storageconfig/storageconfig/add/?provider=azure"
    container = azure.bucket()
    form = {
        "tenant": tenant.pk,
        "access_mode": "read_write",
        "prefix": "meetstream",
        "prefixes": "{}",
        "account_name": AZURITE_ACCOUNT,
        "container": container,
        "account_key": AZURITE_KEY,
        "endpoint_url": azure.url,
    }

    page = editor.get(add).content.decode()
    refused = editor.post(add, {**form, "container": "no-such-container"})
    saved = editor.post(add, form)

    assert 'name="account_key"' in page and 'name="bucket_name"' not in page
    assert "GetContainerProperties: The container" in refused.content.decode()
    assert AZURITE_KEY not in refused.content.decode()
    assert saved.status_code == 302
    config = StorageConfig.objects.get()
    assert (config.provider, config.options["container"]) == ("azure", container)
    assert config.secrets == {"account_key": AZURITE_KEY}
    detail = editor.get(f"/admin/storageconfig/storageconfig/{config.pk}/change/").content
    assert container in detail.decode() and AZURITE_KEY not in detail.decode()


def test_staff_paste_a_service_account_key_that_is_never_shown_again(staff_client, tenant, gcs):
    editor = staff_client("view_storageconfig", "add_storageconfig", "change_storageconfig")
    add = "/admin/storageconfig/storageconfig/add/?provider=gcs"
    key = json.dumps(service_account_key())
    form = {
        "tenant": tenant.pk,
        "access_mode": "write_only",
        "prefix": "meetstream",
        "prefixes": "{}",
        "bucket_name": "no-such-bucket-here",
        "service_account_json": key,
    }

    refused = editor.post(add, form).content.decode()
    saved = editor.post(add, {**form, "bucket_name": gcs.bucket()})

    private_line = service_account_key()["private_key"].splitlines()[1]
    assert "PutObject" in refused and private_line not in refused
    assert saved.status_code == 302
    assert json.loads(StorageConfig.objects.get().secrets["service_account_json"]) == json.loads(
        key
    )


CEL_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def test_a_prefix_with_quotes_stays_inside_its_cel_string(api, gcs):
    bucket = gcs.bucket()
    prefix = 'x") || true || ("'
    body = gcs.body(bucket, service_account_json=service_account_key(), prefix=prefix)
    assert api.put(PUT, body, format="json").status_code == 200

    expression = api.get(f"{CONFIGS}/policy").json()["condition"]["expression"]

    # Outside its string literals the expression is exactly the two tests, nothing injected.
    assert CEL_STRING.sub("S", expression) == "resource.name == S || resource.name.startsWith(S)"
    assert [json.loads(s) for s in CEL_STRING.findall(expression)] == [
        f"projects/_/buckets/{bucket}",
        f"projects/_/buckets/{bucket}/objects/{prefix}/",
    ]


@pytest.mark.parametrize(
    "key",
    ["\ud800", json.dumps({**service_account_key(), "client_email": "sa-\ud800@x.iam"})],
    ids=["the field itself", "escaped in the key's text"],
)
def test_a_key_holding_a_lone_surrogate_is_a_400(api, gcs, key):
    body = json.dumps(gcs.body(gcs.bucket(), service_account_json=key))

    response = api.generic("PUT", PUT, body, content_type="application/json")

    assert response.status_code == 400 and response.json()["message"]
    assert not StorageConfig.objects.exists()
