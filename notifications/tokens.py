"""Signed links in messages: one-click unsubscribe. No database lookup to forge."""

import re

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import translation

from notifications.batch import read_once

SALT = "notifications.unsubscribe"


def unsubscribe_token(*, merchant_id: int, channel: str, address: str, locale: str = "") -> str:
    data = {"m": merchant_id, "c": channel, "a": address}
    if locale:
        data["l"] = locale  # the page speaks the buyer's language
    # signing.dumps(data, salt=SALT, compress=True), with the signer made once per batch.
    signer = read_once(("unsubscribe-signer",), lambda: signing.TimestampSigner(salt=SALT))
    return signer.sign_object(data, compress=True)


def unsubscribe_token_read(token: str) -> dict | None:
    """The signed content, or None if it was tampered with. Links never expire (law)."""
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not {"m", "c", "a"} <= data.keys():
        return None
    return data


def unsubscribe_url(touchpoint) -> str:
    """The touchpoint's one-click unsubscribe link; the email's body and its
    List-Unsubscribe header carry the same one (made once per touchpoint)."""
    url = getattr(touchpoint, "_unsubscribe_url", None)
    if url is None:
        url = touchpoint._unsubscribe_url = _unsubscribe_url(touchpoint)
    return url


def _unsubscribe_url(touchpoint) -> str:
    customer = touchpoint.order.customer
    address = customer.email if touchpoint.channel == "email" else customer.phone
    token = unsubscribe_token(
        merchant_id=touchpoint.merchant_id,
        channel=touchpoint.channel,
        address=address.lower(),
        locale=touchpoint.order.locale,
    )
    if _URL_SAFE.fullmatch(token):
        # Keyed by language too: translated URL patterns would reverse differently.
        key = ("unsubscribe-url", translation.get_language())
        prefix, suffix = read_once(key, _url_around_token)
        return prefix + token + suffix
    return _url(token)


# What `reverse` leaves unquoted; a signed token is base64url, ":" and "." only.
_URL_SAFE = re.compile(r"[A-Za-z0-9_.:~-]+")


def _url(token: str) -> str:
    return settings.PUBLIC_BASE_URL + reverse("notifications:unsubscribe", kwargs={"token": token})


def _url_around_token() -> tuple[str, str]:
    """The link before and after its token, once per send batch: `reverse` is a third of
    making the link, and the same for every token it leaves unquoted."""
    marker = "TOKEN"
    prefix, _, suffix = _url(marker).rpartition(marker)
    return prefix, suffix
