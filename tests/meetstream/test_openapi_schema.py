import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_the_schema_covers_the_storage_config_endpoint_with_its_errors():
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    schema = response.json()
    operations = schema["paths"]["/api/v1/admin/configs"]
    assert set(operations) >= {"get", "put", "delete"}
    assert set(operations["put"]["responses"]) == {"200", "400", "401", "429"}
    assert set(operations["delete"]["responses"]) == {"200", "400", "401", "404"}
    components = schema["components"]["schemas"]
    bodies = components["StorageConfigInputRequest"]
    assert bodies["discriminator"]["propertyName"] == "provider"
    assert set(bodies["discriminator"]["mapping"]) == {"aws", "gcs", "azure"}
    request = components["S3ConfigInputRequest"]
    # A key pair or a role_arn: which one is checked by the serializer, not the schema.
    assert set(request["required"]) == {"provider", "bucket_name", "region"}
    assert {"access_key_id", "secret_key", "role_arn"} <= set(request["properties"])
    assert set(components["GcsConfigInputRequest"]["required"]) == {
        "provider",
        "bucket_name",
        "service_account_json",
    }
    assert schema["components"]["securitySchemes"]["ApiKey"]["name"] == "Authorization"


def test_the_schema_generates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml"))

    assert (tmp_path / "s.yml").read_text().startswith("openapi: 3")


def test_the_docs_page_is_served_with_local_assets():
    response = APIClient().get("/api/docs/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "swagger-ui" in page and "/api/schema/" in page
    assert "cdn.jsdelivr.net" not in page
