"""Real bodies for the schema's examples: what /api/docs/ shows and what *Try it out* sends.
tests/meetstream/test_openapi_schema.py checks each against its own shape."""

from drf_spectacular.utils import OpenApiExample

from meetstream.shared.schema import example

CONFIGS = {
    "S3 with a key pair": {
        "provider": "aws",
        "bucket_name": "customer-sample-bucket",
        "region": "us-east-1",
        "access_key_id": "AKIAIOSFODNN7EXAMPLE",
        "secret_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "access_mode": "read_write",
        "prefix": "meetstream",
    },
    "S3 through an IAM role": {
        "provider": "aws",
        "bucket_name": "customer-sample-bucket",
        "region": "eu-west-1",
        "role_arn": "arn:aws:iam::123456789012:role/meetstream-uploads",
        "access_mode": "write_only",
    },
    "S3 with date folders (a named one: ?name=eu)": {
        "provider": "aws",
        "bucket_name": "customer-eu-bucket",
        "region": "eu-central-1",
        "access_key_id": "AKIAIOSFODNN7EXAMPLE",
        "secret_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "prefix": "recordings",
        "key_template": "{prefix}/{yyyy}/{mm}/{dd}/{bot_id}/{file}",
    },
    "Google Cloud Storage": {
        "provider": "gcs",
        "bucket_name": "customer-sample-bucket",
        "service_account_json": {
            "type": "service_account",
            "project_id": "customer-project",
            "client_email": "meetstream@customer-project.iam.gserviceaccount.com",
            "private_key": "-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----\n",
        },
    },
    "Azure Blob": {
        "provider": "azure",
        "account_name": "customersample",
        "container": "customer-sample-container",
        "sas_token": "sv=2024-11-04&ss=b&srt=co&sp=rwl&se=2027-01-01T00:00:00Z&sig=...",
    },
}
CONFIG_EXAMPLES = [
    OpenApiExample(title, value=body, request_only=True) for title, body in CONFIGS.items()
]
SAVED = OpenApiExample(
    "Saved",
    response_only=True,
    status_codes=["200"],
    value={
        "message": "Storage config saved successfully",
        "provider": "aws",
        "name": None,
        "credentials": "keys",
        "role_arn": None,
        "external_id": None,
        "bucket_name": "customer-sample-bucket",
        "region": "us-east-1",
        "endpoint_url": None,
        "server_side_encryption": None,
        "kms_key_id": None,
        "access_mode": "read_write",
        "prefix": "meetstream",
        "prefixes": {
            "audio": "meetstream",
            "video": "meetstream",
            "transcript": "meetstream",
            "metadata": "meetstream",
        },
        "key_template": None,
        "fallback": "none",
        "notify_url": None,
    },
)
PUT_ERRORS = {
    "No provider": example(
        "Invalid request. provider: This field is required.",
        "invalid_request",
        errors={"provider": ["This field is required."]},
    ),
    "No such bucket": example(
        "Storage check failed. HeadBucket: The bucket 'customer-sample-bucket' does not exist.",
        "storage_check_failed",
        check="HeadBucket",
        reason="no_such_bucket",
        checks=[
            {
                "check": "HeadBucket",
                "key": None,
                "ok": False,
                "reason": "no_such_bucket",
                "message": "The bucket 'customer-sample-bucket' does not exist.",
            }
        ],
    ),
}
