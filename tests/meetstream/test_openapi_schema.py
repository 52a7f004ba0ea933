import json

import pytest
import yaml
from django.core.management import call_command
from django.utils import timezone
from openapi_schema_validator import OAS30Validator
from rest_framework.test import APIClient

from bots.recorder.simulation import meeting_documents
from storageconfig.failures import REASONS
from tests.conftest import RECORDER_TOKEN
from tests.support.contract import schema
from tests.support.media import create_bot, hand_over, sample_media

pytestmark = pytest.mark.django_db
ERROR_SHAPES = ("Error", "ValidationError", "StorageCheckFailed", "WriteOnly", "Throttled")
RATE_LIMIT = {"Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"}


def operations(document: dict):
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def component(document: dict, name: str) -> dict:
    return document["components"]["schemas"][name]


def read(response):
    return json.loads(b"".join(response.streaming_content))


def valid(document: dict, name: str, value) -> bool:
    """Whether a value fits a component, as a strict JSON Schema validator reads it."""
    root = {"components": document["components"], "$ref": f"#/components/schemas/{name}"}
    return OAS30Validator(root).is_valid(value)


def test_the_schema_covers_the_storage_config_endpoint_with_its_errors():
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    document = response.json()
    operations = document["paths"]["/api/v1/admin/configs"]
    assert set(operations) >= {"get", "put", "delete"}
    assert set(operations["put"]["responses"]) == {"200", "400", "401", "415", "429"}
    assert set(operations["delete"]["responses"]) == {"200", "400", "401", "404", "429"}
    components = document["components"]["schemas"]
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


def test_the_scheme_is_a_key_in_the_authorization_header_which_swagger_ui_can_send():
    schemes = schema()["components"]["securitySchemes"]

    # Swagger UI offers no input for an HTTP scheme other than basic and bearer.
    assert schemes == {
        "ApiKey": {**schemes["ApiKey"], "type": "apiKey", "in": "header", "name": "Authorization"}
    }
    assert "Token <API_KEY>" in schemes["ApiKey"]["description"]


def examples_of(document: dict):
    """(where, schema, body) of every example of a request or a response, the shared ones too."""
    shared = document["components"].get("responses", {})
    for path, method, operation in operations(document):
        bodies = [("request", operation.get("requestBody", {}))]
        for status, response in operation["responses"].items():
            name = response.get("$ref", "").rsplit("/", 1)[-1]
            bodies.append((status, shared[name] if name else response))
        for where, body in bodies:
            for media in body.get("content", {}).values():
                for title, shown in media.get("examples", {}).items():
                    yield f"{method.upper()} {path} {where} {title}", media["schema"], shown


@pytest.mark.parametrize("internal", [False, True], ids=["public", "internal"])
def test_every_example_is_a_real_body_of_its_own_shape(internal):
    document = schema(internal)
    examples = list(examples_of(document))

    for where, shape, shown in examples:
        root = {"components": document["components"], **shape}
        errors = [e.message for e in OAS30Validator(root).iter_errors(shown["value"])]
        assert not errors, (where, errors)
    # Every error a client can get shows a real body, not one made of every field of every
    # shape, and every request body shows one to copy.
    for path, method, operation in operations(document):
        for status, response in operation["responses"].items():
            content = response.get("content", {}).get("application/json", {})
            if int(status) >= 400 and "$ref" not in response:
                assert content.get("examples"), f"{method} {path} {status} has no example"
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if body:
            assert body.get("examples"), f"{method} {path} shows no request to copy"
    if not internal:
        put = document["paths"]["/api/v1/admin/configs"]["put"]["requestBody"]["content"]
        sent = [shown["value"] for shown in put["application/json"]["examples"].values()]
        assert {body["provider"] for body in sent} == {"aws", "gcs", "azure"}


