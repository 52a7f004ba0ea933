"""A recorder upload is stored whole or not at all: short, broken, over-limit or mismatched
bodies leave nothing staged, and an earlier good copy of the file stays as it was.

Every test runs with staging on disk and in a staging bucket; bodies are larger than one part
(5 MiB here), so in the bucket a refused body is a multipart upload begun, then aborted."""

import base64
import hashlib
import resource
import socket

import pytest

from bots.models import BotArtifact
from tests.conftest import RECORDER_TOKEN
from tests.support.media import MEDIA, create_bot

MiB = 1024 * 1024
pytestmark = pytest.mark.usefixtures("staging")


@pytest.fixture(autouse=True)
def _small_parts(settings):
    settings.UPLOAD_PART_MB = 5


def raw_put(live_server, path: str, *, declared: int, send: bytes) -> tuple[int, bytes]:
    """A PUT over a bare socket: declare one length, send `send`, close, read the answer."""
    host, port = live_server.thread.host, live_server.thread.port
    with socket.create_connection((host, port), timeout=20) as sock:
        head = (
            f"PUT {path} HTTP/1.1\r\nHost: {host}\r\n"
            f"Authorization: Bearer {RECORDER_TOKEN}\r\n"
            f"Content-Type: application/octet-stream\r\nContent-Length: {declared}\r\n\r\n"
        )
        sock.sendall(head.encode() + send)
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        while data := sock.recv(65536):
            answer += data
    status_line, _, rest = answer.partition(b"\r\n")
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2]


def sha256_header(data: bytes) -> str:
    return f"sha-256=:{base64.b64encode(hashlib.sha256(data).digest()).decode()}:"


@pytest.mark.slow
def test_a_body_shorter_than_its_content_length_is_refused_and_the_good_copy_stays(
    api, recorder, live_server, staging
):
    bot = create_bot(api)
    good = b"a whole recording" * 100
    path = MEDIA.format(bot["bot_id"], "audio.mp3")
    assert recorder.put(path, good, content_type="application/octet-stream").status_code == 201
    before = staging.files(bot["bot_id"])

    status, body = raw_put(live_server, path, declared=12 * MiB, send=b"x" * 7 * MiB)

    assert status == 400 and b"ended after 7340032 bytes of the 12582912 declared" in body
    assert staging.files(bot["bot_id"]) == before  # no partial file, no object
    assert staging.unfinished() == []  # no .part, no open multipart upload
    artifact = BotArtifact.objects.get()
    assert (artifact.size, artifact.sha256) == (len(good), hashlib.sha256(good).hexdigest())
    assert staging.read(artifact.staged_name) == good


@pytest.mark.slow
@pytest.mark.parametrize("header", ["HTTP_CONTENT_DIGEST", "HTTP_REPR_DIGEST"])
def test_a_body_that_does_not_match_its_digest_is_refused(api, recorder, staging, header):
    bot = create_bot(api)
    data = b"the recording" * 500_000
    path = MEDIA.format(bot["bot_id"], "audio.mp3")

    wrong = recorder.put(
        path,
        data,
        content_type="application/octet-stream",
        **{header: sha256_header(data + b"!")},
    )
    right = recorder.put(
        path, data, content_type="application/octet-stream", **{header: sha256_header(data)}
    )

    assert wrong.status_code == 400 and "sha-256 digest" in wrong.json()["message"]
    assert right.status_code == 201
    assert staging.files(bot["bot_id"]) == [BotArtifact.objects.get().staged_name]
    assert staging.unfinished() == []
    assert staging.read(BotArtifact.objects.get().staged_name) == data


@pytest.mark.parametrize(
    "value", ["sha-256=abc", "sha-256=:not base64!:", "sha-512=:AAAA:", "sha-256=:AAAA:"]
)
def test_a_digest_header_that_cannot_be_checked_is_a_400(api, recorder, staging, value):
    bot = create_bot(api)

    response = recorder.put(
        MEDIA.format(bot["bot_id"], "audio.mp3"),
        b"data",
        content_type="application/octet-stream",
        HTTP_CONTENT_DIGEST=value,
    )

    assert response.status_code == 400 and "Content-Digest" in response.json()["message"]
    assert staging.files(bot["bot_id"]) == []


def test_a_declared_length_over_the_limit_is_413_before_the_body_is_read(
    api, live_server, staging, settings
):
    settings.MEDIA_MAX_FILE_BYTES = 8 * MiB
    bot = create_bot(api)
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux

    status, body = raw_put(
        live_server,
        MEDIA.format(bot["bot_id"], "meeting_recording.mp4"),
        declared=50 * 1024 * MiB,
        send=b"\0" * MiB,
    )

    assert status == 413 and b"MEDIA_MAX_FILE_BYTES" in body
    assert staging.files(bot["bot_id"]) == [] and staging.unfinished() == []
    assert not BotArtifact.objects.exists()
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before
    assert grown < 32 * 1024, f"peak memory grew {grown} KiB"


class WsgiInput:
    """What a WSGI server hands the app as `wsgi.input` (Django also wants its readline)."""

    def readline(self, size: int = -1) -> bytes:
        return self.read(size)


class Decoded(WsgiInput):
    """A body a server has de-chunked and ended: these bytes, then nothing."""

    def __init__(self, data: bytes) -> None:
        self.rest = data

    def read(self, size: int = -1) -> bytes:
        size = len(self.rest) if size is None or size < 0 else size
        piece, self.rest = self.rest[:size], self.rest[size:]
        return piece


