"""A recorder's upload as it arrives: it must be exactly the file it declared, or nothing.

The body is read through `Intake`, which counts and hashes it and raises the moment it is
not the file declared (short, broken, too large, or not matching its RFC 9530 digest). It
raises before handing over the last bytes, so whatever is writing it never completes a file.
"""

import base64
import binascii
import hashlib

from django.conf import settings

from meetstream.shared.errors import DomainError, LengthRequired, TooLarge

CHUNK = 1024 * 1024
_DIGEST_HEADERS = {"HTTP_CONTENT_DIGEST": "Content-Digest", "HTTP_REPR_DIGEST": "Repr-Digest"}


class BodyRefused(DomainError):
    """The body is not a whole file as declared: nothing of it is kept."""


def _too_large() -> TooLarge:
    limit = settings.MEDIA_MAX_FILE_BYTES
    return TooLarge(f"A file may be at most {limit} bytes (MEDIA_MAX_FILE_BYTES).")


def _sha256_digests(meta) -> list[bytes]:
    """The sha-256 values of Content-Digest and Repr-Digest (`sha-256=:<base64>:`), if sent."""
    wanted = []
    for key, header in _DIGEST_HEADERS.items():
        if (raw := meta.get(key)) is None:
            continue
        sha256 = set()
        for member in raw.split(","):  # a header sent twice arrives joined by commas
            algorithm, _, value = member.partition("=")
            value = value.split(";")[0].strip()
            try:
                if len(value) < 2 or value[0] != ":" or value[-1] != ":":
                    raise ValueError
                decoded = base64.b64decode(value[1:-1], validate=True)
            except (ValueError, binascii.Error):
                raise BodyRefused(
                    f"{header} must be a list of algorithm=:<base64>: (RFC 9530), "
                    "e.g. sha-256=:<base64 of the SHA-256>:."
                ) from None
            if algorithm.strip().lower() == "sha-256":
                sha256.add(decoded)
        if len(sha256) > 1:
            raise BodyRefused(f"{header} carries sha-256 values that disagree: send one.")
        if len(digest := next(iter(sha256), b"")) != hashlib.sha256().digest_size:
            raise BodyRefused(f"{header} must carry a sha-256 digest: the one verified here.")
        wanted.append(digest)
    return wanted


class Intake:
    """The request body as a readable stream that refuses to end as anything but the file."""

    def __init__(self, stream, *, length: int | None, digests: list[bytes]) -> None:
        self._stream = stream
        self.length = length  # None: chunked, the server has de-chunked it
        self._digests = digests
        self._hash = hashlib.sha256()
        self._checked = False
        self.size = 0

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()

    def read(self, size: int = CHUNK) -> bytes:
        """Up to `size` bytes, as many as asked unless the body ends (a server's stream may
        answer less a call; a multipart upload's parts must be whole)."""
        want = CHUNK if size is None or size < 0 else size
        if self.length is not None:
            want = min(want, self.length - self.size)
        parts, got = [], 0
        while got < want:
            if not (data := self._next(min(want - got, CHUNK))):
                break
            parts.append(data)
            got += len(data)
        if got < want or self.size == self.length:
            self._end()  # the body ended: checked before its last bytes are handed on
        return b"".join(parts)

    def _next(self, want: int) -> bytes:
        try:
            data = self._stream.read(want)
        except Exception:  # each WSGI server reports a broken body its own way
            raise self._incomplete() from None
        if not data:
            if self.length is not None:
                raise self._incomplete()
            return b""
        self.size += len(data)
        if self.size > settings.MEDIA_MAX_FILE_BYTES:
            raise _too_large()
        self._hash.update(data)
        if self.size == self.length:
            self._end()  # before the last bytes are handed on
        return data

    def _incomplete(self) -> BodyRefused:
        declared = f" of the {self.length} declared" if self.length is not None else ""
        return BodyRefused(
            f"The body ended after {self.size} bytes{declared}: nothing was stored. "
            "Send the whole file again."
        )

    def _end(self) -> None:
        if self._checked:
            return
        self._checked = True
        if any(digest != self._hash.digest() for digest in self._digests):
            raise BodyRefused(
                "The body does not match its sha-256 digest: nothing was stored. "
                "Send the file again."
            )


def recorder_intake(meta, stream) -> Intake:
    """The recorder's body, refused up front when it declares too much or cannot be framed."""
    digests = _sha256_digests(meta)
    if "chunked" in meta.get("HTTP_TRANSFER_ENCODING", "").lower():
        # Only a server that de-chunks the body and ends it (gunicorn does) can be read to
        # its end; Django's development server passes chunked bodies on raw.
        if not meta.get("wsgi.input_terminated"):
            raise LengthRequired(
                "A chunked body needs a server that decodes it; send Content-Length instead."
            )
        return Intake(meta["wsgi.input"], length=None, digests=digests)
    length = meta.get("CONTENT_LENGTH") or "0"
    if not (length.isascii() and length.isdigit()):
        raise BodyRefused("Content-Length must be a whole number.")
    if int(length) > settings.MEDIA_MAX_FILE_BYTES:
        raise _too_large()
    return Intake(stream, length=int(length), digests=digests)