@pytest.mark.django_db
def test_the_shared_error_examples_are_what_the_api_answers(api):
    shared = schema()["components"]["responses"]
    shown = {
        title: example["value"]
        for response in (shared["Unauthorized"],)
        for title, example in response["content"]["application/json"]["examples"].items()
    }
    put = schema()["paths"]["/api/v1/admin/configs"]["put"]["responses"]
    unsupported = next(iter(put["415"]["content"]["application/json"]["examples"].values()))
    wrong = APIClient()
    wrong.credentials(HTTP_AUTHORIZATION="Token ms_wrong")

    assert APIClient().get("/api/v1/bots").json() == shown["NoKey"]
    assert wrong.get("/api/v1/bots").json() == shown["AWrongKey"]
    sent = api.generic(
        "PUT", "/api/v1/admin/configs?config_type=storage", "x", content_type="text/plain"
    )
    assert sent.json() == unsupported["value"]
    missing = api.put("/api/v1/admin/configs?config_type=storage", {}, format="json")
    no_provider = put["400"]["content"]["application/json"]["examples"]["NoProvider"]
    assert missing.json() == no_provider["value"]


def test_operations_are_tagged_by_area():
    document = schema()
    tags = {operation["operationId"]: operation["tags"] for _, _, operation in operations(document)}

    assert [tag["name"] for tag in document["tags"]] == ["storage", "bots", "media", "deletion"]
    assert set(map(tuple, tags.values())) == {("storage",), ("bots",), ("media",), ("deletion",)}
    assert tags["storage_config_put"] == ["storage"] and tags["bot_create"] == ["bots"]
    assert tags["bot_get_audio"] == ["media"] and tags["bot_delete_data"] == ["deletion"]
    assert {tag for _, _, op in operations(schema(True)) for tag in op["tags"]} == {"recorder"}


def test_each_stored_document_has_an_operation_of_one_type():
    paths = schema()["paths"]

    def answer(path: str) -> dict:
        return paths[path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]

    shapes = {
        "/api/v1/bots/{bot_id}/get_chat": "ChatMessage",
        "/api/v1/bots/{bot_id}/get_participants": "Participant",
        "/api/v1/bots/{bot_id}/get_transcript": "TranscriptLine",
    }
    for path, item in shapes.items():
        assert answer(path) == {"type": "array", "items": {"$ref": f"#/components/schemas/{item}"}}
    assert answer("/api/v1/bots/{bot_id}/get_manifest") == {"$ref": "#/components/schemas/Manifest"}
    raw = answer("/api/v1/transcript/{transcript_id}/get_raw_transcript")
    assert raw == {"$ref": "#/components/schemas/RawTranscript"}


def test_request_shapes_are_closed_their_defaults_optional_and_flags_boolean():
    document = schema()
    requests = {
        name: shape
        for name, shape in document["components"]["schemas"].items()
        if name.endswith("Request") and "properties" in shape
    }

    assert {"S3ConfigInputRequest", "BotCreateRequest", "PrefixesRequest"} <= set(requests)
    for name, shape in requests.items():
        assert shape["additionalProperties"] is False, name
        # openapi-typescript makes a field with a `default` required: said in words instead.
        for field, property_ in shape["properties"].items():
            assert "default" not in property_, (name, field)
    s3 = requests["S3ConfigInputRequest"]["properties"]
    assert "Default: `read_write`." in s3["access_mode"]["description"]
    assert "Default: `meetstream`." in s3["prefix"]["description"]
    policy = document["paths"]["/api/v1/admin/configs/policy"]["get"]["parameters"]
    allow_delete = next(p for p in policy if p["name"] == "allow_delete")
    assert allow_delete["schema"] == {"type": "boolean"}


