"""A fake email (Postmark-shaped) and SMS provider on 127.0.0.1 that records arrivals.

Run as its own process so its work does not share the bench runner's interpreter:
    python bench/fake_provider.py PORT
GET /_received returns {"email": [[time, to], ...], "sms": [[time, to], ...]}.
"""

import json
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

received = {"email": [], "sms": []}
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out as two writes; without TCP_NODELAY, Nagle holds the body
    # until the client's delayed ACK (~40 ms) on a kept-alive connection. Real
    # providers' servers (nginx, load balancers) set it.
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def _reply(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        now = time.time()
        length = int(self.headers.get("Content-Length") or 0)
        payload = json.loads(self.rfile.read(length) or b"{}")
        if self.path.startswith("/postmark/"):
            to = payload.get("To", "")
            with lock:
                received["email"].append([now, to])
            self._reply(
                200,
                {
                    "To": to,
                    "SubmittedAt": "2026-01-01T00:00:00Z",
                    "MessageID": str(uuid.uuid4()),
                    "ErrorCode": 0,
                    "Message": "OK",
                },
            )
        elif self.path == "/sms":
            with lock:
                received["sms"].append([now, payload.get("to", "")])
            self._reply(201, {"sid": "SM" + uuid.uuid4().hex})
        else:
            self._reply(404, {"error": "unknown path"})

    def do_GET(self):
        if self.path == "/_received":
            with lock:
                self._reply(200, received)
        elif self.path == "/_reset":
            with lock:
                received["email"].clear()
                received["sms"].clear()
            self._reply(200, {})
        else:
            self._reply(404, {"error": "unknown path"})


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    server.daemon_threads = True
    print("ready", flush=True)
    server.serve_forever()
