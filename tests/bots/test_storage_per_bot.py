"""Storage chosen per bot: named configurations beside the default one, each bot's media in the
bucket it chose and fetched from there whatever changes later, and key templates."""

import json
from urllib.parse import urlsplit

import pytest
import requests
from django.utils import timezone

from bots.models import Bot
from bots.tasks import run_due_work
from storageconfig.models import HealthCheck, StorageConfig
from tests.support.api import CONFIGS, POLICY, PUT, VALIDATE
from tests.support.media import STATUS, create_bot, create_bot_request, hand_over, sample_media
from tests.support.providers import AzureProvider, GcsProvider, S3Provider
from tests.support.workers import PLATFORM_BUCKET

NAMES = f"{CONFIGS}/names"


def put_named(api, name: str, body: dict):
    return api.put(f"{PUT}&name={name}", body, format="json")


def download(url: str) -> bytes:
    response = requests.get(url, timeout=10)
    assert response.status_code == 200, (url, response.status_code)
    return response.content


def recorded(api, recorder, **extra) -> tuple[str, dict[str, bytes]]:
    bot = create_bot(api, **extra)
    files = sample_media(bot, screenshots=1)
    hand_over(recorder, bot["bot_id"], files)
    return bot["bot_id"], files


def keys_of(bot_id: str) -> dict[str, str]:
    return dict(Bot.objects.get(public_id=bot_id).artifacts.values_list("name", "key"))


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_three_bots_go_to_the_configuration_each_chose_and_are_served_from_it_after_changes(
    api, recorder, s3_server, gcs_emulator, azurite
):
    aws, gcs, azure = (
        S3Provider(s3_server),
        GcsProvider(gcs_emulator.url),
        AzureProvider(azurite.url),
    )
    buckets = {"default": aws.bucket(), "eu": gcs.bucket(), "customer-b": azure.bucket()}
    assert api.put(PUT, aws.body(buckets["default"]), format="json").status_code == 200
    assert put_named(api, "eu", gcs.body(buckets["eu"])).status_code == 200
    assert put_named(api, "customer-b", azure.body(buckets["customer-b"])).status_code == 200
    providers = {"default": aws, "eu": gcs, "customer-b": azure}

    bots = {
        "default": recorded(api, recorder),
        "eu": recorded(api, recorder, storage={"config": "eu"}),
        "customer-b": recorded(api, recorder, storage={"config": "customer-b"}),
    }

    for name, (bot_id, files) in bots.items():
        assert api.get(STATUS.format(bot_id)).json()["status"] == "Done", name
        provider, bucket = providers[name], buckets[name]
        keys = keys_of(bot_id)
        for file, data in files.items():
            assert keys[file] == f"meetstream/{bot_id}_{file}"
            assert provider.read(bucket, keys[file]) == data, (name, file)
    for name, provider in providers.items():  # and nothing of another bot
        assert all(bots[name][0] in key for key in provider.keys(buckets[name])), name
    names = api.get(NAMES).json()["configs"]
    assert [(c["name"], c["provider"], c["bucket_name"]) for c in names] == [
        (None, "aws", buckets["default"]),
        ("customer-b", "azure", buckets["customer-b"]),
        ("eu", "gcs", buckets["eu"]),
    ]

    # Every configuration moves to a new bucket: each bot is still served from its own.
    assert api.put(PUT, aws.body(aws.bucket()), format="json").status_code == 200
    assert put_named(api, "eu", gcs.body(gcs.bucket())).status_code == 200
    assert put_named(api, "customer-b", azure.body(azure.bucket())).status_code == 200

    for name, (bot_id, files) in bots.items():
        audio = api.get(f"/api/v1/bots/{bot_id}/get_audio").json()
        assert f"/{buckets[name]}/" in urlsplit(audio["audio_url"]).path
        assert download(audio["audio_url"]) == files["audio.wav"], name
        chat = api.get(f"/api/v1/bots/{bot_id}?type=chat")
        assert b"".join(chat.streaming_content) == files["chats.json"], name
    revisions = api.get(NAMES).json()["configs"]
    assert [c["revision"] for c in revisions] == [2, 2, 2]
    listed = api.get("/api/v1/bots?storage_config=eu").json()["results"]
    assert [(b["bot_id"], b["storage_config"]) for b in listed] == [(bots["eu"][0], "eu")]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_bot_whose_named_configuration_was_deleted_before_its_upload_gives_up_and_lands_nowhere(
    api, recorder, s3_server, config_body
):
    named_bucket = s3_server.bucket()
    assert api.put(PUT, config_body(), format="json").status_code == 200  # a default exists
    # Even with the platform as fallback, the bytes go to no other bucket.
    body = config_body(bucket_name=named_bucket, fallback="platform")
    assert put_named(api, "eu", body).status_code == 200
    bot = create_bot(api, storage={"config": "eu"})

    deleted = api.delete(f"{CONFIGS}?key_name=aws&name=eu")
    hand_over(recorder, bot["bot_id"], sample_media(bot, screenshots=1))

    assert deleted.status_code == 200
    status = api.get(STATUS.format(bot["bot_id"])).json()
    assert status["media"]["state"] == "failed"
    assert {f["reason"] for f in status["media"]["failed"]} == {"credentials_erased"}
    assert status["media"]["fallback"] == 0
    default_bucket = config_body()["bucket_name"]
    for bucket in (named_bucket, default_bucket, PLATFORM_BUCKET):
        assert not [k for k in s3_server.keys(bucket) if bot["bot_id"] in k], bucket
    assert api.get(CONFIGS).json()["StorageConfig"]["aws"]["name"] is None  # default untouched


