"""What buyers do on tracking pages: views, cross-sell impressions and clicks, ratings, lookups."""

import hmac
import re

from django.db import transaction
from django.db.models import Q

from orders.models import Order, Product
from postpurchase.events import emit
from postpurchase.models import Merchant
from tracking.models import CrossSellClick, CrossSellImpression, Rating, TrackingVisit

SOURCES = {choice.value for choice in TrackingVisit.Source}


def visit_record(
    *, merchant: Merchant, order: Order, client_hash: str, source: str, shown: list[tuple[int, int]]
) -> None:
    """One counted view: the visit row and one impression per cross-sell slot shown.

    Two INSERTs whatever the page holds; `shown` is [(product_id, slot), ...].
    """
    source = source if source in SOURCES else TrackingVisit.Source.DIRECT
    TrackingVisit.objects.create(
        merchant=merchant, order=order, client_hash=client_hash, source=source
    )
    if shown:
        CrossSellImpression.objects.for_merchant(merchant).bulk_create(
            CrossSellImpression(merchant=merchant, order=order, product_id=pid, slot=slot)
            for pid, slot in shown
        )


def crosssell_click_record(
    *, merchant: Merchant, order: Order, product: Product, slot: int, client_hash: str
) -> CrossSellClick:
    return CrossSellClick.objects.create(
        merchant=merchant, order=order, product=product, slot=slot, client_hash=client_hash
    )


class RatingError(ValueError):
    pass


def rating_submit(*, merchant: Merchant, order: Order, score: int, comment: str = "") -> Rating:
    """Store the buyer's rating (the last answer wins) and tell the merchant's webhooks."""
    if not isinstance(score, int) or not 1 <= score <= 5:
        raise RatingError("score must be 1-5")
    comment = (comment or "").strip()[:2000]
    with transaction.atomic():
        rating = (
            Rating.objects.for_merchant(merchant).select_for_update().filter(order=order).first()
        )
        if rating is None:
            rating = Rating(merchant=merchant, order=order)
        rating.score = score
        if comment or rating.pk is None:
            rating.comment = comment
        rating.save()
        emit(
            merchant=merchant,
            name="rating.received",
            data={
                "order_id": order.pk,
                "order_external_id": order.external_id,
                "order_number": order.number,
                "score": rating.score,
                "comment": rating.comment,
            },
        )
    return rating


def _normalize_number(value: str) -> str:
    return re.sub(r"\s+", "", value or "").lstrip("#").lower()


def _normalize_postal(value: str) -> str:
    return re.sub(r"[\s-]+", "", value or "").upper()


def order_lookup(*, merchant: Merchant, number: str, contact: str) -> Order | None:
    """The order with this number whose email or postal code matches `contact`, else None.

    Every wrong combination gives the same None; contacts are compared in
    constant time so a near-miss takes no longer than a far one.
    """
    wanted = _normalize_number(number)
    contact = (contact or "").strip()
    if not wanted or not contact or len(wanted) > 50 or len(contact) > 254:
        return None
    candidates = (
        Order.objects.for_merchant(merchant)
        .select_related("customer")
        .filter(Q(number__iexact=wanted) | Q(number__iexact=f"#{wanted}"))
        .order_by("-placed_at")[:5]
    )
    email = contact.lower().encode()
    postal = _normalize_postal(contact).encode()
    found = None
    for order in candidates:
        by_email = hmac.compare_digest(email, (order.customer.email or "\0").lower().encode())
        by_postal = hmac.compare_digest(
            postal, (_normalize_postal(order.shipping_postal_code) or "\0").encode()
        )
        if (by_email or by_postal) and found is None:
            found = order
    return found
