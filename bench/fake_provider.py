"""A fake email (Postmark-shaped) and SMS provider on 127.0.0.1 that records arrivals.

Run as its own process so its work does not share the bench runner's interpreter:
    python bench/fake_provider.py PORT
GET /_received returns {"email": [[time, to], ...], "sms": [[time, to], ...]}.

It runs on the bench's cores beside the app, so a request costs it little (#16, third
round: ~0.22 -> ~0.1 ms of CPU per email): headers read without the email package's
parser (the client is urllib3: one header per line, a Content-Length body), the email's
To found in the JSON without decoding its HTML and text bodies, each answer one write.
It still speaks HTTP/1.1 with kept-alive connections and answers as Postmark does.
"""

import itertools
import json
import re
import sys
import threading
import time
import uuid
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

received = {"email": [], "sms": []}
lock = threading.Lock()
# Unique per process and run; next() is atomic under the GIL.
message_ids = map(f"{uuid.uuid4().hex[:12]}-{{}}".format, itertools.count(1))
# The JSON "To" member: inside a JSON string a quote is escaped, so this cannot match
# text in the bodies.
TO = re.compile(rb'"To"\s*:\s*("(?:[^"\\]|\\.)*")')
_date = [0, ""]


def http_date() -> str:
    now = int(time.time())
    if _date[0] != now:
        _date[:] = [now, formatdate(now, usegmt=True)]
    return _date[1]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Without TCP_NODELAY, Nagle can hold a write until the client's delayed ACK
    # (~40 ms) on a kept-alive connection (it did when headers and body were two
    # writes). Real providers' servers (nginx, load balancers) set it.
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def parse_request(self) -> bool:
        """The request line and headers (lower-cased names) without http.client's
        email-package parser, half of this process's CPU per request otherwise."""
        self.command, self.request_version, self.requestline = None, "HTTP/1.0", ""
        words = self.raw_requestline.decode("iso-8859-1").split()
        if len(words) != 3 or not words[2].startswith("HTTP/1."):
            self.send_error(400, "Bad request line")
            return False
        self.command, self.path, self.request_version = words
        self.requestline = " ".join(words)
        headers = {}
        while (line := self.rfile.readline(65537)) not in (b"\r\n", b"\n", b""):
            name, _, value = line.decode("iso-8859-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        self.headers = headers
        self.close_connection = (
            self.request_version != "HTTP/1.1" or headers.get("connection", "").lower() == "close"
        )
        return True

    def _reply(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        head = (
            f"HTTP/1.1 {status} {self.responses[status][0]}\r\nDate: {http_date()}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
        )
        self.wfile.write(head.encode() + data)

    def do_POST(self):
        now = time.time()
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        if self.path.startswith("/postmark/"):
            found = TO.search(body)
            to = json.loads(found[1]) if found else ""
            with lock:
                received["email"].append([now, to])
            self._reply(
                200,
                {
                    "To": to,
                    "SubmittedAt": "2026-01-01T00:00:00Z",
                    "MessageID": next(message_ids),
                    "ErrorCode": 0,
                    "Message": "OK",
                },
            )
        elif self.path == "/sms":
            to = json.loads(body or b"{}").get("to", "")
            with lock:
                received["sms"].append([now, to])
            self._reply(201, {"sid": f"SM{next(message_ids)}"})
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
