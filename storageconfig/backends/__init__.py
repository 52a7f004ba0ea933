"""The storage providers a configuration may name: a folder each, one line here.

A provider's folder holds its `backend` (the storage driver: its SDK, no DRF), its `fields`
(what the API and the admin take and show, and its policy documents' shapes), its `policy`
and its `errors`; its `__init__` declares a `Provider` naming them. This module hands them to
everything that needs them: the API's serializers and schema, the admin, the services, and
the logging settings (an SDK's loggers are kept quiet: some log credentials at DEBUG).
"""

from dataclasses import dataclass
from functools import cache
from importlib import import_module
from typing import TYPE_CHECKING

from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from storageconfig.backends.base import Backend

PROVIDERS = {
    "aws": "storageconfig.backends.aws",
    "gcs": "storageconfig.backends.gcs",
    "azure": "storageconfig.backends.azure",
}


# The platform's own buckets (the media it holds, staging across machines) are S3.
PLATFORM_PROVIDER = "aws"


@dataclass(frozen=True)
class Provider:
    """A provider's parts, by dotted path (read when first needed)."""

    backend: str  # the Backend subclass
    fields: str  # the serializer of a configuration's fields (PUT, the admin's form)
    shown: str  # the serializer of what a saved configuration shows (GET)
    policies: tuple[str, ...]  # the serializers of the documents the policy endpoint answers
    loggers: tuple[str, ...]  # the SDK's loggers
    # Other documents the policy endpoint may answer, and the location fields alone (a
    # configuration described in its query): the platform's provider has them.
    documents: tuple[str, ...] = ()
    location: str = ""

    @property
    def backend_class(self) -> type["Backend"]:
        return import_string(self.backend)

    @property
    def fields_class(self) -> type:
        return import_string(self.fields)

    @property
    def shown_class(self) -> type:
        return import_string(self.shown)

    @property
    def policy_classes(self) -> list[type]:
        return [import_string(path) for path in self.policies]

    @property
    def document_classes(self) -> list[type]:
        return [import_string(path) for path in self.documents]

    @property
    def location_class(self) -> type:
        return import_string(self.location)


@cache
def provider_get(name: str) -> Provider:
    return import_module(PROVIDERS[name]).PROVIDER


def backend_class(name: str) -> type["Backend"]:
    return provider_get(name).backend_class


def platform_backend(bucket: str | None = None) -> "Backend":
    """The platform's own bucket (PLATFORM_S3_BUCKET, or `bucket`), with its credentials."""
    return backend_class(PLATFORM_PROVIDER).platform(bucket)


def sdk_loggers() -> tuple[str, ...]:
    """Every provider's SDK loggers (settings import this before the apps are ready)."""
    return tuple(logger for name in PROVIDERS for logger in provider_get(name).loggers)
