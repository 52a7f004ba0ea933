"""The least IAM policy a customer's credentials need for a configuration."""

from storageconfig.backends.aws.sts import external_id_condition
from storageconfig.models import AccessMode
from storageconfig.rules import folder_start

# IAM reads these as wildcards or variables inside a Resource; `${c}` is its literal c.
_IAM_LITERALS = {"*": "${*}", "?": "${?}", "$": "${$}"}


def iam_literal(text: str) -> str:
    """Text as IAM matches it literally, so a prefix never grants more than itself."""
    return "".join(_IAM_LITERALS.get(char, char) for char in text)


def _kms_resource(kms_key_id: str | None, region: str) -> str:
    if not kms_key_id:
        return "*"  # the AWS-managed aws/s3 key; scoped to S3 use by the condition below
    if kms_key_id.startswith("arn:"):
        return kms_key_id
    return f"arn:aws:kms:{region}:*:key/{kms_key_id}"


def iam_policy(
    *,
    bucket: str,
    region: str,
    prefixes: list[str],
    access_mode: str,
    endpoint_url: str | None = None,
    server_side_encryption: str | None = None,
    kms_key_id: str | None = None,
    allow_delete: bool = False,
) -> dict:
    """One Resource per distinct folder of keys (`prefixes`; "" is the whole bucket); GetObject
    and HeadBucket only for `read_write`; DeleteObject (what `delete_data` asks of a
    `read_write` bucket) with `allow_delete`."""
    objects = [f"arn:aws:s3:::{bucket}/{iam_literal(folder_start(p))}*" for p in prefixes]
    write = ["s3:PutObject", "s3:PutObjectAcl", "s3:AbortMultipartUpload"]
    statements = [{"Sid": "WriteMedia", "Effect": "Allow", "Action": write, "Resource": objects}]
    if allow_delete:
        statements.append(
            {
                "Sid": "DeleteMedia",
                "Effect": "Allow",
                "Action": ["s3:DeleteObject"],
                "Resource": objects,
            }
        )
    if access_mode == AccessMode.READ_WRITE:
        statements.append(
            {"Sid": "ReadMedia", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": objects}
        )
        # AWS authorises HeadBucket as s3:ListBucket; some S3-compatible servers by its own name.
        head = ["s3:ListBucket"] + (["s3:HeadBucket"] if endpoint_url else [])
        statements.append(
            {
                "Sid": "CheckBucket",
                "Effect": "Allow",
                "Action": head,
                "Resource": f"arn:aws:s3:::{bucket}",
            }
        )
    if server_side_encryption == "aws:kms":
        kms = {
            "Sid": "EncryptMedia",
            "Effect": "Allow",
            "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
            "Resource": _kms_resource(kms_key_id, region),
        }
        if not kms_key_id:
            kms["Condition"] = {"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}}
        statements.append(kms)
    return {"Version": "2012-10-17", "Statement": statements}


# Days after which S3 aborts a multipart upload nobody completed (a worker killed mid-upload,
# an endpoint gone for longer than the retries): longer than any upload takes.
UNFINISHED_UPLOAD_DAYS = 2


def lifecycle_rules(*, prefixes: list[str]) -> dict:
    """The bucket lifecycle configuration (`put-bucket-lifecycle-configuration`'s input) that
    has S3 abort unfinished multipart uploads under each prefix, which the platform cannot
    always abort itself."""
    return {
        "Rules": [
            {
                "ID": f"meetstream-abort-unfinished-uploads-{n}",
                "Status": "Enabled",
                "Filter": {"Prefix": folder_start(prefix)},
                "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": UNFINISHED_UPLOAD_DAYS},
            }
            for n, prefix in enumerate(prefixes, 1)
        ]
    }


def trust_policy(*, principal_arn: str, external_id: str) -> dict:
    """Who may assume the customer's role: the platform's principal, naming the tenant's
    external ID (so that no other customer of ours can point us at this role)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "MeetStreamAssumesThisRole",
                "Effect": "Allow",
                "Principal": {"AWS": principal_arn},
                "Action": "sts:AssumeRole",
                "Condition": external_id_condition(external_id),
            }
        ],
    }
