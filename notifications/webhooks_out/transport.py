"""Posting one webhook: http(s) only, no redirects, and no private targets in production.

The host name is resolved once: the addresses checked are the addresses connected to
(TLS still verifies the certificate for the name, and sends it as SNI and Host).
"""

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit, urlunsplit

from django.conf import settings
from django.utils.translation import gettext as _

USER_AGENT = "Postpurchase-Webhooks/1.0"


class TargetRefused(ValueError):
    """The URL may not be called at all (scheme, or an address inside our network)."""


@dataclass(frozen=True)
class PostResult:
    status_code: int | None
    error: str
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def allow_private_targets() -> bool:
    return settings.WEBHOOKS_OUT_ALLOW_PRIVATE_TARGETS


def check_target(url: str) -> None:
    """Raise TargetRefused unless `url` is http(s) and (in production) resolves to public IPs."""
    _checked_target(url, resolve=not allow_private_targets())


def _checked_target(url: str, *, resolve: bool) -> tuple[SplitResult, list[tuple]]:
    """The URL's parts and, with `resolve`, its addresses (getaddrinfo entries), checked.

    The request connects to exactly these addresses: resolving the name a second time
    for the connection would let a DNS answer that changes in between (rebinding) send
    it to an address the check never saw.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetRefused(_("Only http and https URLs can receive webhooks."))
    if not resolve:
        return parts, []
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        if allow_private_targets():
            raise OSError(f"cannot resolve {parts.hostname}") from None
        raise TargetRefused(_("The host name does not resolve.")) from None
    if not allow_private_targets():
        for info in infos:
            address = ipaddress.ip_address(info[4][0].split("%")[0])
            if not address.is_global:
                raise TargetRefused(_("The URL points into a private network."))
    return parts, infos


class _PinnedConnection(http.client.HTTPConnection):
    """HTTP to the host name's checked addresses only, never resolving it again."""

    def __init__(self, host, port, *, addresses: list[tuple], **kwargs):
        super().__init__(host, port, **kwargs)
        self.addresses = addresses

    def connect(self):
        self.sock = _connect_first(self.addresses, self.timeout)


class _PinnedTlsConnection(http.client.HTTPSConnection):
    """HTTPS to the checked addresses: SNI, certificate and Host header for the host name."""

    def __init__(self, host, port, *, addresses: list[tuple], **kwargs):
        super().__init__(host, port, context=ssl.create_default_context(), **kwargs)
        self.addresses = addresses

    def connect(self):
        sock = _connect_first(self.addresses, self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def _connect_first(addresses: list[tuple], timeout: float) -> socket.socket:
    """A socket connected to the first of the addresses that answers (as the name's
    own resolution order would try them)."""
    error: OSError = OSError("no address to connect to")
    for family, kind, proto, _name, sockaddr in addresses:
        sock = socket.socket(family, kind, proto)
        sock.settimeout(timeout)
        try:
            sock.connect(sockaddr)
        except OSError as exc:
            sock.close()
            error = exc
            continue
        return sock
    raise error


def post(url: str, body: bytes, headers: dict, *, timeout: float = 10.0) -> PostResult:
    """POST `body` to `url`; no redirects are followed (one could lead inside our network)."""
    started = time.monotonic()
    try:
        parts, addresses = _checked_target(url, resolve=True)
        pinned = _PinnedTlsConnection if parts.scheme == "https" else _PinnedConnection
        connection = pinned(parts.hostname, parts.port, addresses=addresses, timeout=timeout)
        try:
            connection.request(
                "POST",
                urlunsplit(("", "", parts.path or "/", parts.query, "")),
                body=body,
                headers={"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers},
            )
            code = connection.getresponse().status
        finally:
            connection.close()
        error = "" if 200 <= code < 300 else f"HTTP {code}"
    except TargetRefused:
        raise  # never worth a retry: the caller fails the delivery at once
    except (OSError, http.client.HTTPException, ValueError) as exc:
        code, error = None, str(exc)[:500] or type(exc).__name__
    return PostResult(code, error, int((time.monotonic() - started) * 1000))
