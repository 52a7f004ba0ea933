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
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if receiver.hang:
                    time.sleep(receiver.hang)
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

    def events(self) -> list[str]:
        return [json.loads(r["body"])["event"] for r in self.received]

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
            conn.close()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self.listener.close()
