"""Servers on loopback for egress tests: a webhook receiver, and a trap that counts connections."""

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    """A webhook receiver: records what arrives and answers with `status` (or hangs).

    With `redirect_to`, it answers that status with a Location header pointing there.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.received: list[dict] = []
        self.status = 200
        self.hang = 0.0
        self.redirect_to = ""
        self.active = self.most_active = 0  # requests being answered at once
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver._lock:
                    receiver.active += 1
                    receiver.most_active = max(receiver.most_active, receiver.active)
                if receiver.hang:
                    time.sleep(receiver.hang)
                with receiver._lock:
                    receiver.active -= 1
                receiver.received.append({"headers": dict(self.headers), "body": body})
                self.send_response(receiver.status)
                if receiver.redirect_to:
                    self.send_header("Location", receiver.redirect_to)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://{host}:{self.port}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self, bot_id: str | None = None) -> list[str]:
        payloads = [json.loads(r["body"]) for r in self.received]
        return [p["event"] for p in payloads if bot_id in (None, p["bot_id"])]

    def payloads(self, event: str) -> list[dict]:
        """Every payload of this storage event received, in order, each checked against the
        component the API schema documents it by."""
        from tests.support.contract import webhook_check

        payloads = [json.loads(r["body"]) for r in self.received]
        return [webhook_check(p) for p in payloads if p["event"] == event]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Trap:
    """Accepts TCP connections on an address and counts them; it never answers."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.listener = socket.socket()
        self.listener.bind((host, port))
        self.listener.listen(16)
        self.listener.settimeout(0.1)
        self.port = self.listener.getsockname()[1]
        self.url = f"http://{host}:{self.port}"
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                continue
            self.connections += 1
            self._handle(conn)

    def _handle(self, conn: socket.socket) -> None:
        conn.close()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self.listener.close()


class RawReceiver(Trap):
    """A webhook receiver that answers each request with `answer(receiver, sock)`: for answers
    no well-behaved server gives (endless, trickling)."""

    def __init__(self, answer) -> None:
        self.answer = answer
        self.sent = 0
        super().__init__()
        self.url += "/hooks"

    def _handle(self, conn: socket.socket) -> None:
        threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(30)
            head = b""
            try:
                while b"\r\n\r\n" not in head:
                    head += conn.recv(65536)
                length = int(head.split(b"Content-Length: ", 1)[1].split(b"\r\n", 1)[0])
                body = head.split(b"\r\n\r\n", 1)[1]
                while len(body) < length:
                    body += conn.recv(65536)
                self.answer(self, conn)
            except OSError:
                pass  # the client hung up: what these receivers are for


def endless_answer(size: int):
    """200 with a body of `size` bytes, sent as fast as the client takes it."""

    def answer(receiver: RawReceiver, conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % size)
        chunk = bytes(65536)
        while receiver.sent < size and not receiver._stop.is_set():
            conn.sendall(chunk)
            receiver.sent += len(chunk)

    return answer


def trickling_answer(every: float, *, head_first: bool = False):
    """One byte every `every` seconds: of the status line, or (head_first) of a long body."""

    def answer(receiver: RawReceiver, conn: socket.socket) -> None:
        response = b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n"
        if head_first:
            conn.sendall(response)
            response = bytes(100000)
        for byte in response:
            if receiver._stop.is_set():
                return
            conn.sendall(bytes([byte]))
            receiver.sent += 1
            time.sleep(every)

    return answer
