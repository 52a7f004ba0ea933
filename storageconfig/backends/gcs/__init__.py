"""Google Cloud Storage, with a service account's JSON key."""

from storageconfig.backends import Provider

PROVIDER = Provider(
    backend="storageconfig.backends.gcs.backend.GcsBackend",
    fields="storageconfig.backends.gcs.fields.GcsFields",
    shown="storageconfig.backends.gcs.fields.GcsShown",
    policies=("storageconfig.backends.gcs.fields.GcsPolicySerializer",),
    loggers=("google",),
)
