"""Amazon S3 and S3-compatible endpoints, with a key pair or a role the platform assumes.

The S3 calls themselves are `s3`'s (the one module that talks to S3, with `sts` for roles);
this module binds them to a configuration. The API's fields are in `fields`.
"""

import copy
from collections.abc import Hashable, Iterator
from contextlib import contextmanager

from django.conf import settings

from storageconfig.backends.aws import objects, parts, presign, s3, sts
from storageconfig.backends.aws.policy import iam_policy, lifecycle_rules, trust_policy
from storageconfig.backends.base import (
    STREAM_CHUNK,
    URL_SECONDS,
    Backend,
    Stored,
    chunks_primed,
    dispositions,
)

KEYS = ("access_key_id", "secret_key")


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
    def shown(cls, options: dict, tenant, names) -> dict:
        role = tenant_role(tenant, options.get("role_arn"))
        return {
            **super().shown(options, tenant, names),
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
    def process_prepare(cls) -> None:
        s3.models_load()

    @classmethod
    def lifecycle_document(cls, prefixes: list[str]) -> dict:
        return lifecycle_rules(prefixes=prefixes)

    @classmethod
    def role_documents(cls, *, tenant, permissions: dict) -> dict:
        trust = trust_policy(
            principal_arn=s3.platform_principal_arn(), external_id=tenant.storage_external_id
        )
        return {"trust_policy": trust, "permission_policy": permissions}

    role_session_name = staticmethod(role_session_name)

    @classmethod
    def platform_principal(cls) -> str:
        """The platform's own AWS principal, as roles must trust it. Raises StorageError."""
        return s3.platform_principal_arn()

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
        objects.bucket_head(client, self.target, diagnose_prefix=diagnose_prefix)

    def object_put(self, *, key: str, body: bytes, content_type: str) -> None:
        client = self._client("check")
        objects.object_put(client, self.target, key=key, body=body, content_type=content_type)

    def bucket_probe(self):
        return objects.bucket_probe(self.target, cache_key=self.cache_key)

    _parts: parts.Parts | None = None  # an upload pass's budget, inside upload_pass()

    @contextmanager
    def upload_pass(self) -> Iterator["S3Backend"]:
        with parts.parts_shared(self._client("transfer")) as budget:
            shared = copy.copy(self)
            shared._parts = budget
            yield shared

    def object_upload(
        self, *, key: str, source, content_type: str, metadata: dict, started=None
    ) -> Stored:
        return objects.object_upload(
            self._client("transfer"),
            self.target,
            key=key,
            source=source,
            content_type=content_type,
            metadata=metadata,
            started=started,
            parts=self._parts,
        )

    def object_head(self, key: str) -> Stored | None:
        return objects.object_head(self._client("fetch"), self.target, key=key)

    def upload_abort(self, *, key: str, upload_id: str) -> None:
        objects.multipart_abort(self._client("transfer"), self.target, key=key, upload_id=upload_id)

    # Only for the platform's own buckets (bots.pipeline.staging).

    def object_reader(self, key: str, *, size: int, failure_as=lambda failure: failure):
        client = self._client("transfer")
        return objects.object_reader(client, self.target, key=key, size=size, failure_as=failure_as)

    def object_start(self, key: str, limit: int) -> bytes:
        return objects.object_start(self._client("transfer"), self.target, key=key, limit=limit)

    def object_size(self, key: str) -> int:
        return objects.object_size(self._client("transfer"), self.target, key=key)

    def uploads_unfinished(self, prefix: str):
        return objects.multipart_uploads(self._client("transfer"), self.target, prefix=prefix)

    def presign_gets(self, keys, *, expires_in=URL_SECONDS, filenames=None):
        client = self._client("fetch")
        life = presign.url_life(client, expires_in)
        urls = presign.presign_gets(
            client,
            self.target,
            keys=keys,
            expires=life,
            dispositions=dispositions(keys, filenames),
        )
        return urls, life

    def object_chunks(self, key: str) -> Iterator[bytes]:
        body = objects.object_open(self._client("fetch"), self.target, key=key)
        chunks = body.iter_chunks(STREAM_CHUNK)

        def read():
            try:
                yield from chunks
            finally:
                body.close()

        return chunks_primed(read())

    def objects_delete(self, keys: list[str]):
        return objects.objects_delete(self._client("fetch"), self.target, keys=keys)
