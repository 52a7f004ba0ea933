"""Amazon S3 and S3-compatible endpoints, with a key pair or a role the platform assumes.

The S3 calls themselves are `storageconfig.s3`'s (the one module that talks to S3); this
module binds them to a configuration and gives the API its fields.
"""

from collections.abc import Hashable, Iterator

from django.conf import settings
from rest_framework import serializers

from meetstream.serializers import StrictCharField, StrictChoiceField
from storageconfig import s3, sts
from storageconfig.backends.base import STREAM_CHUNK, Backend, Stored, chunks_first_read
from storageconfig.fields import ProviderFields, credential, rule
from storageconfig.policy import iam_policy
from storageconfig.rules import (
    bucket_name_check,
    endpoint_url_normalize,
    kms_key_id_check,
    region_check,
    role_arn_check,
)

KEYS = ("access_key_id", "secret_key")
ENCRYPTIONS = ("AES256", "aws:kms")


def _key_chars(value: str) -> str:
    if not value.isascii() or not value.isprintable() or " " in value:
        raise serializers.ValidationError("The access key id has characters keys never have.")
    return value


def _credentials_problem(given: set[str]) -> dict[str, str]:
    """A key pair or a role_arn, exactly one of them: what is wrong with the fields given."""
    keys = sorted(given & set(KEYS))
    if "role_arn" in given and keys:
        return {"role_arn": "Give either role_arn or access_key_id and secret_key, not both."}
    if "role_arn" in given or len(keys) == 2:
        return {}
    if keys:
        missing = "secret_key" if keys == ["access_key_id"] else "access_key_id"
        return {missing: f"{missing} goes with {keys[0]}."}
    neither = "Give either access_key_id and secret_key, or a role_arn to assume."
    return {"access_key_id": neither, "secret_key": neither}


class S3Location(ProviderFields):
    """Where an S3 bucket is, and how its objects are encrypted."""

    bucket_name = StrictCharField(max_length=63)
    region = StrictCharField(max_length=32, initial="us-east-1")
    endpoint_url = StrictCharField(max_length=2048, required=False, allow_null=True)
    server_side_encryption = StrictChoiceField(choices=ENCRYPTIONS, required=False, allow_null=True)
    kms_key_id = StrictCharField(max_length=2048, required=False, allow_null=True)

    validate_bucket_name = rule(bucket_name_check)
    validate_region = rule(region_check)

    def validate_endpoint_url(self, value):
        return None if value in (None, "") else rule(endpoint_url_normalize)(self, value)

    def validate_kms_key_id(self, value):
        return None if value in (None, "") else rule(kms_key_id_check)(self, value)

    def validate(self, data):
        data = super().validate(data)
        if data.get("kms_key_id") and data.get("server_side_encryption") != "aws:kms":
            raise serializers.ValidationError(
                {"kms_key_id": ["A KMS key goes with server_side_encryption 'aws:kms'."]}
            )
        return data


class S3Fields(S3Location):
    """A location with its credentials: a key pair, or a role_arn the platform assumes."""

    access_key_id = credential("The access key id", 128, required=False)
    secret_key = credential("The secret key", 256, required=False)
    role_arn = StrictCharField(max_length=2048, required=False)

    def validate_access_key_id(self, value):
        return _key_chars(value)

    validate_secret_key = validate_access_key_id
    validate_role_arn = rule(role_arn_check)

    def problems_together(self, data: dict) -> dict[str, str]:
        return _credentials_problem(set(data))


class S3Shown(serializers.Serializer):
    credentials = serializers.ChoiceField(
        choices=["keys", "role"], help_text="A key pair, or a role the platform assumes."
    )
    role_arn = serializers.CharField(allow_null=True)
    external_id = serializers.CharField(
        allow_null=True, help_text="The ExternalId the role's trust policy must require."
    )
    bucket_name = serializers.CharField()
    region = serializers.CharField()
    endpoint_url = serializers.CharField(allow_null=True)
    server_side_encryption = serializers.ChoiceField(choices=ENCRYPTIONS, allow_null=True)
    kms_key_id = serializers.CharField(allow_null=True)


def tenant_role(tenant, role_arn: str | None) -> sts.Role | None:
    """The role as the platform assumes it for this tenant, or None for a key pair."""
    if not role_arn:
        return None
    return sts.Role(role_arn, tenant.storage_external_id, role_session_name(tenant))


def role_session_name(tenant) -> str:
    """How the tenant's sessions show in the customer's CloudTrail."""
    return f"meetstream-{tenant.public_id}"


