"""Posting one webhook: http(s) only, no redirects, and no private targets in production."""

import ipaddress
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

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
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetRefused(_("Only http and https URLs can receive webhooks."))
    if allow_private_targets():
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        raise TargetRefused(_("The host name does not resolve.")) from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if not address.is_global:
            raise TargetRefused(_("The URL points into a private network."))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A redirect could lead to an internal address the first check never saw.
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def post(url: str, body: bytes, headers: dict, *, timeout: float = 10.0) -> PostResult:
    check_target(url)
    request = urllib.request.Request(  # noqa: S310 - scheme checked by check_target
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers},
    )
    started = time.monotonic()
    try:
        with _opener.open(request, timeout=timeout) as response:
            code, error = response.status, ""
    except urllib.error.HTTPError as exc:
        code, error = exc.code, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        code, error = None, str(getattr(exc, "reason", exc))[:500]
    return PostResult(code, error, int((time.monotonic() - started) * 1000))
