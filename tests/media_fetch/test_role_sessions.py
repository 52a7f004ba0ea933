"""Media written and served with a role's short-lived sessions: uploads, fetches and presigned
URLs sign with them, refresh them before a URL could outlive them, and stop when the
configuration is deleted."""

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from bots.models import BotArtifact, WebhookEvent
from storageconfig.backends.aws import s3
from storageconfig.models import StorageConfig
from storageconfig.selectors import CredentialsErased
from tests.support.api import POLICY, PUT
from tests.support.faults import FaultProxy, FixedAnswer, sts_error
from tests.support.leaks import watch
from tests.support.media import STATUS, create_bot, hand_over, sample_media
from tests.support.s3 import presigned_by

pytestmark = pytest.mark.django_db(transaction=True)  # uploads are queued on commit


KEYS_GONE = {"access_key_id": ..., "secret_key": ...}


def assume_requests(proxy: FaultProxy) -> int:
    return sum(b"Action=AssumeRole" in body for body in proxy.bodies)


@pytest.fixture
def sts_proxy(sts_stand_in, monkeypatch):
    """STS (the moto server's, behind its stand-in) behind a proxy that counts the requests."""
    proxy = FaultProxy(sts_stand_in.url, lambda method, path: None)
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", proxy.url)
    yield proxy
    proxy.stop()


@pytest.fixture
def role_recorded(api, recorder, config_body, sts_proxy, role_arn):
    """A bot whose media went to a read_write bucket through a role's session."""
    body = config_body(**KEYS_GONE, role_arn=role_arn)
    assert api.put(PUT, body, format="json").status_code == 200
    bot = create_bot(api)
    files = sample_media(bot, screenshots=3)
    hand_over(recorder, bot["bot_id"], files)
    assert api.get(STATUS.format(bot["bot_id"])).json()["status"] == "Done"
    return bot["bot_id"], files


def session_of(config: StorageConfig):
    """The frozen credentials of the revision's role session, as this process holds them."""
    [session] = s3.role_sessions_held(config.pk)
    return session.get_credentials().get_frozen_credentials()


