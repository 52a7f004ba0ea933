"""DNS rebinding: a name vetted at PUT that later points at loopback is never connected to.

This sandbox reaches no public address, so 127.0.0.2 stands in for one: the guard is told to
treat it as public, and the tenant's names resolve there while the checks run. Afterwards they
resolve to 127.0.0.1, where traps on the same ports count every connection that arrives.
"""

import socket

import pytest

from bots.models import Bot, BotArtifact, UploadState, WebhookAttempt, WebhookEvent
from bots.tasks import sweep_webhooks, upload_bot_media
from meetstream.demo.embedded_s3 import embedded_s3_start
from meetstream.shared import outbound
from storageconfig.backends.aws import objects, s3
from storageconfig.models import StorageConfig
from tests.support.api import PUT
from tests.support.listeners import Receiver, Trap
from tests.support.media import STATUS, create_bot, hand_over, sample_media
from tests.support.s3 import S3Server

# Uploads and webhooks are queued when a transaction commits.
pytestmark = pytest.mark.django_db(transaction=True)

STAND_IN_PUBLIC = "127.0.0.2"


class Rebinding:
    """Names under `.rebind.test` resolve to the stand-in public address until `rebind()`."""

    def __init__(self) -> None:
        self.address = STAND_IN_PUBLIC

    def rebind(self) -> None:
        self.address = "127.0.0.1"


@pytest.fixture
def rebinding(settings, monkeypatch):
    settings.STORAGE_ALLOW_PRIVATE_ENDPOINTS = False
    state = Rebinding()
    real_resolve, real_class = socket.getaddrinfo, outbound.address_class

    def resolve(host, port, *args, **kwargs):
        if isinstance(host, str) and host.endswith(".rebind.test"):
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (state.address, port))]
        return real_resolve(host, port, *args, **kwargs)

    def address_class(address):
        return None if str(address) == STAND_IN_PUBLIC else real_class(address)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    monkeypatch.setattr(outbound, "address_class", address_class)
    return state


def trapped(start, port_of, stop):
    """A server on the stand-in address and a trap on loopback at its port.

    The port was free on the stand-in address only: on loopback another worker's connection may
    hold it, so the pair is drawn again until both are bound.
    """
    for _ in range(20):
        server = start()
        try:
            return server, Trap("127.0.0.1", port_of(server))
        except OSError:
            stop(server)
    raise OSError("no port free on both addresses after 20 tries")


@pytest.fixture
def bucket_host():
    """moto on the stand-in public address, and a trap on loopback at the same port."""
    # moto would read `media` in the Host header as a bucket name; the path names it here.
    ignore = {"S3_IGNORE_SUBDOMAIN_BUCKETNAME": "true"}
    server, trap = trapped(
        lambda: S3Server(embedded_s3_start(host=STAND_IN_PUBLIC, env=ignore)),
        lambda server: int(server.url.rsplit(":", 1)[1]),
        lambda server: server.server.stop(),
    )
    yield server, trap, f"http://media.rebind.test:{trap.port}"
    trap.stop()
    server.server.stop()


@pytest.fixture
def hook_host():
    receiver, trap = trapped(
        lambda: Receiver(STAND_IN_PUBLIC), lambda receiver: receiver.port, Receiver.stop
    )
    yield receiver, trap, f"http://hooks.rebind.test:{receiver.port}/hooks"
    trap.stop()
    receiver.stop()


