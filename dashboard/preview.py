"""The branding preview's pending logo; the sample order it shows is orders/samples.py.

A logo chosen but not saved yet is checked and resized like a saved one, then kept
for a while in the cache, in one slot per person and merchant, under an unguessable
token; the preview shows it inline as a data: URI, so no file or URL exists for it.
"""

import base64
import secrets

from django.core.cache import cache

from postpurchase.models import Merchant

PREVIEW_LOGO_SECONDS = 2 * 60 * 60
PREVIEW_LOGO_PREFIX = "data:image/png;base64,"


def _preview_logo_key(*, merchant: Merchant, user) -> str:
    return f"branding-preview-logo:{merchant.pk}:{user.pk}"


def preview_logo_store(*, merchant: Merchant, user, upload) -> str:
    """Check and resize `upload` as saving would; keep it for `user`'s preview; its token.

    One slot per person and merchant: a newer choice replaces the older one, so the
    cache holds at most one pending logo per person. Raises ValidationError like saving.
    """
    from dashboard.services import logo_process

    png = logo_process(upload=upload).read()
    token = secrets.token_urlsafe(16)
    cache.set(
        _preview_logo_key(merchant=merchant, user=user),
        {"token": token, "png": png},
        PREVIEW_LOGO_SECONDS,
    )
    return token


def preview_logo_data_uri(*, merchant: Merchant, user, token: str) -> str | None:
    """The logo `user` chose for `merchant` under `token`, inline; None if gone or not theirs."""
    if not token:
        return None
    found = cache.get(_preview_logo_key(merchant=merchant, user=user))
    if not found or not secrets.compare_digest(found["token"].encode(), token.encode()):
        return None
    return PREVIEW_LOGO_PREFIX + base64.b64encode(found["png"]).decode("ascii")
