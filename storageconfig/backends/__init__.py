"""The storage providers a configuration may name: one module each, one line here."""

from functools import cache

from django.utils.module_loading import import_string

from storageconfig.backends.base import Backend

PROVIDERS = {
    "aws": "storageconfig.backends.aws.S3Backend",
    "gcs": "storageconfig.backends.gcs.GcsBackend",
    "azure": "storageconfig.backends.azure.AzureBackend",
}


@cache
def backend_class(provider: str) -> type[Backend]:
    return import_string(PROVIDERS[provider])