@pytest.mark.slow
def test_the_public_schema_leaves_the_recorder_out_and_format_json_answers_json():
    response = APIClient().get("/api/schema/?format=json")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    document = json.loads(response.content)
    assert document["paths"] and not [p for p in document["paths"] if p.startswith("/internal/")]
    assert "RecorderToken" not in document["components"]["securitySchemes"]
    yaml_answer = APIClient().get("/api/schema/?format=yaml")
    assert yaml.safe_load(yaml_answer.content) == document
    for accept in ("application/json", "application/vnd.oai.openapi+json"):
        answer = APIClient().get("/api/schema/", HTTP_ACCEPT=accept)
        assert (answer.status_code, json.loads(answer.content)) == (200, document), accept
    answer = APIClient().get("/api/schema/", HTTP_ACCEPT="application/yaml")
    assert yaml.safe_load(answer.content) == document


def test_the_recorder_schema_is_served_only_with_the_recorder_token(api):
    assert APIClient().get("/internal/schema/").status_code == 401
    assert api.get("/internal/schema/").status_code == 401  # a tenant's key is not enough
    recorder = APIClient()
    recorder.credentials(HTTP_AUTHORIZATION=f"Bearer {RECORDER_TOKEN}")

    response = recorder.get("/internal/schema/?format=json")

    assert response.status_code == 200
    paths = json.loads(response.content)["paths"]
    assert paths and all(path.startswith("/internal/v1/") for path in paths)


@pytest.mark.parametrize("internal", [False, True], ids=["public", "internal"])
def test_every_authenticated_operation_documents_its_401_and_its_429_with_rate_headers(internal):
    document = schema(internal)
    shared = document["components"]["responses"]
    if internal:  # the recorder's body is streamed, never parsed: no 415
        artifact = document["paths"]["/internal/v1/bots/{bot_id}/media/{file}"]["put"]
        assert "415" not in artifact["responses"]

    assert set(shared["TooManyRequests"]["headers"]) == RATE_LIMIT
    for path, method, operation in operations(document):
        assert operation["security"], (path, method)
        assert operation["responses"]["401"] == {"$ref": "#/components/responses/Unauthorized"}
        assert operation["responses"]["429"] == {"$ref": "#/components/responses/TooManyRequests"}


def test_every_error_shape_is_closed_and_each_code_belongs_to_one_shape():
    document = schema()
    codes = {}
    for name in ERROR_SHAPES:
        shape = component(document, name)
        assert shape["additionalProperties"] is False
        assert {"message", "code"} <= set(shape["required"])
        ref = shape["properties"]["code"]["$ref"].rsplit("/", 1)[-1]
        for code in component(document, ref)["enum"]:
            assert code not in codes, f"{code} is in {codes.get(code)} and {name}"
            codes[code] = name
    body = {"message": "m", "code": "storage_check_failed", "check": "HeadBucket"}
    body |= {"reason": "no_such_bucket", "checks": []}
    put_error = component(document, "StorageConfigPutError")
    assert put_error["discriminator"]["mapping"]["storage_check_failed"].endswith(
        "/StorageCheckFailed"
    )
    assert valid(document, "StorageConfigPutError", body)
    assert not valid(document, "ValidationError", body)
    write_only = {"message": "m", "code": "write_only", "access_mode": "write_only"}
    write_only |= {"bucket": "b", "key": "k"}
    assert valid(document, "FetchForbidden", write_only)
    assert not valid(document, "Error", write_only)


def test_reason_and_check_are_one_enum_each_wherever_they_appear():
    document = schema()

    assert component(document, "StorageReasonEnum")["enum"] == list(REASONS)
    assert {"HeadBucket", "PutObject", "AssumeRole"} <= set(
        component(document, "StorageCheckEnum")["enum"]
    )
    text = json.dumps(document["components"]["schemas"])
    assert '"reason": {"type": "string"' not in text
    for name in ("CheckOutcome", "StorageCheckFailed"):
        properties = json.dumps(component(document, name)["properties"])
        assert "StorageReasonEnum" in properties and "StorageCheckEnum" in properties
    assert "StorageReasonEnum" in json.dumps(component(document, "Error"))
    for name in ("S3ConfigActive", "S3ConfigSaved", "S3ConfigInputRequest"):
        assert "ServerSideEncryptionEnum" in json.dumps(component(document, name))


