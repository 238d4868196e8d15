"""The client's address, for per-address rate limits and visitor hashes.

Behind a load balancer REMOTE_ADDR is the proxy's address, shared by every client.
Each proxy appends the address it received the request from to X-Forwarded-For, so
with N trusted proxies the client is the N-th entry from the right; everything further
left was written by the client and is never trusted. With no trusted proxies (the
default) the header is ignored, so a client cannot pick its own address.
"""

import ipaddress

from django.conf import settings


def client_ip(request) -> str:
    """The address rate limits count: REMOTE_ADDR, or the trusted X-Forwarded-For entry."""
    if request is None:
        return ""
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    hops = [hop for hop in hops if hop]
    if len(hops) < proxies:
        # Not through every proxy we were told about: the header is not the proxies' word.
        return remote
    candidate = hops[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