@pytest.mark.django_db
def test_create_bot_refuses_a_name_that_is_not_an_active_configuration(api, config_body, s3_server):
    assert put_named(api, "gone", config_body()).status_code == 200
    assert api.delete(f"{CONFIGS}?key_name=aws&name=gone").status_code == 200

    unknown = create_bot_request(api, storage={"config": "eu"})
    deleted = create_bot_request(api, storage={"config": "gone"})
    malformed = create_bot_request(api, storage={"config": "EU West"})
    extra = create_bot_request(api, storage={"config": "eu", "bucket": "x"})

    for response in (unknown, deleted):
        assert response.status_code == 400
        assert list(response.json()["errors"]) == ["storage.config"]
        assert "is active" in response.json()["message"]
    assert malformed.status_code == 400 and "storage.config" in malformed.json()["errors"]
    assert extra.status_code == 400
    assert not Bot.objects.exists()


@pytest.mark.django_db
def test_each_name_has_its_own_revisions_get_validate_policy_and_delete(
    api, config_body, s3_server
):
    eu_bucket = s3_server.bucket()
    api.put(PUT, config_body(), format="json")
    put_named(api, "eu", config_body(bucket_name=eu_bucket, prefix="one"))
    put_named(api, "eu", config_body(bucket_name=eu_bucket, prefix="two"))

    shown = api.get(f"{CONFIGS}?name=eu").json()["StorageConfig"]["aws"]
    default = api.get(CONFIGS).json()["StorageConfig"]["aws"]
    checked = api.post(f"{VALIDATE}?name=eu")
    policy = api.get(f"{POLICY}?name=eu").json()
    not_there = api.get(f"{CONFIGS}?name=us").json()
    bad_name = api.get(f"{CONFIGS}?name=../x")
    wrong_delete = api.delete(f"{CONFIGS}?key_name=aws&name=us")
    deleted = api.delete(f"{CONFIGS}?key_name=aws&name=eu")

    assert (shown["name"], shown["revision"], shown["prefix"]) == ("eu", 2, "two")
    assert (default["name"], default["revision"]) == (None, 1)
    assert checked.status_code == 200 and checked.json()["ok"]
    assert policy["Statement"][0]["Resource"] == [f"arn:aws:s3:::{eu_bucket}/two/*"]
    assert not_there == {"StorageConfig": {}}
    assert bad_name.status_code == 400 and list(bad_name.json()["errors"]) == ["name"]
    assert wrong_delete.status_code == 404
    assert deleted.status_code == 200
    eu = StorageConfig.objects.filter(name="eu")
    assert not any(config.has_credentials for config in eu)
    assert StorageConfig.objects.get(name="").has_credentials
    assert [c["name"] for c in api.get(NAMES).json()["configs"]] == [None]


@pytest.mark.django_db(transaction=True)
def test_a_named_configurations_health_check_names_it_when_its_bucket_breaks(
    api, config_body, s3_server, receiver
):
    eu_bucket = s3_server.bucket()
    assert api.put(PUT, config_body(notify_url=receiver.url), format="json").status_code == 200
    body = config_body(bucket_name=eu_bucket, notify_url=receiver.url)
    assert put_named(api, "eu", body).status_code == 200
    s3_server.client().delete_bucket(Bucket=eu_bucket)

    HealthCheck.objects.update(next_attempt_at=timezone.now())
    assert run_due_work()["storage_checks"] == 1  # one task runs both checks

    [invalid] = receiver.payloads("storage.config_invalid")
    assert (invalid["data"]["name"], invalid["data"]["bucket"]) == ("eu", eu_bucket)
    named = api.get(f"{CONFIGS}?name=eu").json()["StorageConfig"]["aws"]
    assert named["last_check"] == "no_such_bucket"
    assert api.get(CONFIGS).json()["StorageConfig"]["aws"]["last_check"] == "ok"


