import pytest

from storageconfig.models import StorageConfig
from tests.support.api import PUT


def guide_policy(bucket: str, effect: str = "Allow") -> list[dict]:
    return [
        {
            "Effect": effect,
            "Action": ["s3:PutObject", "s3:PutObjectAcl"],
            "Resource": f"arn:aws:s3:::{bucket}/meetstream/*",
        }
    ]


@pytest.fixture
def write_only(api, config_body, iam_s3_server):
    """A write_only configuration whose keys hold exactly the guide's minimum policy."""
    bucket = iam_s3_server.bucket()
    key_id, secret = iam_s3_server.user(guide_policy(bucket))
    body = config_body(
        bucket_name=bucket,
        endpoint_url=iam_s3_server.url,
        access_mode="write_only",
        access_key_id=key_id,
        secret_key=secret,
    )
    assert api.put(PUT, body, format="json").status_code == 200
    return bucket


def policy_set(iam_s3_server, bucket: str, effect: str) -> None:
    key_id = StorageConfig.objects.get(is_active=True).secrets["access_key_id"]
    iam_s3_server.policy_replace(key_id, guide_policy(bucket, effect))
