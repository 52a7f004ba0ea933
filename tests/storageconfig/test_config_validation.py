import pytest

from storageconfig.models import StorageConfig
from tests.support.api import PUT


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"provider": "dropbox"}, "provider"),
        ({"provider": 1}, "provider"),
        ({"bucket_name": "ab"}, "bucket_name"),
        ({"bucket_name": "x" * 64}, "bucket_name"),
        ({"bucket_name": "Upper-Case"}, "bucket_name"),
        ({"bucket_name": "under_score"}, "bucket_name"),
        ({"bucket_name": "-starts-with-hyphen"}, "bucket_name"),
        ({"bucket_name": "two..dots"}, "bucket_name"),
        ({"bucket_name": "192.168.5.4"}, "bucket_name"),
        ({"bucket_name": "xn--punycode"}, "bucket_name"),
        ({"bucket_name": "ends-s3alias"}, "bucket_name"),
        ({"bucket_name": 12345}, "bucket_name"),
        ({"region": "US East"}, "region"),
        ({"region": ""}, "region"),
        ({"access_key_id": ""}, "access_key_id"),
        ({"access_key_id": "has space"}, "access_key_id"),
        ({"access_key_id": 1234567890}, "access_key_id"),
        ({"secret_key": None}, "secret_key"),
        ({"secret_key": "tab\there"}, "secret_key"),
        ({"access_mode": "read_only"}, "access_mode"),
        ({"access_mode": True}, "access_mode"),
        ({"prefix": "a/../b"}, "prefix"),
        ({"prefix": "./a"}, "prefix"),
        ({"prefix": "//"}, "prefix"),
        ({"prefix": ""}, "prefix"),
        ({"prefix": "bell\x07"}, "prefix"),
        ({"prefix": "new\nline"}, "prefix"),
        ({"prefix": "é" * 257}, "prefix"),
        ({"prefix": ["a"]}, "prefix"),
        ({"prefixes": {"audio": "a/.."}}, "prefixes.audio"),
        ({"prefixes": {"subtitles": "x"}}, "prefixes.subtitles"),
        ({"prefixes": {"video": 7}}, "prefixes.video"),
        ({"prefixes": ["audio"]}, "prefixes.non_field_errors"),
        ({"prefixes": None}, "prefixes"),
        ({"endpoint_url": "ftp://files.example.com"}, "endpoint_url"),
        ({"endpoint_url": "not a url"}, "endpoint_url"),
        ({"endpoint_url": "https://user:pw@s3.example.com"}, "endpoint_url"),
        ({"endpoint_url": "https://s3.example.com/some/path"}, "endpoint_url"),
        ({"endpoint_url": "http://s3.example.com:99999"}, "endpoint_url"),
        ({"endpoint_url": "https://"}, "endpoint_url"),
        ({"endpoint_url": 443}, "endpoint_url"),
        ({"surprise": "field"}, "surprise"),
        ({"bucket_name": ...}, "bucket_name"),
        ({"provider": ...}, "provider"),
    ],
)
def test_bad_input_is_400_naming_the_field_and_saves_nothing(api, config_body, overrides, field):
    response = api.put(PUT, config_body(**overrides), format="json")

    assert response.status_code == 400, response.json()
    body = response.json()
    assert list(body["errors"]) == [field]
    assert body["message"].startswith("Invalid request.") and field.split(".")[0] in body["message"]
    assert not StorageConfig.objects.exists()


def test_a_512_byte_prefix_is_accepted(api, config_body):
    prefix = "é" * 256

    response = api.put(PUT, config_body(prefix=prefix), format="json")

    assert response.status_code == 200
    assert response.json()["prefix"] == prefix


@pytest.mark.parametrize("query", ["", "?config_type=webhooks", "?config_type="])
def test_a_missing_or_unknown_config_type_is_400(api, config_body, query):
    response = api.put(f"/api/v1/admin/configs{query}", config_body(), format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["config_type"]
    assert not StorageConfig.objects.exists()


def test_an_error_message_never_echoes_a_credential(api, config_body):
    secret = "my secret with spaces"

    response = api.put(PUT, config_body(secret_key=secret, access_mode="nope"), format="json")

    assert response.status_code == 400
    assert secret not in response.content.decode()
    assert "nope" not in response.content.decode()
