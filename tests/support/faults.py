"""An HTTP proxy in front of the moto server that fails the requests it is told to."""

import http.client
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

SLOW_DOWN = (
    b"<?xml version='1.0' encoding='UTF-8'?><Error><Code>SlowDown</Code>"
    b"<Message>Please reduce your request rate.</Message></Error>"
)

# A fault is "503", "drop" (close without an answer), "stall" (read half the body, then hang
# until the client gives up), "slow" (wait, then pass through) or None (pass through).
Fault = str | None
STALL_SECONDS = 5
SLOW_SECONDS = 0.5


def serve(handler) -> tuple[ThreadingHTTPServer, str]:
    """A threaded HTTP server on a free loopback port, serving in the background."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


class FaultProxy:
    def __init__(self, upstream: str, decide: Callable[[str, str], Fault]) -> None:
        self.upstream = urlsplit(upstream)
        self.decide = decide
        self.seen: list[tuple[str, str, Fault]] = []
        self.bodies: list[bytes] = []  # of the requests passed on or failed after reading
        # The most requests of each fault it was serving at once.
        self.most_at_once: Counter[Fault] = Counter()
        self._at_once: Counter[Fault] = Counter()
        self._lock = threading.Lock()
        self.server, self.url = serve(self._handler())

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _any(self) -> None:
                with proxy._lock:
                    fault = proxy.decide(self.command, self.path)
                    proxy.seen.append((self.command, self.path, fault))
                    proxy._at_once[fault] += 1
                    proxy.most_at_once[fault] = max(
                        proxy.most_at_once[fault], proxy._at_once[fault]
                    )
                try:
                    self._serve(fault)
                finally:
                    with proxy._lock:
                        proxy._at_once[fault] -= 1

            def _serve(self, fault: Fault) -> None:
                if fault == "stall":
                    self.rfile.read(int(self.headers.get("Content-Length") or 0) // 2)
                    time.sleep(STALL_SECONDS)
                    self.close_connection = True
                    self.connection.close()
                    return
                body = self._body()
                with proxy._lock:
                    proxy.bodies.append(body)
                if fault == "slow":
                    time.sleep(SLOW_SECONDS)
                if fault == "drop":
                    self.close_connection = True
                    self.connection.close()
                    return
                if fault == "503":
                    self._answer(503, {"Content-Type": "application/xml"}, SLOW_DOWN)
                    return
                upstream = http.client.HTTPConnection(
                    proxy.upstream.hostname, proxy.upstream.port, timeout=30
                )
                headers = {
                    k: v for k, v in self.headers.items() if k.lower() != "transfer-encoding"
                }
                headers["Content-Length"] = str(len(body))
                upstream.request(self.command, self.path, body=body, headers=headers)
                response = upstream.getresponse()
                data = response.read()
                skip = {"transfer-encoding", "content-length", "connection"}
                self._answer(
                    response.status,
                    {k: v for k, v in response.getheaders() if k.lower() not in skip},
                    data,
                    head=self.command == "HEAD",
                    length=response.getheader("Content-Length"),
                )
                upstream.close()

            def _body(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    chunks = []
                    while size := int(self.rfile.readline().split(b";")[0], 16):
                        chunks.append(self.rfile.read(size))
                        self.rfile.readline()
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _answer(self, status, headers, body, *, head=False, length=None) -> None:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", length if head and length else str(len(body)))
                self.end_headers()
                if not head:
                    self.wfile.write(body)

            do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _any

            def log_message(self, *args) -> None:
                pass

        return Handler


class FixedAnswer:
    """An HTTP server on loopback giving every request the same answer (an STS error, say)."""

    def __init__(self, status: int, body: bytes, content_type: str = "text/xml") -> None:
        answer = (status, body, content_type)

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _any(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(answer[0])
                self.send_header("Content-Type", answer[2])
                self.send_header("Content-Length", str(len(answer[1])))
                self.end_headers()
                self.wfile.write(answer[1])

            do_GET = do_POST = do_PUT = do_HEAD = _any

            def log_message(self, *args) -> None:
                pass

        self.server, self.url = serve(Handler)

    stop = FaultProxy.stop


def sts_error(code: str, message: str = "refused") -> bytes:
    """STS's error body (its query protocol answers in XML)."""
    return (
        "<ErrorResponse xmlns='https://sts.amazonaws.com/doc/2011-06-15/'><Error>"
        f"<Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>"
        "<RequestId>4a9c1f2e</RequestId></ErrorResponse>"
    ).encode()
