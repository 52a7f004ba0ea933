"""An S3 stand-in that accepts every write and discards the bytes, fast enough not to be the
bottleneck: with it the bench sees a client's own cost per object. Given a latency, it answers
each request that much later, as a distant S3 would. `python -m bench.stub_s3 PORT [SECONDS]`.

It speaks just enough of S3 for uploads: HeadBucket, PutObject, the multipart calls and
DeleteObject(s). HTTP/1.1 with keep-alive, `Expect: 100-continue` and chunked bodies.
`GET /__requests` answers how many requests of each method it has served (itself not
counted)."""

import asyncio
import json
import subprocess
import sys
import time
import uuid

import requests

from meetstream.shared.processes import free_port, process_stop

ETAG = b'"d41d8cd98f00b204e9800998ecf8427e"'
SERVED: dict[str, int] = {}


def _answer(method: str, target: str) -> tuple[bytes, dict[bytes, bytes], bytes]:
    if target == "/__requests":
        return b"200 OK", {b"Content-Type": b"application/json"}, json.dumps(SERVED).encode()
    SERVED[method] = SERVED.get(method, 0) + 1
    query = target.partition("?")[2]
    if method == "POST" and query.startswith("uploads"):
        body = (
            "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key>"
            f"<UploadId>{uuid.uuid4().hex}</UploadId></InitiateMultipartUploadResult>"
        ).encode()
        return b"200 OK", {b"Content-Type": b"application/xml"}, body
    if method == "POST" and "uploadId=" in query:
        body = (
            "<CompleteMultipartUploadResult><Bucket>b</Bucket><Key>k</Key>"
            f"<ETag>{ETAG.decode()}</ETag></CompleteMultipartUploadResult>"
        ).encode()
        return b"200 OK", {b"Content-Type": b"application/xml"}, body
    if method == "POST" and query.startswith("delete"):
        return b"200 OK", {b"Content-Type": b"application/xml"}, b"<DeleteResult/>"
    if method == "DELETE":
        return b"204 No Content", {}, b""
    return b"200 OK", {b"ETag": ETAG}, b""


async def _body_discard(reader: asyncio.StreamReader, headers: dict[bytes, bytes]) -> None:
    if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
        while size := int((await reader.readline()).split(b";")[0], 16):
            await reader.readexactly(size + 2)
        while (await reader.readline()) not in (b"\r\n", b""):
            pass
        return
    remaining = int(headers.get(b"content-length", b"0"))
    while remaining:
        remaining -= len(await reader.read(min(remaining, 1 << 20)))


async def _serve(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, latency: float
) -> None:
    try:
        while request_line := await reader.readline():
            method, target, _ = request_line.decode().split(" ", 2)
            headers = {}
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                headers[name.strip().lower()] = value.strip()
            if headers.get(b"expect", b"").lower() == b"100-continue":
                writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            await _body_discard(reader, headers)
            if latency:
                await asyncio.sleep(latency)
            status, extra, body = _answer(method, target)
            head = [b"HTTP/1.1 " + status, b"Content-Length: " + str(len(body)).encode()]
            head += [name + b": " + value for name, value in extra.items()]
            writer.write(b"\r\n".join(head) + b"\r\n\r\n" + (b"" if method == "HEAD" else body))
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError, ValueError):
        pass
    finally:
        writer.close()


async def _main(port: int, latency: float) -> None:
    server = await asyncio.start_server(
        lambda reader, writer: _serve(reader, writer, latency), "127.0.0.1", port, backlog=512
    )
    async with server:
        await server.serve_forever()


class StubS3:
    """The stub in a process of its own, so it does not share this process's interpreter lock."""

    def __init__(self, *, latency: float = 0) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.stub_s3", str(port), str(latency)]
        )
        for _ in range(100):
            try:
                requests.head(f"{self.url}/bucket", timeout=1)
                return
            except requests.ConnectionError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("the stub S3 did not start")

    def served(self) -> dict[str, int]:
        """How many requests of each method it has served so far."""
        return requests.get(f"{self.url}/__requests", timeout=5).json()

    def stop(self) -> None:
        process_stop(self.process)


if __name__ == "__main__":
    asyncio.run(_main(int(sys.argv[1]), float(sys.argv[2]) if len(sys.argv) > 2 else 0))