@pytest.mark.django_db
def test_a_tenants_eleventh_named_configuration_is_refused_and_a_new_revision_is_not(
    api, config_body
):
    for n in range(10):
        assert put_named(api, f"customer-{n}", config_body()).status_code == 200

    eleventh = put_named(api, "customer-10", config_body())
    again = put_named(api, "customer-3", config_body(prefix="again"))
    default = api.put(PUT, config_body(), format="json")

    assert eleventh.status_code == 400
    assert list(eleventh.json()["errors"]) == ["name"]
    assert "at most 10" in eleventh.json()["message"]
    assert again.status_code == 200 and default.status_code == 200
    assert len(api.get(NAMES).json()["configs"]) == 11


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_template_with_dates_puts_keys_there_and_a_change_leaves_old_bots_served(
    api, recorder, s3_server, config_body, bucket
):
    dated = "{prefix}/{yyyy}/{mm}/{dd}/{platform}/{bot_id}/{file}"
    assert api.put(PUT, config_body(key_template=dated), format="json").status_code == 200
    old_id, old_files = recorded(api, recorder)
    left = Bot.objects.get(public_id=old_id).left_at
    folder = f"meetstream/{left:%Y/%m/%d}/google_meet/{old_id}"

    assert (
        api.put(PUT, config_body(key_template="flat/{bot_id}-{file}"), format="json").json()[
            "key_template"
        ]
        == "flat/{bot_id}-{file}"
    )
    new_id, _ = recorded(api, recorder)

    assert keys_of(old_id)["audio.wav"] == f"{folder}/audio.wav"
    assert sorted(k for k in s3_server.keys(bucket) if old_id in k) == sorted(
        f"{folder}/{file}" for file in [*old_files, "manifest.json"]
    )
    assert keys_of(new_id)["chats.json"] == f"flat/{new_id}-chats.json"
    manifest = json.loads(b"".join(api.get(f"/api/v1/bots/{old_id}/get_manifest")))
    assert {o["key"] for o in manifest["objects"]} == {f"{folder}/{f}" for f in old_files}
    audio = api.get(f"/api/v1/bots/{old_id}/get_audio").json()["audio_url"]
    assert download(audio) == old_files["audio.wav"]
    [shot] = api.get(f"/api/v1/bots/{old_id}/screenshots").json()["results"]
    shot_name = next(f for f in old_files if f.endswith(".png"))
    assert download(shot["url"]) == old_files[shot_name]

    assert api.post(f"/api/v1/bots/{old_id}/delete_data").status_code == 202

    assert not [k for k in s3_server.keys(bucket) if old_id in k]
    assert [k for k in s3_server.keys(bucket) if new_id in k]


@pytest.mark.parametrize(
    "template",
    [
        "{prefix}/{file}",
        "{prefix}/{bot_id}",
        "{prefix}/../{bot_id}/{file}",
        "/{prefix}/{bot_id}/{file}",
        "{prefix}/{bot_id}/{file}/{hour}",
        "{prefix}/{bot_id}/{{file}}",
        "{prefix}/{bot_id}/{file}" + "x" * 500,
        7,
    ],
)
@pytest.mark.django_db
def test_a_template_that_could_mix_bots_or_leave_the_folder_is_refused(api, config_body, template):
    response = api.put(PUT, config_body(key_template=template), format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["key_template"]
    assert not StorageConfig.objects.exists()


@pytest.mark.django_db
def test_the_policy_and_the_write_probe_keep_to_the_templates_static_start(
    api, config_body, bucket
):
    exports = "exports/{prefix}/{yyyy}/{bot_id}/{file}"
    saved = api.put(PUT, config_body(key_template=exports, access_mode="write_only"), format="json")
    policy = api.get(POLICY).json()
    described = api.get(
        POLICY,
        {"bucket_name": bucket, "region": "us-east-1", "key_template": "{yyyy}/{bot_id}/{file}"},
    ).json()

    assert saved.status_code == 200, saved.json()
    checked = api.post(VALIDATE).json()["checks"]
    [probe] = [c["key"] for c in checked]
    assert probe.startswith("exports/meetstream/.write_probe_")
    assert policy["Statement"][0]["Resource"] == [f"arn:aws:s3:::{bucket}/exports/meetstream/*"]
    assert described["Statement"][0]["Resource"] == [f"arn:aws:s3:::{bucket}/*"]