def url_query(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


def signer(url: str) -> str:
    """The access key id a presigned URL was signed with."""
    return url_query(url)["X-Amz-Credential"].split("/")[0]


@pytest.mark.slow
def test_uploads_fetches_and_deletions_work_with_the_roles_session_under_its_policy(
    api, recorder, tenant, config_body, iam_s3_server, platform_at
):
    platform_at(iam_s3_server)
    bucket = iam_s3_server.bucket()
    location = {"bucket_name": bucket, "endpoint_url": iam_s3_server.url}
    query = {"region": "us-east-1", "credentials": "role", "allow_delete": "true", **location}
    policies = api.get(POLICY, query).json()
    arn = iam_s3_server.role(
        policies["permission_policy"]["Statement"], external_id=tenant.storage_external_id
    )
    assert api.put(PUT, config_body(**KEYS_GONE, role_arn=arn, **location), format="json").json()
    bot = create_bot(api)
    files = sample_media(bot, screenshots=1)

    hand_over(recorder, bot["bot_id"], files)

    assert api.get(STATUS.format(bot["bot_id"])).json()["status"] == "Done"
    stored = iam_s3_server.keys(bucket, containing=bot["bot_id"])
    assert f"meetstream/{bot['bot_id']}_audio.wav" in stored
    chat = api.get(f"/api/v1/bots/{bot['bot_id']}", {"type": "chat"})
    assert chat.status_code == 200
    assert b"".join(chat.streaming_content) == files["chats.json"]
    session = session_of(StorageConfig.objects.get(is_active=True))
    assert session.access_key.startswith("ASIA") and session.token

    deleted = api.post(f"/api/v1/bots/{bot['bot_id']}/delete_data")

    assert deleted.status_code == 202
    assert iam_s3_server.keys(bucket, containing=bot["bot_id"]) == []


@pytest.mark.slow
def test_a_presigned_url_carries_the_sessions_temporary_key_and_downloads_the_object(
    api, role_recorded
):
    bot_id, files = role_recorded

    body = api.get(f"/api/v1/bots/{bot_id}/get_audio").json()

    query = url_query(body["audio_url"])
    session = session_of(StorageConfig.objects.get(is_active=True))
    assert query["X-Amz-Credential"].startswith(session.access_key + "/")
    assert session.access_key.startswith("ASIA")
    assert query["X-Amz-Security-Token"] == session.token
    assert 3000 <= body["expires_in"] <= 3600
    assert query["X-Amz-Expires"] == str(body["expires_in"])
    assert presigned_by(
        body["audio_url"],
        access_key_id=session.access_key,
        secret_key=session.secret_key,
        session_token=session.token,
        region="us-east-1",
    )
    assert requests.get(body["audio_url"], timeout=10).content == files["audio.wav"]
    watch(session.secret_key)  # the session's secret: in no response and no log line
    page = api.get(f"/api/v1/bots/{bot_id}/screenshots").json()
    assert len(page["results"]) == 3
    for shot in page["results"]:
        assert url_query(shot["url"])["X-Amz-Credential"].startswith("ASIA")
        assert shot["expires_in"] == int(url_query(shot["url"])["X-Amz-Expires"]) >= 3000
        assert requests.get(shot["url"], timeout=10).status_code == 200


@pytest.mark.slow
def test_sessions_are_refreshed_before_a_url_could_outlive_them_without_a_new_check(
    api, recorder, config_body, moved_clock
):
    body = config_body(**KEYS_GONE, role_arn=moved_clock.role)
    assert api.put(PUT, body, format="json").status_code == 200
    config = StorageConfig.objects.get(is_active=True)
    checked_at = config.last_checked_at
    bot = create_bot(api)
    hand_over(recorder, bot["bot_id"], sample_media(bot, screenshots=0))
    audio = f"/api/v1/bots/{bot['bot_id']}/get_audio"
    first = api.get(audio).json()
    assumed = assume_requests(moved_clock.sts)  # the check's and the revision's session

    moved_clock(4)  # 56 minutes left: the same session, and a URL told it lives that long
    same = api.get(audio).json()

    assert signer(same["audio_url"]) == signer(first["audio_url"])
    assert 3300 < same["expires_in"] <= 3600 - 4 * 60
    assert url_query(same["audio_url"])["X-Amz-Expires"] == str(same["expires_in"])
    assert assume_requests(moved_clock.sts) == assumed

    moved_clock(11)  # 45 minutes left: under 50, so refreshed before signing
    fresh = api.get(audio).json()

    assert signer(fresh["audio_url"]).startswith("ASIA")
    assert signer(fresh["audio_url"]) != signer(same["audio_url"])
    assert fresh["expires_in"] >= 3590
    assert assume_requests(moved_clock.sts) == assumed + 1
    assert StorageConfig.objects.get(pk=config.pk).last_checked_at == checked_at
    assert requests.get(fresh["audio_url"], timeout=10).status_code == 200


@pytest.mark.slow
def test_deleting_the_configuration_stops_every_use_of_the_role(api, role_recorded, sts_proxy):
    bot_id, _ = role_recorded
    assert api.delete("/api/v1/admin/configs?key_name=aws").status_code == 200
    assumed = assume_requests(sts_proxy)

    audio = api.get(f"/api/v1/bots/{bot_id}/get_audio")
    chat = api.get(f"/api/v1/bots/{bot_id}", {"type": "chat"})

    for response in (audio, chat):
        assert response.status_code == 403
        assert response.json() == {
            "message": CredentialsErased().message,
            "code": "credentials_erased",
        }
    assert assume_requests(sts_proxy) == assumed
    assert s3.role_sessions_held(StorageConfig.objects.get().pk) == []


@pytest.mark.slow
def test_an_upload_whose_role_can_no_longer_be_assumed_fails_with_its_own_reason(
    api, recorder, config_body, sts_proxy, receiver, monkeypatch, role_arn
):
    body = config_body(**KEYS_GONE, role_arn=role_arn)
    assert api.put(PUT, body, format="json").status_code == 200
    refusing = FixedAnswer(403, sts_error("AccessDenied", "not authorized to perform"))
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", refusing.url)
    bot = create_bot(api, callback_url=receiver.url)
    try:
        hand_over(recorder, bot["bot_id"], {"chats.json": b"[]"})
    finally:
        refusing.stop()

    [chat] = BotArtifact.objects.filter(bot__public_id=bot["bot_id"])
    assert chat.state == "gave_up" and chat.last_reason == "role_assumption_failed"
    assert "could not assume " + role_arn in chat.last_error
    [failed] = WebhookEvent.objects.filter(event="storage.upload_failed")
    assert failed.payload["data"]["reason"] == "role_assumption_failed"
    assert "storage.upload_failed" in receiver.events()


@pytest.mark.slow
def test_a_bot_pinned_to_a_role_revision_keeps_its_role_after_a_switch_to_keys(
    api, role_recorded, config_body, s3_server
):
    bot_id, files = role_recorded
    other = s3_server.bucket()
    assert api.put(PUT, config_body(bucket_name=other), format="json").status_code == 200

    body = api.get(f"/api/v1/bots/{bot_id}/get_audio").json()

    assert signer(body["audio_url"]).startswith("ASIA")
    assert f"/{other}/" not in body["audio_url"]
    assert requests.get(body["audio_url"], timeout=10).content == files["audio.wav"]
