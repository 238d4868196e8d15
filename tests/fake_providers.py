"""A fake Postmark API on 127.0.0.1 for tests whose Celery worker runs in another process.

It records every send by the touchpoint's callback code (anymail metadata) and
answers as the test programs it: accept, fail with a status, or hang mid-request.
"""

import json
import threading
from collections import defaultdict
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakePostmark:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests: list[dict] = []  # every request, in arrival order
        self.accepted: dict[str, list[dict]] = defaultdict(list)  # code -> accepted sends
        self.fail_next: list[int] = []  # statuses for the next requests, then accept
        self.hang_codes: set[str] = set()  # requests for these codes never get an answer
        self.release = threading.Event()
        self.url = ""

    def answer(self, payload: dict) -> tuple[int, dict] | None:
        code = (payload.get("Metadata") or {}).get("touchpoint", "")
        with self.lock:
            self.requests.append(payload)
            if code in self.hang_codes:
                self.hang_codes.discard(code)
                return None
            if self.fail_next:
                return self.fail_next.pop(0), {"ErrorCode": 0, "Message": "Internal error"}
            self.accepted[code].append(payload)
            count = sum(len(v) for v in self.accepted.values())
        return 200, {
            "To": payload.get("To", ""),
            "SubmittedAt": "2026-11-23T10:00:00Z",
            "MessageID": f"pm-{count:05d}",
            "ErrorCode": 0,
            "Message": "OK",
        }


@contextmanager
def fake_postmark():
    fake = FakePostmark()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            result = fake.answer(json.loads(body or b"{}"))
            if result is None:
                fake.release.wait(60)  # the worker is killed meanwhile
                return
            status, data = result
            raw = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        fake.release.set()
        server.shutdown()
        server.server_close()


def worker_env(fake: FakePostmark, **extra) -> dict:
    from tests.processes import process_env

    return process_env(
        TEST_EMAIL_BACKEND="anymail.backends.postmark.EmailBackend",
        POSTMARK_SERVER_TOKEN="fake-server-token",
        POSTMARK_API_URL=fake.url,
        **extra,
    )
