"""Redirects are never followed: a tenant's endpoint or receiver can't send us somewhere else."""

import io

import pytest

from bots.models import WebhookAttempt
from meetstream.demo.emulators import AZURITE_KEY
from storageconfig.backends.aws import objects, s3
from tests.support.api import PUT
from tests.support.listeners import Receiver, Trap
from tests.support.media import create_bot
from tests.support.stub_s3 import stub_s3

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def trap():
    started = Trap()
    yield started
    started.stop()


@pytest.mark.slow
@pytest.mark.parametrize("status", [301, 307])
def test_a_receiver_redirecting_elsewhere_gets_no_second_request(api, trap, status):
    receiver = Receiver()
    receiver.status, receiver.redirect_to = status, f"{trap.url}/elsewhere"
    try:
        create_bot(api, callback_url=receiver.url)
    finally:
        receiver.stop()

    assert len(receiver.received) == 1
    assert trap.connections == 0
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code == status
    assert attempt.error == f"The receiver answered {status}."


@pytest.mark.slow
@pytest.mark.parametrize(
    ("status", "code"), [(301, "PermanentRedirect"), (307, "TemporaryRedirect")]
)
@pytest.mark.parametrize("access_mode", ["read_write", "write_only"])
def test_a_bucket_endpoint_redirecting_elsewhere_is_not_followed_by_the_check(
    api, config_body, trap, status, code, access_mode
):
    location = {"Location": f"{trap.url}/bucket"}
    with stub_s3(status, code, "Please re-send this request elsewhere.", location) as url:
        response = api.put(
            PUT, config_body(endpoint_url=url, access_mode=access_mode), format="json"
        )

    assert response.status_code == 400
    assert trap.connections == 0


@pytest.mark.slow
@pytest.mark.parametrize("status", [301, 307])
def test_uploads_and_reads_are_not_redirected_elsewhere(trap, status):
    location = {"Location": f"{trap.url}/bucket/key"}
    with stub_s3(status, "TemporaryRedirect", "Elsewhere.", location) as url:
        target = s3.S3Target("bucket", "us-east-1", url, "AKIAEXAMPLE", "secret")
        client = s3.client(target)
        with pytest.raises(s3.StorageError):
            objects.object_upload(
                client,
                target,
                key="media/a.wav",
                source=io.BytesIO(b"RIFF"),
                content_type="audio/wav",
                metadata={},
            )
        with pytest.raises(s3.StorageError):
            objects.object_open(s3.client(target, purpose="fetch"), target, key="media/chats.json")

    assert trap.connections == 0


@pytest.mark.slow
@pytest.mark.parametrize("status", [301, 307])
@pytest.mark.parametrize("access_mode", ["read_write", "write_only"])
def test_an_azure_account_redirecting_elsewhere_is_not_followed(api, trap, status, access_mode):
    location = {"Location": f"{trap.url}/devstoreaccount1/media"}
    with stub_s3(status, "Moved", "Elsewhere.", location) as url:
        body = {
            "provider": "azure",
            "account_name": "devstoreaccount1",
            "container": "media",
            "account_key": AZURITE_KEY,
            "endpoint_url": f"{url}/devstoreaccount1",
            "access_mode": access_mode,
        }
        response = api.put(PUT, body, format="json")

    assert response.status_code == 400
    assert trap.connections == 0
