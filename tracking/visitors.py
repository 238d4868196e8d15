"""Who is looking at a tracking page: an anonymous client hash, and whether it is a person.

Link scanners in mail gateways, chat apps' link previews, crawlers and browser
prefetches open tracking links too; counting them would fake a worried buyer.
"""

import functools
import hashlib
import hmac
import re
import time

from django.conf import settings

from postpurchase.client_ip import client_ip
from tracking.visit_buffer import SOURCES, PageView, new_page_view

BOT_USER_AGENT = re.compile(
    r"bot\b|bot/|crawl|spider|slurp|preview|scanner|monitor|fetch|headless|phantom|"
    r"facebookexternalhit|whatsapp|telegram|slack|discord|skype|linkedin|embedly|"
    r"microsoft office|ms-office|safelinks|proofpoint|mimecast|barracuda|"
    r"curl|wget|python-|httpx|aiohttp|go-http-client|java/|okhttp|libwww|"
    r"lighthouse|pingdom|uptime|google-read-aloud|googleimageproxy|yahoomailproxy",
    re.IGNORECASE,
)


def client_hash(request) -> str:
    """Keyed hash of address and browser: stable for a visitor, no raw IP stored."""
    address = client_ip(request)
    agent = request.META.get("HTTP_USER_AGENT", "")[:300]
    key = f"{settings.SECRET_KEY}:tracking-visitor".encode()
    return hmac.digest(key, f"{address}|{agent}".encode(), hashlib.sha256).hex()[:32]


def client_address_key(request) -> str:
    """Keyed hash of the address alone: rate limits must not reset with a new browser."""
    key = f"{settings.SECRET_KEY}:tracking-address".encode()
    address = client_ip(request)
    return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()[:32]


# Sec-Purpose, Purpose, X-Purpose, X-Moz. Read from META: `request.headers` would build
# a dict of every header first, a tenth of a cached page view's CPU (#10).
PURPOSE_HEADERS = ("HTTP_SEC_PURPOSE", "HTTP_PURPOSE", "HTTP_X_PURPOSE", "HTTP_X_MOZ")


def is_prefetch(request) -> bool:
    meta = request.META
    purpose = "".join(meta.get(name, "") for name in PURPOSE_HEADERS).lower()
    return "prefetch" in purpose or "prerender" in purpose or "preview" in purpose


def is_counted_visitor(request) -> bool:
    """True for a person's real page view; False for HEAD, prefetches and bots."""
    if request.method != "GET":
        return False
    if is_prefetch(request):
        return False
    agent = request.META.get("HTTP_USER_AGENT", "")
    return bool(agent) and not is_bot_agent(agent)


@functools.lru_cache(maxsize=2048)
def is_bot_agent(agent: str) -> bool:
    # The pattern costs ~30 µs per search, a third of a cached page view (#10);
    # real traffic repeats a few hundred user agents.
    return BOT_USER_AGENT.search(agent) is not None


def page_view(request) -> PageView | None:
    """The view to count for this request, or None when it is not a person's."""
    if not is_counted_visitor(request):
        return None
    source = request.GET.get("src", "")
    return new_page_view(
        client_hash=client_hash(request),
        source=source if source in SOURCES else "direct",
        at=time.time(),
    )
