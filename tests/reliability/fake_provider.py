"""A tiny Postmark-shaped email API on 127.0.0.1 that records what it was sent.

The worker processes send through django-anymail's real Postmark backend with
POSTMARK_API_URL pointed here. Every request is recorded with its Message-ID
header, which the engine derives from the touchpoint (a stable per-touchpoint
idempotency key): the provider dedupes on it as a real idempotent API would, and
the test counts raw duplicate requests (a worker killed after the provider
accepted) separately from duplicate deliveries (must be 0).

Faults are switched on by the test: `fail_with(500)` answers errors, `hang(s)`
accepts the message and then answers too late (the client has timed out), and
`latency` slows every answer so a kill lands mid-send more often.
"""

import json
import threading
import time
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeProvider:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests: list[dict] = []  # every request that reached us
        self.accepted: dict[str, str] = {}  # Message-ID -> our MessageID (first acceptance)
        self.status_code = 200
        self.hang_seconds = 0.0
        self.latency = 0.0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # --- control -------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    def start(self) -> "FakeProvider":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fail_with(self, status: int) -> None:
        self.status_code, self.hang_seconds = status, 0.0

    def hang(self, seconds: float) -> None:
        self.status_code, self.hang_seconds = 200, seconds

    def recover(self) -> None:
        self.status_code, self.hang_seconds = 200, 0.0

    # --- figures -------------------------------------------------------------------

    def keys(self) -> Counter:
        """Message-ID -> how many requests carried it (accepted or not)."""
        with self.lock:
            return Counter(r["message_id"] for r in self.requests if r["accepted"])

    def duplicate_requests(self) -> int:
        return sum(n - 1 for n in self.keys().values() if n > 1)

    def delivered(self) -> set[str]:
        with self.lock:
            return set(self.accepted)

    # --- the HTTP side -------------------------------------------------------------

    def _handler(self):
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                payload = json.loads(self.rfile.read(length) or b"{}")
                headers = {h["Name"].lower(): h["Value"] for h in payload.get("Headers", [])}
                message_id = headers.get("message-id", "") or f"<none-{uuid.uuid4()}>"
                if provider.latency:
                    time.sleep(provider.latency)
                status, hang = provider.status_code, provider.hang_seconds
                accepted = status == 200
                with provider.lock:
                    provider.requests.append(
                        {"message_id": message_id, "to": payload.get("To"), "accepted": accepted}
                    )
                    if accepted:
                        ours = provider.accepted.setdefault(message_id, str(uuid.uuid4()))
                if hang:
                    # Accepted, but the answer comes after the client gave up.
                    time.sleep(hang)
                if not accepted:
                    body = {"ErrorCode": 500, "Message": "Internal server error (injected)"}
                else:
                    body = {
                        "To": payload.get("To"),
                        "SubmittedAt": "2026-11-23T12:00:00Z",
                        "MessageID": ours,
                        "ErrorCode": 0,
                        "Message": "OK",
                    }
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client timed out and went away

        return Handler