class Endless(WsgiInput):
    """A de-chunked body that never ends, counting what the server read of it."""

    def __init__(self) -> None:
        self.read_total = 0

    def read(self, size: int = -1) -> bytes:
        size = MiB if size is None or size < 0 else size
        self.read_total += size
        return b"\0" * size


def test_a_chunked_body_past_the_limit_is_413_having_read_no_more_than_the_limit(
    api, recorder, staging, settings
):
    settings.MEDIA_MAX_FILE_BYTES = 7 * MiB
    bot = create_bot(api)
    body = Endless()

    response = recorder.generic(
        "PUT",
        MEDIA.format(bot["bot_id"], "meeting_recording.mp4"),
        HTTP_TRANSFER_ENCODING="chunked",
        **{"wsgi.input": body, "wsgi.input_terminated": True},
    )

    assert response.status_code == 413
    assert body.read_total <= 8 * MiB
    assert staging.files(bot["bot_id"]) == [] and staging.unfinished() == []


def test_a_chunked_body_a_server_has_decoded_is_staged_whole(api, recorder, staging):
    bot = create_bot(api)
    data = bytes(range(256)) * 4096 * 13
    path = MEDIA.format(bot["bot_id"], "meeting_recording.mp4")

    response = recorder.generic(
        "PUT",
        path,
        HTTP_TRANSFER_ENCODING="chunked",
        HTTP_CONTENT_DIGEST=sha256_header(data),
        **{"wsgi.input": Decoded(data), "wsgi.input_terminated": True},
    )
    unframed = recorder.generic(
        "PUT", path, HTTP_TRANSFER_ENCODING="chunked", **{"wsgi.input": Decoded(data)}
    )

    assert response.status_code == 201 and response.json()["size"] == len(data)
    assert staging.read(BotArtifact.objects.get().staged_name) == data
    assert unframed.status_code == 411


def test_a_body_that_breaks_off_is_refused_with_nothing_staged(api, recorder, staging):
    bot = create_bot(api)

    class Broken(WsgiInput):
        def __init__(self) -> None:
            self.sent = 0

        def read(self, size: int = -1) -> bytes:
            if self.sent >= 7 * MiB:
                raise ConnectionResetError("the recorder went away")
            self.sent += MiB
            return b"\1" * MiB

    response = recorder.generic(
        "PUT",
        MEDIA.format(bot["bot_id"], "meeting_recording.mp4"),
        HTTP_TRANSFER_ENCODING="chunked",
        **{"wsgi.input": Broken(), "wsgi.input_terminated": True},
    )

    assert response.status_code == 400 and "ended after" in response.json()["message"]
    assert staging.files(bot["bot_id"]) == [] and staging.unfinished() == []
    assert not BotArtifact.objects.exists()


def test_a_chunked_body_that_does_not_match_its_digest_is_refused(api, recorder, staging):
    bot = create_bot(api)
    data = bytes(range(256)) * 4096 * 7

    response = recorder.generic(
        "PUT",
        MEDIA.format(bot["bot_id"], "meeting_recording.mp4"),
        HTTP_TRANSFER_ENCODING="chunked",
        HTTP_CONTENT_DIGEST=sha256_header(data + b"!"),
        **{"wsgi.input": Decoded(data), "wsgi.input_terminated": True},
    )

    assert response.status_code == 400 and "sha-256 digest" in response.json()["message"]
    assert staging.files(bot["bot_id"]) == [] and staging.unfinished() == []
    assert not BotArtifact.objects.exists()


@pytest.mark.parametrize(
    "header",
    [
        "sha-256=:{wrong}:, sha-256=:{right}:",
        "sha-256=:{right}:, sha-256=:{wrong}:",
        "sha-256=:{right}:;q=1, sha-512=:{wrong}:, sha-256=:{wrong}:",
    ],
)
def test_sha256_values_that_disagree_are_refused_whichever_comes_last(
    api, recorder, staging, header
):
    bot = create_bot(api)
    data = b"the recording" * 1000
    digest = {
        "right": sha256_header(data).split(":")[1],
        "wrong": sha256_header(data + b"!").split(":")[1],
    }

    response = recorder.put(
        MEDIA.format(bot["bot_id"], "audio.mp3"),
        data,
        content_type="application/octet-stream",
        HTTP_CONTENT_DIGEST=header.format(**digest),
    )

    assert response.status_code == 400
    assert response.json()["message"] == (
        "Content-Digest carries sha-256 values that disagree: send one."
    )
    assert staging.files(bot["bot_id"]) == []


@pytest.mark.slow
def test_the_same_sha256_sent_twice_is_one_digest(api, recorder, staging):
    bot = create_bot(api)
    data = b"the recording" * 1000
    right = sha256_header(data)

    response = recorder.put(
        MEDIA.format(bot["bot_id"], "audio.mp3"),
        data,
        content_type="application/octet-stream",
        HTTP_CONTENT_DIGEST=f"{right}, {right}",
    )

    assert response.status_code == 201


@pytest.mark.slow
def test_a_file_of_exactly_the_limit_is_stored_and_one_byte_more_is_413(
    api, recorder, staging, settings
):
    settings.MEDIA_MAX_FILE_BYTES = 6 * MiB
    bot = create_bot(api)
    path = MEDIA.format(bot["bot_id"], "meeting_recording.mp4")
    limit = b"\x01" * settings.MEDIA_MAX_FILE_BYTES

    exact = recorder.put(path, limit, content_type="application/octet-stream")
    over = recorder.put(path, limit + b"\x01", content_type="application/octet-stream")

    assert exact.status_code == 201, exact.json()
    assert exact.json()["size"] == settings.MEDIA_MAX_FILE_BYTES
    assert over.status_code == 413
    assert staging.read(BotArtifact.objects.get().staged_name) == limit
