"""Outgoing webhooks go to the address that was checked, never to one a second DNS answer gives.

A merchant's host name could answer a public address to the private-address check and
127.0.0.1 (or the cloud's metadata address) a moment later to the request: DNS
rebinding. The name is resolved once; the request connects to what was checked, and
TLS still verifies the certificate for the name. The resolver and the merchant's
public server are the outside world here and are faked; the receivers are real.
"""

import datetime as dt
import http.server
import socket
import ssl
import threading

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.core.exceptions import ValidationError

from notifications.webhooks_out import transport
from notifications.webhooks_out.services import webhook_endpoint_create
from tests.webhook_receiver import Receiver, start

PUBLIC = "93.184.215.14"  # a global address: the check lets it through
HOST = "hooks.merchant.example"


@pytest.fixture
def receiver():
    receiver = Receiver()
    server = start(receiver)
    receiver.port = server.server_address[1]
    yield receiver
    server.shutdown()
    server.server_close()


@pytest.fixture
def resolver(monkeypatch):
    """HOST answers the next of `answers` (the last one again once they run out)."""
    real = socket.getaddrinfo

    class Resolver:
        answers: list[list[str]] = []
        asked = 0

        def __call__(self, host, port, *args, **kwargs):
            if host != HOST:
                return real(host, port, *args, **kwargs)
            self.asked += 1
            answer = self.answers[min(self.asked, len(self.answers)) - 1]
            return [
                (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (ip, port))
                for ip in answer
            ]

    fake = Resolver()
    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return fake


@pytest.fixture
def public_server_down(monkeypatch):
    """The merchant's public server does not answer; every connection attempt is noted."""
    real = socket.socket.connect
    tried = []

    def connect(sock, address):
        tried.append(address)
        if address[0] == PUBLIC:
            raise ConnectionRefusedError(111, "Connection refused")
        return real(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    return tried


def test_a_name_that_rebinds_to_loopback_after_the_check_is_not_called_there(
    receiver, resolver, public_server_down, settings
):
    settings.WEBHOOKS_OUT_ALLOW_PRIVATE_TARGETS = False  # production
    resolver.answers = [[PUBLIC], ["127.0.0.1"]]

    result = transport.post(f"http://{HOST}:{receiver.port}/hooks", b"{}", {})

    assert receiver.requests == []  # the rebinding answer never got the request
    assert public_server_down == [(PUBLIC, receiver.port)]  # the checked address did
    assert resolver.asked == 1
    assert result.status_code is None and "refused" in result.error


def test_a_name_that_resolves_to_a_private_address_is_refused(receiver, resolver, settings):
    settings.WEBHOOKS_OUT_ALLOW_PRIVATE_TARGETS = False
    for answer in (["127.0.0.1"], ["10.20.30.40"], [PUBLIC, "127.0.0.1"]):
        resolver.answers = [answer]
        with pytest.raises(transport.TargetRefused, match="private network"):
            transport.post(f"http://{HOST}:{receiver.port}/hooks", b"{}", {})
    assert receiver.requests == []


@pytest.mark.django_db
def test_an_endpoint_whose_name_resolves_to_a_private_address_is_not_saved(
    merchant_a, resolver, settings
):
    settings.WEBHOOKS_OUT_ALLOW_PRIVATE_TARGETS = False
    resolver.answers = [["169.254.169.254"]]  # the cloud's metadata service
    with pytest.raises(ValidationError, match="private network"):
        webhook_endpoint_create(
            merchant=merchant_a, url=f"https://{HOST}/hooks", events=["rating.received"]
        )


# --- TLS to the pinned address: the certificate, SNI and Host are still the name's ---


def _certificate(tmp_path, name: str) -> tuple[str, str, str]:
    """A test CA (its PEM file) and a key and certificate it signed for `name`."""
    now = dt.datetime.now(dt.UTC)

    def issue(subject, issuer, key, signer, *, ca: bool):
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if not ca:
            san = x509.SubjectAlternativeName([x509.DNSName(subject)])
            builder = builder.add_extension(san, critical=False)
        return builder.sign(signer, hashes.SHA256())

    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = issue("Postpurchase test CA", "Postpurchase test CA", ca_key, ca_key, ca=True)
    leaf = issue(name, "Postpurchase test CA", key, ca_key, ca=False)
    paths = [tmp_path / f for f in ("ca.pem", "key.pem", "cert.pem")]
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    paths[2].write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    return tuple(str(path) for path in paths)


@pytest.fixture
def tls_receiver(tmp_path, monkeypatch):
    """An HTTPS receiver on 127.0.0.1 with a certificate for `name`; notes SNI and Host."""
    servers = []

    def serve(name: str) -> dict:
        ca, key, cert = _certificate(tmp_path, name)
        monkeypatch.setenv("SSL_CERT_FILE", ca)  # the client trusts the test CA, and only it
        seen = {"sni": [], "host": []}

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                seen["host"].append(self.headers["Host"])
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        context.sni_callback = lambda sslobj, sni, ctx: seen["sni"].append(sni)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        seen["port"] = server.server_address[1]
        return seen

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


def test_https_to_the_pinned_address_sends_the_name_as_sni_and_host(tls_receiver, resolver):
    resolver.answers = [["127.0.0.1"]]  # private targets are allowed in tests
    seen = tls_receiver(HOST)

    result = transport.post(f"https://{HOST}:{seen['port']}/hooks", b"{}", {})

    assert result.status_code == 204, result.error
    assert seen["sni"] == [HOST] and seen["host"] == [f"{HOST}:{seen['port']}"]
    assert resolver.asked == 1


def test_https_to_the_pinned_address_still_verifies_the_certificate(tls_receiver, resolver):
    resolver.answers = [["127.0.0.1"]]
    seen = tls_receiver("someone-else.example")

    result = transport.post(f"https://{HOST}:{seen['port']}/hooks", b"{}", {})

    assert result.status_code is None and "certificate" in result.error.lower()
    assert seen["host"] == []  # nothing was posted to a server that is not the name's