@pytest.mark.slow
def test_uploads_fetches_and_webhooks_never_reach_a_name_rebound_to_loopback(
    rebinding, bucket_host, hook_host, api, recorder, config_body
):
    server, bucket_trap, endpoint = bucket_host
    receiver, hook_trap, callback = hook_host
    bucket = server.bucket()
    # While the names point at the stand-in public address: the check, one bot's upload.
    saved = api.put(PUT, config_body(bucket_name=bucket, endpoint_url=endpoint), format="json")
    assert saved.status_code == 200, saved.json()
    assert StorageConfig.objects.filter(is_active=True, options__endpoint_url=endpoint).exists()
    before = create_bot(api, callback_url=callback)
    after = create_bot(api, callback_url=callback)
    hand_over(recorder, before["bot_id"], sample_media(before, screenshots=1))
    chat = api.get(f"/api/v1/bots/{before['bot_id']}?type=chat")
    assert chat.status_code == 200, (chat.json(), api.get(STATUS.format(before["bot_id"])).json())
    assert receiver.events()[-2:] == ["bot.done", "storage.delivered"]
    delivered = len(receiver.received)
    last_attempt = WebhookAttempt.objects.latest("pk").pk

    rebinding.rebind()
    # Pooled connections still go to the address vetted when they opened; new ones must not.
    s3.client_forget(StorageConfig.objects.get(is_active=True).pk)

    fetched = api.get(f"/api/v1/bots/{before['bot_id']}?type=chat")
    hand_over(recorder, after["bot_id"], sample_media(after, screenshots=1))
    upload_bot_media.delay(Bot.objects.get(public_id=after["bot_id"]).pk)  # tried again
    WebhookEvent.objects.update(next_attempt_at=None)
    sweep_webhooks()

    assert fetched.status_code == 502
    assert fetched.json()["reason"] == "endpoint_refused"
    assert "to public addresses only" in fetched.json()["message"]
    assert "127.0.0.1" not in fetched.json()["message"]
    media = api.get(STATUS.format(after["bot_id"])).json()["media"]
    assert media["state"] == "failed" and media["uploaded"] == 0
    refused = BotArtifact.objects.filter(bot__public_id=after["bot_id"])
    assert refused.count() > 0
    assert all(a.state == UploadState.GAVE_UP for a in refused)
    assert all("to public addresses only" in a.last_error for a in refused)
    announced = WebhookEvent.objects.filter(
        bot__public_id=after["bot_id"], event="storage.upload_failed"
    )
    assert sorted(e.payload["data"]["file"] for e in announced) == sorted(a.name for a in refused)
    assert {e.payload["data"]["reason"] for e in announced} == {"endpoint_refused"}
    attempts = WebhookAttempt.objects.filter(pk__gt=last_attempt)
    assert attempts.exists() and all(a.error.startswith("Refused:") for a in attempts)
    assert len(receiver.received) == delivered
    assert bucket_trap.connections == 0
    assert hook_trap.connections == 0


@pytest.fixture
def answers_then_loopback(settings, monkeypatch):
    """Names under `.flip.test` resolve to the stand-in public address at their first lookup
    and to loopback at every later one: a connection must use the address it vetted, not look
    the name up again. Counts the lookups."""
    settings.STORAGE_ALLOW_PRIVATE_ENDPOINTS = False
    lookups: list[str] = []
    real_resolve, real_class = socket.getaddrinfo, outbound.address_class

    def resolve(host, port, *args, **kwargs):
        if isinstance(host, str) and host.endswith(".flip.test"):
            address = STAND_IN_PUBLIC if host not in lookups else "127.0.0.1"
            lookups.append(host)
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]
        return real_resolve(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    monkeypatch.setattr(
        outbound, "address_class", lambda a: None if str(a) == STAND_IN_PUBLIC else real_class(a)
    )
    return lookups


@pytest.mark.slow
def test_a_webhook_connects_to_the_address_it_vetted_not_a_second_lookup(
    answers_then_loopback, hook_host
):
    receiver, trap, _ = hook_host
    url = f"http://hooks.flip.test:{receiver.port}/hooks"

    response = outbound.session().post(url, json={"event": "ping"}, timeout=5)

    assert response.status_code == 200 and len(receiver.received) == 1
    assert answers_then_loopback == ["hooks.flip.test"]
    assert trap.connections == 0


@pytest.mark.slow
def test_an_s3_client_connects_to_the_address_it_vetted_not_a_second_lookup(
    answers_then_loopback, bucket_host
):
    server, trap, _ = bucket_host
    bucket = server.bucket()
    endpoint = f"http://media.flip.test:{trap.port}"
    target = s3.S3Target(bucket, "us-east-1", endpoint, server.access_key_id, server.secret_key)

    objects.object_put(
        s3.client(target, purpose="check"), target, key="p/x", body=b"x", content_type="text/plain"
    )

    assert server.keys(bucket) == ["p/x"]
    assert answers_then_loopback == ["media.flip.test"]
    assert trap.connections == 0
