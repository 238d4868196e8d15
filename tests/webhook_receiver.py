"""A real HTTP receiver on 127.0.0.1 for outgoing-webhook tests: fails N times, then accepts."""

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from notifications.webhooks_out import signing


@dataclass
class Received:
    body: bytes
    headers: dict
    signature_ok: bool
    answered: int


@dataclass
class Receiver:
    secret: str = ""
    fail_first: int = 0
    requests: list[Received] = field(default_factory=list)
    url: str = ""

    def accepted(self) -> list[Received]:
        return [r for r in self.requests if r.answered == 204]


def start(receiver: Receiver) -> ThreadingHTTPServer:
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            ok = signing.verify(receiver.secret, body, self.headers.get(signing.HEADER, ""))
            with lock:
                failing = len(receiver.requests) < receiver.fail_first
                code = 503 if failing else (204 if ok else 400)
                receiver.requests.append(Received(body, dict(self.headers), ok, code))
            self.send_response(code)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/postpurchase"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