class S3Backend(Backend):
    provider = "aws"
    label = "Amazon S3"
    Fields = S3Fields
    Shown = S3Shown
    secret_fields = KEYS
    first_check = "AssumeRole"
    read_check = "HeadBucket"
    write_check = "PutObject"

    def __init__(self, *, target: s3.S3Target | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.target = target or self._target()

    def _target(self) -> s3.S3Target:
        options, secrets, location = self.options, self.secrets, self.location
        return s3.S3Target(
            bucket=location["bucket"],
            region=location["region"],
            endpoint_url=location.get("endpoint_url") or None,
            access_key_id=secrets.get("access_key_id"),
            secret_key=secrets.get("secret_key"),
            sse=options.get("server_side_encryption") or None,
            kms_key_id=options.get("kms_key_id") or None,
            role=tenant_role(self.tenant, options.get("role_arn")),
        )

    @classmethod
    def platform(cls, bucket: str | None = None) -> "S3Backend":
        """The platform's own bucket (or another of its account, such as the staging bucket):
        its keys (or the default chain), its endpoint unvetted."""
        target = s3.S3Target(
            bucket=bucket or settings.PLATFORM_S3_BUCKET,
            region=settings.PLATFORM_S3_REGION,
            endpoint_url=settings.PLATFORM_S3_ENDPOINT_URL or None,
            access_key_id=settings.PLATFORM_S3_ACCESS_KEY_ID or None,
            secret_key=settings.PLATFORM_S3_SECRET_ACCESS_KEY or None,
            egress_vetted=False,
        )
        location = {"bucket": target.bucket, "region": target.region}
        location["endpoint_url"] = target.endpoint_url or ""
        cache_key = ("platform", target.region, target.endpoint_url, target.access_key_id)
        return cls(target=target, location=location, options={}, secrets={}, cache_key=cache_key)

    @classmethod
    def location_of(cls, options: dict) -> dict:
        return {
            "bucket": options["bucket_name"],
            "region": options["region"],
            "endpoint_url": options.get("endpoint_url") or "",
        }

    @classmethod
    def has_credentials(cls, options: dict, secrets: dict) -> bool:
        return bool(options.get("role_arn") or all(secrets.get(name) for name in KEYS))

    @classmethod
    def shown(cls, options: dict, tenant) -> dict:
        role = tenant_role(tenant, options.get("role_arn"))
        return {
            **super().shown(options, tenant),
            "credentials": "role" if role else "keys",
            "role_arn": role and role.arn,
            "external_id": role and role.external_id,
        }

    @classmethod
    def policy(cls, *, options: dict, prefixes: list[str], access_mode: str, **extra) -> dict:
        return iam_policy(
            bucket=options["bucket_name"],
            region=options["region"],
            prefixes=prefixes,
            access_mode=access_mode,
            endpoint_url=options.get("endpoint_url"),
            server_side_encryption=options.get("server_side_encryption"),
            kms_key_id=options.get("kms_key_id"),
            allow_delete=extra.get("allow_delete", False),
        )

    @classmethod
    def forget(cls, revision: Hashable) -> None:
        s3.client_forget(revision)

    def endpoint(self) -> str:
        return self.target.endpoint

    def _client(self, purpose: s3.Purpose):
        if self.cache_key is not None:  # s3.client keeps it
            return s3.client(self.target, purpose=purpose, cache_key=self.cache_key)
        return self._own.get(purpose, lambda: s3.client(self.target, purpose=purpose))

    def prepare_needed(self) -> bool:
        return self.target.role is not None

    def prepare(self) -> "S3Backend":
        if self.target.role is None:
            return self
        assumed = s3.role_assume(self.target)
        return type(self)(target=assumed, location=self.location, options=self.options, secrets={})

    def bucket_read(self, *, diagnose_prefix: str) -> None:
        client = self._client("check")
        s3.bucket_head(client, self.target, diagnose_prefix=diagnose_prefix)

    def object_put(self, *, key: str, body: bytes, content_type: str) -> None:
        client = self._client("check")
        s3.object_put(client, self.target, key=key, body=body, content_type=content_type)

    def bucket_probe(self):
        return s3.bucket_probe(self.target, cache_key=self.cache_key)

    def object_upload(
        self, *, key: str, source, content_type: str, metadata: dict, started=None
    ) -> Stored:
        return s3.object_upload(
            self._client("transfer"),
            self.target,
            key=key,
            source=source,
            content_type=content_type,
            metadata=metadata,
            started=started,
        )

    def object_head(self, key: str) -> Stored | None:
        return s3.object_head(self._client("fetch"), self.target, key=key)

    def upload_abort(self, *, key: str, upload_id: str) -> None:
        s3.multipart_abort(self._client("transfer"), self.target, key=key, upload_id=upload_id)

    # Only for the platform's own buckets (bots.staging).

    def object_reader(self, key: str, *, size: int, failure_as=lambda failure: failure):
        client = self._client("transfer")
        return s3.object_reader(client, self.target, key=key, size=size, failure_as=failure_as)

    def object_start(self, key: str, limit: int) -> bytes:
        return s3.object_start(self._client("transfer"), self.target, key=key, limit=limit)

    def object_size(self, key: str) -> int:
        return s3.object_size(self._client("transfer"), self.target, key=key)

    def uploads_unfinished(self, prefix: str):
        return s3.multipart_uploads(self._client("transfer"), self.target, prefix=prefix)

    def presign_gets(self, keys: list[str]) -> tuple[list[str], int]:
        client = self._client("fetch")
        life = s3.url_life(client)
        return s3.presign_gets(client, self.target, keys=keys, expires=life), life

    def object_chunks(self, key: str) -> Iterator[bytes]:
        body = s3.object_open(self._client("fetch"), self.target, key=key)
        chunks = body.iter_chunks(STREAM_CHUNK)

        def read():
            try:
                yield from chunks
            finally:
                body.close()

        return chunks_first_read(read())

    def objects_delete(self, keys: list[str]):
        return s3.objects_delete(self._client("fetch"), self.target, keys=keys)
