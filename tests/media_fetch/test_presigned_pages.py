"""A screenshot page presigns its URLs locally: each one botocore's own, none costing a call."""

from datetime import UTC, datetime
from unittest import mock

import pytest
import requests

from storageconfig.backends.aws import presign, s3
from tests.support.api import PUT
from tests.support.faults import FaultProxy
from tests.support.media import create_bot, hand_over, sample_media
from tests.support.s3 import presigned_by

pytestmark = pytest.mark.django_db(transaction=True)  # uploads are queued on commit


KEYS = [
    "meetstream/bot_1_screenshots/0001.png",
    "a b/ü+~=.png",
    "odd/%2F;,?#[]@!$&'()*.png",
    "deep/./../key",
]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("endpoint_url", "session_token"),
    [
        ("http://127.0.0.1:9000", None),  # path style, a port of its own
        (None, None),  # AWS itself: virtual-hosted
        ("https://s3.example.com:443", "session/token+="),  # default port, temporary key
    ],
)
def test_many_keys_are_signed_exactly_as_botocore_signs_each(endpoint_url, session_token):
    target = s3.S3Target("my-bucket", "eu-west-1", endpoint_url, "AKIDEXAMPLE", "secret/key+")
    client = s3.client(target, purpose="fetch")
    if session_token:
        client = s3._session().create_client(
            "s3",
            region_name="eu-west-1",
            endpoint_url=endpoint_url,
            aws_access_key_id="ASIAEXAMPLE",
            aws_secret_access_key="secret/key+",
            aws_session_token=session_token,
            config=s3._CONFIGS["fetch"].merge(s3.Config(signature_version="s3v4")),
        )
    signed_at = datetime(2026, 11, 26, 23, 59, 59, tzinfo=UTC)

    saved_as = [f'attachment; filename="{key.rsplit("/", 1)[-1]}"' for key in KEYS]

    with mock.patch("botocore.auth.get_current_datetime", return_value=signed_at):
        ours = presign.presign_gets(client, target, keys=KEYS, expires=60)
        botocore_each = [presign.presign_get(client, target, key=k, expires=60) for k in KEYS]
        downloads = presign.presign_gets(client, target, keys=KEYS, dispositions=saved_as)
        botocore_downloads = [
            presign.presign_get(client, target, key=key, disposition=disposition)
            for key, disposition in zip(KEYS, saved_as, strict=True)
        ]

    assert ours == botocore_each
    assert downloads == botocore_downloads
    assert presign.presign_gets(client, target, keys=[]) == []


def _stored_screenshots(api, recorder, config_body, endpoint: str, count: int):
    assert api.put(PUT, config_body(endpoint_url=endpoint), format="json").status_code == 200
    bot = create_bot(api)
    files = sample_media(bot, screenshots=count)
    hand_over(recorder, bot["bot_id"], files)
    return bot["bot_id"], files


@pytest.mark.slow
def test_every_url_of_a_page_downloads_its_screenshot_and_a_tampered_url_is_refused(
    api, recorder, config_body, s3_server
):
    bot_id, files = _stored_screenshots(api, recorder, config_body, s3_server.url, 25)

    page = api.get(f"/api/v1/bots/{bot_id}/screenshots", {"page_size": 25}).json()

    assert len(page["results"]) == 25
    body = config_body()
    signer = {"access_key_id": body["access_key_id"], "secret_key": body["secret_key"]}
    for shot in page["results"]:
        assert shot["expires_in"] == 3600 and "X-Amz-Expires=3600&" in shot["url"]
        assert presigned_by(shot["url"], region="us-east-1", **signer)
        response = requests.get(shot["url"], timeout=10)
        assert response.content == files[f"screenshots/{shot['id']}.png"]
    first, second = (shot["url"] for shot in page["results"][:2])
    signature = first.rsplit("X-Amz-Signature=", 1)[1]
    tampered = [
        second.rsplit("X-Amz-Signature=", 1)[0] + f"X-Amz-Signature={signature}",  # other key
        first.replace("X-Amz-Expires=3600", "X-Amz-Expires=604800"),
        first[:-1] + ("0" if first[-1] != "0" else "1"),
    ]
    for url in tampered:
        assert not presigned_by(url, region="us-east-1", **signer)
    assert not presigned_by(first, region="us-east-1", **{**signer, "secret_key": "other"})


@pytest.mark.slow
@pytest.mark.parametrize("count", [1, 30])
def test_a_screenshot_page_makes_no_s3_request_whatever_its_size(
    api, recorder, config_body, s3_server, count
):
    counter = FaultProxy(s3_server.url, lambda method, path: None)
    try:
        bot_id, _ = _stored_screenshots(api, recorder, config_body, counter.url, count)
        assert counter.seen, "the upload went through the counting proxy"
        counter.seen.clear()

        page = api.get(f"/api/v1/bots/{bot_id}/screenshots", {"page_size": 100}).json()
        one = api.get(f"/api/v1/bots/{bot_id}/screenshots/{page['results'][0]['id']}")

        assert len(page["results"]) == count and one.status_code == 200
        assert counter.seen == []
        requests.get(page["results"][0]["url"], timeout=10)
        assert len(counter.seen) == 1  # the counter does see a request when one is made
    finally:
        counter.stop()
