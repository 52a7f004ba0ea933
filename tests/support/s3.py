"""Test-side helpers around the moto S3 servers: buckets, IAM users, reading objects back."""

import json
import uuid
from dataclasses import dataclass, field

import boto3
from botocore.config import Config

from meetstream.demo.embedded_s3 import LocalServer, embedded_s3_start
from tests.support.leaks import watch

# moto lets this many actions through unauthenticated, enough to create an admin user.
_BOOTSTRAP_ACTIONS = 3


def _trust(external_id: str | None, condition: str = "StringEquals") -> str:
    """A trust policy letting anyone assume the role, with this external ID (None: without)."""
    statement = {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}
    if external_id is not None:
        statement["Condition"] = {condition: {"sts:ExternalId": external_id}}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


@dataclass
class S3Server:
    server: LocalServer
    access_key_id: str = "test-admin-key"
    secret_key: str = field(default="test-admin-secret", repr=False)

    @property
    def url(self) -> str:
        return self.server.url

    def client(
        self, service: str = "s3", *, access_key_id=None, secret_key=None, region="us-east-1"
    ):
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name=region,
            aws_access_key_id=access_key_id or self.access_key_id,
            aws_secret_access_key=secret_key or self.secret_key,
            config=Config(s3={"addressing_style": "path"}, retries={"total_max_attempts": 1}),
        )

    def bucket(self, *, region: str = "us-east-1") -> str:
        name = f"bucket-{uuid.uuid4().hex[:16]}"
        extra = (
            {}
            if region == "us-east-1"
            else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        )
        self.client(region=region).create_bucket(Bucket=name, **extra)
        return name

    def keys(self, bucket: str, *, containing: str = "") -> list[str]:
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket)
        keys = (item["Key"] for page in pages for item in page.get("Contents", []))
        return sorted(key for key in keys if containing in key)

    def user(self, statements: list[dict]) -> tuple[str, str]:
        """A new IAM user holding exactly these policy statements; returns its key pair."""
        iam = self.client("iam")
        name = f"user-{uuid.uuid4().hex[:12]}"
        iam.create_user(UserName=name)
        iam.put_user_policy(
            UserName=name,
            PolicyName="storage",
            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}),
        )
        key = iam.create_access_key(UserName=name)["AccessKey"]
        watch(key["AccessKeyId"], key["SecretAccessKey"])
        return key["AccessKeyId"], key["SecretAccessKey"]

    def role(
        self,
        statements: list[dict],
        *,
        external_id: str | None = None,
        condition: str = "StringEquals",
    ) -> str:
        """A new IAM role holding exactly these policy statements; returns its ARN. Its trust
        policy requires `external_id` (by `condition`), or (None) lets anyone assume it,
        unprotected. (moto checks neither; the STS stand-in of tests/support/sts.py does.)"""
        iam = self.client("iam")
        name = f"role-{uuid.uuid4().hex[:12]}"
        trust = _trust(external_id, condition)
        arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)
        iam.put_role_policy(
            RoleName=name,
            PolicyName="storage",
            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}),
        )
        return arn["Role"]["Arn"]

    def trust_update(
        self, arn: str, *, external_id: str | None, condition: str = "StringEquals"
    ) -> None:
        """The role's trust policy, as `role` writes it, for this external ID (None: anyone)."""
        self.client("iam").update_assume_role_policy(
            RoleName=arn.rsplit("/", 1)[-1], PolicyDocument=_trust(external_id, condition)
        )

    def policy_replace(self, key_id: str, statements: list[dict]) -> None:
        """Give the user owning this key exactly these statements instead of its old ones."""
        iam = self.client("iam")
        for user in iam.list_users()["Users"]:
            keys = iam.list_access_keys(UserName=user["UserName"])["AccessKeyMetadata"]
            if any(key["AccessKeyId"] == key_id for key in keys):
                iam.put_user_policy(
                    UserName=user["UserName"],
                    PolicyName="storage",
                    PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}),
                )
                return
        raise LookupError("no user holds that key")


def s3_server_start() -> S3Server:
    return S3Server(embedded_s3_start())


def iam_s3_server_start() -> S3Server:
    """A moto server that enforces IAM policies, with an admin user allowed everything."""
    server = embedded_s3_start(env={"INITIAL_NO_AUTH_ACTION_COUNT": str(_BOOTSTRAP_ACTIONS)})
    bootstrap = S3Server(server).client("iam")
    bootstrap.create_user(UserName="admin")
    bootstrap.put_user_policy(
        UserName="admin",
        PolicyName="everything",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
            }
        ),
    )
    key = bootstrap.create_access_key(UserName="admin")["AccessKey"]
    return S3Server(server, access_key_id=key["AccessKeyId"], secret_key=key["SecretAccessKey"])


def presigned_by(
    url: str, *, access_key_id: str, secret_key: str, region: str, session_token: str | None = None
) -> bool:
    """Whether `url` is a GET of its own bucket, key and expiry signed with this key pair:
    botocore, signing the same request at the URL's own X-Amz-Date, must give the same URL.
    (moto checks no presigned signature, so this stands in for S3's own check.)"""
    from datetime import UTC, datetime
    from unittest import mock
    from urllib.parse import parse_qs, unquote, urlsplit

    parts = urlsplit(url)
    query = parse_qs(parts.query)
    bucket, key = unquote(parts.path).lstrip("/").split("/", 1)
    signed_at = datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    client = boto3.client(
        "s3",
        endpoint_url=f"{parts.scheme}://{parts.netloc}",
        region_name=region,
        aws_access_key_id=access_key_id,
        aws_secret_access_key=secret_key,
        aws_session_token=session_token,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )
    with mock.patch("botocore.auth.get_current_datetime", return_value=signed_at):
        expected = client.generate_presigned_url(
            "get_object",
            Params={"Bucket": bucket, "Key": key},
            ExpiresIn=int(query["X-Amz-Expires"][0]),
        )
    return expected == url
