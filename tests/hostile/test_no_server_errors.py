"""Inputs that once reached a 500: each is now a 400 naming what was wrong."""

import json

import pytest

from tests.support.api import PUT
from tests.support.contract import schema
from tests.support.media import create_bot, create_bot_request

DEEP = "[" * 100_000


def test_a_body_nested_beyond_reason_is_a_400(api):
    response = api.generic("PUT", PUT, DEEP, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["message"] == "The JSON is nested too deeply."


def test_a_prefixes_query_nested_beyond_reason_is_a_400_naming_it(api):
    response = api.get("/api/v1/admin/configs/policy", {"bucket_name": "b-1x", "prefixes": DEEP})

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["prefixes"]


@pytest.mark.parametrize("page", ["\u00b2", "\u0661", "\u0663\u0664", "1\u00b2"])
def test_a_page_in_other_digits_is_a_400_naming_it(api, page):
    bot = create_bot(api)

    response = api.get(f"/api/v1/bots/{bot['bot_id']}/screenshots", {"page": page})

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["page"]


def test_a_callback_url_with_an_impossible_port_is_a_400_naming_it(api):
    response = create_bot_request(api, callback_url="http://example.com:99999/hook")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["callback_url"]
    assert "port" in response.json()["errors"]["callback_url"][0]


def test_a_screenshot_sidecar_nested_beyond_reason_is_a_400(api, recorder):
    bot = create_bot(api)
    recorder.post(f"/internal/v1/bots/{bot['bot_id']}/joined")
    name = "screenshots/00000000-0000-0000-0000-000000000001.json"

    response = recorder.put(
        f"/internal/v1/bots/{bot['bot_id']}/media/{name}",
        b"[" * 60_000,
        content_type="application/octet-stream",
    )

    assert response.status_code == 400
    assert "captured_at" in response.json()["message"]


def _json_fields() -> list[tuple[str, str, str]]:
    """(method, path, field) for every field of every JSON request body the API documents."""
    found = []
    for path, operations in schema()["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" not in content:
                continue
            body = content["application/json"]["schema"]
            if "$ref" in body:
                body = schema()["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
            variants = body.get("oneOf", [body])
            for variant in variants:
                if "$ref" in variant:
                    variant = schema()["components"]["schemas"][variant["$ref"].rsplit("/", 1)[1]]
                found += [(method, path, name) for name in variant.get("properties", {})]
    return sorted(set(found))


@pytest.mark.slow
@pytest.mark.parametrize(("method", "path", "field"), _json_fields())
def test_a_lone_surrogate_in_any_field_is_a_400(api, method, path, field):
    url = path.replace("{bot_id}", "bot_00000000000000000000000000")
    body = json.dumps({field: "\ud800", "provider": "gcs", "\udfff": 1})

    response = api.generic(method.upper(), f"{url}?config_type=storage", body, "application/json")

    assert response.status_code == 400, (response.status_code, response.content[:300])
    assert "lone surrogate" in response.json()["message"]
