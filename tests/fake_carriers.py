"""A fake carrier API on 127.0.0.1 answering karrio as DHL, GLS, UPS, USPS and FedEx do.

karrio calls carriers with urllib, and the poller may run in a Celery worker (another
process), so carriers are faked at the HTTP level: CARRIER_API_BASE_URL points every
karrio carrier at this server. Each tracking number answers with the recorded
responses the test scripted for it, one per request, the last one repeated.
"""

import json
import re
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "carriers"


def carrier_fixture(carrier: str, name: str) -> str:
    """A recorded response body (JSON text as the carrier sent it)."""
    return (FIXTURES / carrier / f"{name}.json").read_text()


# Token endpoints, by path, with the body each carrier's OAuth answers.
TOKENS = {
    "/oauth2/v2/token": {"access_token": "gls-token", "token_type": "Bearer", "expires_in": 14400},
    "/security/v1/oauth/token": {
        "token_type": "Bearer",
        "issued_at": "1764000000000",
        "client_id": "ups-client",
        "access_token": "ups-token",
        "expires_in": "14399",
        "status": "approved",
    },
    "/oauth2/v3/token": {"access_token": "usps-token", "token_type": "Bearer", "expires_in": 28799},
    "/oauth/token": {
        "access_token": "fedex-token",
        "token_type": "bearer",
        "expires_in": 3599,
        "scope": "CXS",
    },
}

TRACKING_PATHS = [
    ("dhl", re.compile(r"^/track/shipments$")),
    ("gls", re.compile(r"^/track-and-trace-v1/tracking/simple/trackids/(?P<number>[^/]+)$")),
    ("ups", re.compile(r"^/api/track/v1/details/(?P<number>[^/]+)$")),
    ("usps", re.compile(r"^/tracking/v3/tracking/(?P<number>[^/]+)$")),
    ("fedex", re.compile(r"^/track/v1/trackingnumbers$")),
]


class FakeCarriers:
    def __init__(self):
        self.lock = threading.Lock()
        self.scripts: dict[str, list[tuple[int, str]]] = {}
        self.requests: list[tuple[str, str, str]] = []  # (carrier, method, tracking number)
        self.url = ""

    def script(self, tracking_number: str, *responses) -> None:
        """Answers for this number, in order; each is a body, or (status, body)."""
        with self.lock:
            self.scripts[tracking_number] = [
                r if isinstance(r, tuple) else (200, r) for r in responses
            ]

    def tracking_requests(self, carrier: str | None = None) -> list[str]:
        with self.lock:
            return [n for c, _m, n in self.requests if c != "token" and carrier in (None, c)]

    def answer(self, method: str, target: str, body: bytes) -> tuple[int, str]:
        parts = urlsplit(target)
        if method == "POST" and parts.path in TOKENS:
            with self.lock:
                self.requests.append(("token", method, parts.path))
            return 200, json.dumps(TOKENS[parts.path])
        for carrier, pattern in TRACKING_PATHS:
            match = pattern.match(parts.path)
            if not match:
                continue
            if carrier == "dhl":
                number = parse_qs(parts.query).get("trackingNumber", [""])[0]
            elif carrier == "fedex":
                info = json.loads(body or b"{}").get("trackingInfo") or [{}]
                number = info[0].get("trackingNumberInfo", {}).get("trackingNumber", "")
            else:
                number = match.group("number")
            with self.lock:
                self.requests.append((carrier, method, number))
                script = self.scripts.get(number)
                if not script:
                    return 404, json.dumps({"status": 404, "detail": "No shipment found."})
                return script.pop(0) if len(script) > 1 else script[0]
        return 404, json.dumps({"error": f"no such path {parts.path}"})


@contextmanager
def fake_carriers():
    fake = FakeCarriers()

    class Handler(BaseHTTPRequestHandler):
        def _handle(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status, text = fake.answer(self.command, self.path, body)
            raw = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        do_GET = do_POST = _handle

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
