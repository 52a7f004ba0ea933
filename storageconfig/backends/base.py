"""What every storage provider does for the platform, whatever its SDK.

A provider is one module beside this one, with a `Backend` subclass named in the registry
(`storageconfig.backends`). The rest of the platform speaks only this interface, and hears
only `StorageError`s whose `reason` is one the API already uses.
"""

import io
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar

from django.conf import settings

from storageconfig.client_cache import ClientCache
from storageconfig.failures import StorageError

# Every transfer or read times out: a blip is retried by the SDK, a longer outage is the
# upload scheduler's (meetstream.shared.timing). The live check answers a person waiting.
CHECK_TIMEOUT = (2.0, 2.5)
# Readiness and `check --deploy` probe a bucket once, answered within this or not at all.
PROBE_SECONDS = 2.0
FETCH_TIMEOUT = (3.0, 10.0)
URL_SECONDS = 3600  # a presigned URL's life unless the caller asks for another
URL_SECONDS_MIN, URL_SECONDS_MAX = 60, 604800  # SigV4's longest is a week


def dispositions(keys: list[str], filenames: list[str] | None) -> list[str | None]:
    """The Content-Disposition each key's link has its bucket answer: `attachment` under its
    file name, or None (the bucket's own, inline) when no file names are given."""
    if filenames is None:
        return [None] * len(keys)
    return [f'attachment; filename="{filename}"' for filename in filenames]


STREAM_CHUNK = 64 * 1024


def upload_connections() -> int:
    """Requests an upload pass may have in flight to one bucket: its MEDIA_UPLOAD_CONCURRENCY
    files (the small ones one request each) and its UPLOAD_THREADS part threads."""
    return settings.MEDIA_UPLOAD_CONCURRENCY + settings.UPLOAD_THREADS


@dataclass(frozen=True)
class ObjectSource:
    """What an upload may read besides a file path or a stream: an object of another bucket
    (the staging bucket's copy). `open()` gives a new seekable reader of it, so a provider that
    sends parts at once gives each its own reader, and no part is held whole in memory."""

    size: int
    open: Callable[[], io.BufferedIOBase]


@dataclass(frozen=True)
class Stored:
    """What a bucket answered about an object: when it stored it (the upload's receipt), or
    when asked again (verify's HEAD). `version_id` is empty when the bucket does not version;
    `checksum` names what the bucket checked the bytes against ("crc32:<base64>")."""

    etag: str
    version_id: str = ""
    checksum: str = ""
    size: int | None = None


def source_size(source) -> int | None:
    """An upload source's size in bytes: a path's, an ObjectSource's, a seekable stream's from
    where it stands; None for a stream that cannot seek (a recorder's body on its way)."""
    if isinstance(source, str):
        return os.path.getsize(source)
    if isinstance(source, ObjectSource):
        return source.size
    if not getattr(source, "seekable", lambda: False)():
        return None
    at = source.tell()
    size = source.seek(0, os.SEEK_END) - at
    source.seek(at)
    return size


@contextmanager
def source_opened(source):
    """An upload's source as a binary file to read: a path or an ObjectSource opened (and
    closed after), a stream as it is."""
    if isinstance(source, str | ObjectSource):
        with open(source, "rb") if isinstance(source, str) else source.open() as stream:
            yield stream
    else:
        yield source


