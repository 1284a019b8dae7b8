"""A real HTTP receiver on loopback for the webhooks tests: it checks each delivery with the documented
example (webhooks/receiver_example.py), refuses a bad signature with 401, and records what it accepted."""

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from webhooks.receiver_example import verify


class Receiver:
    def __init__(self, secret: str = "", port: int = 0):
        self.secret = secret
        # How a delivery is checked: the documented example by default; a province platform its own way.
        self.check = lambda headers, body: verify(self.secret, headers, body)
        self.status = 200  # what it answers a well-signed delivery
        self.location = ""  # with a 3xx status: where it points
        self.accepted: list[tuple[dict, dict]] = []  # (headers, body) of signed deliveries answered 2xx
        self.requests = 0
        self.port = port or free_port()
        self.server = None
        self.thread: threading.Thread | None = None
        self.error: BaseException | None = None
        self.arrived = threading.Event()  # a request came in
        self.release = threading.Event()  # answer requests (clear it to hold them, like a hung receiver)
        self.release.set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests += 1
                receiver.arrived.set()
                receiver.release.wait(timeout=30)
                status = receiver.status if receiver.check(self.headers, body) else 401
                if 200 <= status < 300:
                    receiver.accepted.append((dict(self.headers), json.loads(body)))
                self.send_response(status)
                if receiver.location:
                    self.send_header("Location", receiver.location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self._serve, args=(self.server,), daemon=True)
        self.thread.start()
        return self

    def _serve(self, server) -> None:
        try:
            server.serve_forever(poll_interval=0.1)
        except BaseException as error:  # noqa: BLE001 - kept for the test to report
            self.error = error
            raise

    def stop(self) -> None:
        """Stop serving; never waits for ever (shutdown() would, were the serving thread gone)."""
        if self.server is None:
            return
        if self.thread.is_alive():
            stopper = threading.Thread(target=self.server.shutdown, daemon=True)
            stopper.start()
            stopper.join(timeout=5)
        self.server.server_close()
        self.server = None

    def events(self) -> list[str]:
        return [headers["X-Chuangkou-Event"] for headers, _body in self.accepted]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
