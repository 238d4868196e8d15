"""The bench's fake provider: real HTTP that anymail's Postmark backend accepts, at
little CPU per request (it shares the bench's two cores with the app; #16, third round)."""

import http.client
import json
import threading
import urllib.request
from http.server import ThreadingHTTPServer

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives

from bench import fake_provider


@pytest.fixture
def provider(monkeypatch):
    parse_headers = http.client.parse_headers

    def client_side_only(fp, **kwargs):
        # http.server passes its MessageClass; urllib3's responses come without one.
        assert "_class" not in kwargs, "a request's headers went through the email parser"
        return parse_headers(fp, **kwargs)

    monkeypatch.setattr(http.client, "parse_headers", client_side_only)
    server = ThreadingHTTPServer(("127.0.0.1", 0), fake_provider.Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_anymail_sends_to_the_fake_provider_on_one_kept_alive_connection(provider):
    connection = mail.get_connection(
        "anymail.backends.postmark.EmailBackend",
        server_token="bench",
        api_url=f"{provider}/postmark/",
    )
    to = ['"Anna \\"A\\" Ø" <anna@example.com>', "bo@example.com"]
    messages = [
        EmailMultiAlternatives(
            subject="Tak", body='"To": "nobody@example.com"', from_email="s@x.example", to=[t]
        )
        for t in to
    ]
    with connection:
        assert connection.send_messages(messages) == 2

    ids = [m.anymail_status.message_id for m in messages]
    assert [m.anymail_status.status for m in messages] == [{"sent"}, {"sent"}]
    assert len(set(ids)) == 2 and None not in ids
    with urllib.request.urlopen(f"{provider}/_received") as answer:
        received = json.load(answer)
    assert [address for _, address in received["email"][-2:]] == to