class Backend(ABC):
    """One provider's way to a bucket (a container, for Azure), bound to a place and to the
    credentials of one configuration revision.

    `location` is where the media is (what a pin records: `{"bucket": ...}` and the provider's
    other coordinates), `options` the revision's other settings, `secrets` its credentials.
    Backends made with the same `cache_key` share their SDK clients."""

    provider: ClassVar[str]
    label: ClassVar[str]
    # Of the provider's fields (its `fields` module), those the model stores encrypted and never
    # shows; the others are options.
    secret_fields: ClassVar[tuple[str, ...]]
    # The live check's steps, as its outcomes name them.
    first_check: ClassVar[str | None] = None
    read_check: ClassVar[str]
    write_check: ClassVar[str]

    def __init__(
        self,
        *,
        location: dict,
        options: dict,
        secrets: dict,
        tenant: Any = None,
        cache_key: Hashable | None = None,
    ) -> None:
        self.location = location
        self.options = options
        self.secrets = secrets
        self.tenant = tenant
        self.cache_key = cache_key
        # Without a cache key (a live check), the clients live as long as this backend: its
        # probes, run side by side, share one.
        self._own = ClientCache()

    def _client_kept(self, shared: ClientCache, purpose: str, build: Callable[[], Any]):
        """The SDK client for `purpose`: kept in the provider's `shared` cache under the
        revision's cache key, or by this backend when it has none."""
        if self.cache_key is None:
            return self._own.get(purpose, build)
        return shared.get((purpose, self.cache_key), build)

    def __repr__(self) -> str:  # never the secrets
        return f"<{type(self).__name__} {self.location}>"

    @property
    def bucket(self) -> str:
        return self.location["bucket"]

    # What a configuration means, without reaching the provider.

    @classmethod
    @abstractmethod
    def location_of(cls, options: dict) -> dict:
        """Where a configuration with these options writes: its pins' location."""

    @classmethod
    def has_credentials(cls, options: dict, secrets: dict) -> bool:
        return bool(secrets)

    @classmethod
    def shown(cls, options: dict, tenant: Any, names: Iterable[str]) -> dict:
        """The configuration's provider fields `names` as the API shows them (never a
        secret)."""
        return {name: options.get(name) for name in names}

    @classmethod
    def options_valid(cls, options: dict, secrets: dict, access_mode: str) -> dict[str, str]:
        """Problems of fields taken together, by field (no network)."""
        return {}

    @classmethod
    @abstractmethod
    def policy(cls, *, options: dict, prefixes: list[str], access_mode: str, **extra) -> dict:
        """The least privilege a configuration needs, in the provider's own terms."""

    @classmethod
    def process_prepare(cls) -> None:
        """Load what every client of the provider needs, once per process (a Celery worker
        does so before its pool forks). Nothing, unless its SDK has something to load."""
        return None

    # Documents only some providers give (the policy endpoint's): None when this one does not.

    @classmethod
    def lifecycle_document(cls, prefixes: list[str]) -> dict | None:
        """The bucket rule that aborts unfinished uploads' parts under the prefixes."""
        return None

    @classmethod
    def role_documents(cls, *, tenant: Any, permissions: dict) -> dict | None:
        """A role's trust policy and its permission policy. Raises StorageError when the
        platform's own principal cannot be found."""
        return None

    @classmethod
    @abstractmethod
    def forget(cls, revision: Hashable) -> None:
        """Drop whatever the process keeps for a revision (its credentials were changed)."""

    # The live check.

    def prepare_needed(self) -> bool:
        return self.first_check is not None

    def prepare(self) -> "Backend":
        """The `first_check` step (a role assumed): the backend the other checks use."""
        return self

    @abstractmethod
    def bucket_read(self, *, diagnose_prefix: str) -> None:
        """The `read_check`: can these credentials read the bucket? Raises StorageError."""

    @abstractmethod
    def object_put(self, *, key: str, body: bytes, content_type: str) -> None:
        """One small object (the `write_check`'s probe)."""

    def endpoint(self) -> str:
        """Where the bucket is reached, as messages name it."""
        return self.location.get("endpoint_url") or self.label

    # Media.

    @abstractmethod
    def object_upload(
        self,
        *,
        key: str,
        source,
        content_type: str,
        metadata: dict,
        started: Callable[[str], None] | None = None,
    ) -> Stored:
        """A file path, an ObjectSource or a binary stream, streamed in parts: memory stays
        flat, and the provider checks each part's bytes on write. A provider that keeps an
        unfinished upload's parts until told gives its id to `started` once begun. What the
        bucket answered once the object is whole."""

    @contextmanager
    def upload_pass(self) -> Iterator["Backend"]:
        """The backend an upload pass sends its files through while it runs. A provider that
        sends a file's parts at once gives the pass one budget of UPLOAD_THREADS part threads
        that its files share: a lone file has the whole budget, and the parts in flight (and in
        memory) are bounded by the budget, not by the number of files. By default, itself."""
        yield self

    @abstractmethod
    def object_head(self, key: str) -> Stored | None:
        """The object's size and ETag as the bucket has them now; None when there is none."""

    def upload_abort(self, *, key: str, upload_id: str) -> None:
        """Abort an unfinished upload `started` named (an earlier attempt died): its parts
        cost the customer until then. Providers whose parts lapse by themselves need not."""
        return None

    @abstractmethod
    def presign_gets(
        self, keys: list[str], *, expires_in: int = URL_SECONDS, filenames: list[str] | None = None
    ) -> tuple[list[str], int]:
        """Read-only URLs of the keys, and the seconds they stay valid: `expires_in`, or less
        when the signing credentials end sooner. With `filenames` (one a key), each URL has the
        bucket answer `attachment; filename="..."` as its Content-Disposition (a parameter of the
        signed URL: no request)."""

    @abstractmethod
    def object_chunks(self, key: str) -> Iterator[bytes]:
        """The object's bytes in chunks. A missing key or a refusal raises here, before the
        first chunk is given; the iterator closes its connection when it is closed."""

    @abstractmethod
    def objects_delete(self, keys: list[str]) -> dict[str, StorageError]:
        """Delete the keys in batches; those refused, with why. A key already gone counts
        as deleted, so running this again is harmless."""


def chunks_primed(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Read the first chunk now, so a failure raises before a response starts streaming."""
    try:
        first = next(chunks)
    except StopIteration:
        return iter(())

    def rest():
        try:
            yield first
            yield from chunks
        finally:
            close = getattr(chunks, "close", None)
            if close:
                close()

    return rest()
