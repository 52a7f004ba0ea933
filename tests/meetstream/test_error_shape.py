import pytest
from rest_framework.test import APIClient

from tests.support.api import CONFIGS


@pytest.mark.django_db
def test_an_unknown_api_path_is_a_json_404():
    response = APIClient().get("/api/v1/nothing-here")

    assert response.status_code == 404
    assert response.json() == {"message": "Not found.", "code": "not_found"}


def test_a_method_the_endpoint_does_not_have_is_a_json_405(api):
    response = api.post(CONFIGS, {}, format="json")

    assert response.status_code == 405
    assert response.json() == {
        "message": 'Method "POST" not allowed.',
        "code": "method_not_allowed",
    }


def test_a_body_that_is_not_json_is_a_400_with_a_message(api):
    response = api.generic(
        "PUT", f"{CONFIGS}?config_type=storage", "{not json", content_type="application/json"
    )

    assert response.status_code == 400
    assert "JSON parse error" in response.json()["message"]


def test_a_body_of_another_media_type_is_415(api):
    response = api.generic(
        "PUT", f"{CONFIGS}?config_type=storage", "bucket_name=x", content_type="text/plain"
    )

    assert response.status_code == 415
    assert response.json() == {
        "message": "Unsupported media type: send the body as JSON, with "
        "'Content-Type: application/json'.",
        "code": "unsupported_media_type",
    }


def test_the_message_of_a_400_reads_as_sentences(api):
    body = {"provider": "aws", "bucket_name": "a-bucket", "access_key_id": "AKIAEXAMPLEKEY123456"}

    response = api.put(f"{CONFIGS}?config_type=storage", body, format="json")

    assert response.status_code == 400
    assert response.json()["message"] == (
        "Invalid request. region: This field is required. secret_key: secret_key goes with "
        "access_key_id."
    )


def test_a_json_body_that_is_not_an_object_names_the_problem(api):
    response = api.put(f"{CONFIGS}?config_type=storage", [1, 2], format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["errors"] == {
        "non_field_errors": ["Invalid data. Expected a dictionary, but got list."]
    }
    assert body["message"].startswith("Invalid request.")


def test_a_body_over_the_size_limit_is_a_4xx_json_error(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024

    response = api.generic(
        "PUT",
        f"{CONFIGS}?config_type=storage",
        '{"a": "' + "x" * 4096 + '"}',
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json()["message"]
