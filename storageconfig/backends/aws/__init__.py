"""Amazon S3 and S3-compatible endpoints, with a key pair or a role the platform assumes."""

from storageconfig.backends import Provider

PROVIDER = Provider(
    backend="storageconfig.backends.aws.backend.S3Backend",
    fields="storageconfig.backends.aws.fields.S3Fields",
    shown="storageconfig.backends.aws.fields.S3Shown",
    policies=(
        "storageconfig.backends.aws.fields.IamPolicySerializer",
        "storageconfig.backends.aws.fields.RolePoliciesSerializer",
    ),
    loggers=("botocore", "boto3", "s3transfer"),
    documents=("storageconfig.backends.aws.fields.LifecycleConfigurationSerializer",),
    location="storageconfig.backends.aws.fields.S3Location",
)