def test_the_fixes_a_generated_client_needs():
    paths = schema()["paths"]

    validate = paths["/api/v1/admin/configs/validate"]["post"]
    assert validate["requestBody"]["required"] is False
    assert paths["/api/v1/admin/configs"]["put"]["requestBody"]["required"] is True
    deleted = paths["/api/v1/admin/configs"]["delete"]["responses"]["200"]
    assert deleted["content"]["application/json"]["schema"]["$ref"].endswith(
        "/StorageConfigDeleted"
    )
    transcript = paths["/api/v1/transcript/{transcript_id}/get_transcript"]["get"]
    raw = next(p for p in transcript["parameters"] if p["name"] == "raw")
    assert raw["schema"] == {"type": "boolean"}
    screenshot = paths["/api/v1/bots/{bot_id}/screenshots/{screenshot_id}"]["get"]
    screenshot_id = next(p for p in screenshot["parameters"] if p["name"] == "screenshot_id")
    assert screenshot_id["schema"] == {"type": "string", "format": "uuid"}


def test_the_recorders_documents_fit_their_schemas():
    document = schema()
    bot = type("Bot", (), {"transcript_provider": "meetstream", "transcript_id": "tr_1"})
    documents = meeting_documents(bot, timezone.now())
    folder = "transcription/meetstream/tr_1"

    assert valid(document, "ChatMessage", documents["chats.json"][0])
    assert valid(document, "Participant", documents["participants.json"][0])
    processed = documents[f"{folder}/processed_transcript.json"]
    assert all(valid(document, "TranscriptLine", line) for line in processed)
    assert valid(document, "Transcript", processed)
    assert valid(document, "RawTranscript", documents[f"{folder}/raw_transcript.json"])
    assert valid(document, "BotDocument", documents["chats.json"])
    assert not valid(document, "ChatMessage", {"sender": "x"})


@pytest.mark.slow
def test_every_document_a_bot_serves_fits_its_schema(api, recorder, transactional_db):
    """The client checks each answer against the schema; here, that each is the typed one."""
    bot = create_bot(api)
    hand_over(recorder, bot["bot_id"], sample_media(bot, screenshots=1))
    document = schema()
    bot_path = f"/api/v1/bots/{bot['bot_id']}"
    transcript_path = f"/api/v1/transcript/{bot['transcript_id']}/get_transcript"
    expected = {
        f"{bot_path}?type=chat": "ChatMessage",
        f"{bot_path}?type=participants": "Participant",
        f"{bot_path}?type=transcription": "TranscriptLine",
        f"{transcript_path}?raw=0": "TranscriptLine",
    }

    for path, item in expected.items():
        body = read(api.get(path))
        assert body and all(valid(document, item, entry) for entry in body), path
    raw = read(api.get(f"{transcript_path}?raw=1"))
    assert valid(document, "RawTranscript", raw)
    manifest = read(api.get(f"{bot_path}?type=manifest"))
    assert valid(document, "Manifest", manifest)
    assert manifest["bot_id"] == bot["bot_id"] and manifest["objects"]


def test_an_iam_policy_fits_its_schema_and_no_other(api):
    document = schema()
    query = "bucket_name=media&region=eu-west-1&server_side_encryption=aws:kms"

    policy = api.get(f"/api/v1/admin/configs/policy?{query}&allow_delete=true").json()

    assert valid(document, "IamPolicy", policy)
    assert not valid(document, "RolePolicies", policy)


def test_the_schema_generates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml"))

    assert (tmp_path / "s.yml").read_text().startswith("openapi: 3")


def test_the_docs_page_is_served_with_local_assets():
    response = APIClient().get("/api/docs/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "swagger-ui" in page and "/api/schema/" in page
    assert "cdn.jsdelivr.net" not in page
