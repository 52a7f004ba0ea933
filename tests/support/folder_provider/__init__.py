"""A fourth storage provider, for tests only: "buckets" are folders under one root on disk,
and its URLs are served by a plain HTTP server over that root. It is all a provider needs: a
folder like this one, one line in `storageconfig.backends.PROVIDERS` and one test adapter
(tests/support/providers.py, FolderProvider)."""

from storageconfig.backends import Provider

PROVIDER = Provider(
    backend="tests.support.folder_provider.backend.FolderBackend",
    fields="tests.support.folder_provider.fields.FolderFields",
    shown="tests.support.folder_provider.fields.FolderShown",
    policies=(),
    loggers=("tests.support.folder_provider",),
)
