"""What buyers do on tracking pages: views, cross-sell impressions and clicks, ratings, lookups."""

import hmac
import logging
import re

from django.db import transaction
from django.db.models import Q

from orders.models import Order, Product
from postpurchase.events import emit
from postpurchase.models import Merchant
from tracking import visit_buffer
from tracking.models import CrossSellClick, CrossSellImpression, Rating, TrackingVisit
from tracking.visit_buffer import PageView, Visit

logger = logging.getLogger(__name__)

# Buffered page views of many merchants' pages, written in bulk: each row takes its
# order's merchant, and a product of another merchant is dropped.
VISITS = "buffered page views of every merchant, each row given its order's merchant"


def visit_record(
    *, merchant: Merchant, order: Order, view: PageView, shown, buffer: bool = True
) -> None:
    """One counted view: buffered in Redis for `visits_flush`, or written now if Redis fails
    (or, with `buffer=False`, failed a moment ago).

    `shown` is [(product_id, slot), ...]: one impression per cross-sell slot shown.
    """
    visit = Visit(view=view, merchant_id=merchant.pk, order_id=order.pk, shown=tuple(shown))
    if not (buffer and visit_buffer.add(visit)):
        visits_write([visit])


def visits_write(visits: list[Visit]) -> int:
    """Store views as visits and impressions, each once however often it is written.

    Rows take their order's merchant; a view of an order deleted since is dropped,
    and one of an erased buyer's order keeps no client fingerprint. Four queries.
    """
    if not visits:
        return 0
    orders = {
        pk: (merchant_id, erased_at is not None)
        for pk, merchant_id, erased_at in Order.objects.unscoped(reason=VISITS)
        .filter(pk__in={v.order_id for v in visits})
        .values_list("pk", "merchant_id", "customer__erased_at")
    }
    product_merchant = dict(
        Product.objects.unscoped(reason=VISITS)
        .filter(pk__in={pid for v in visits for pid, _slot in v.shown})
        .values_list("pk", "merchant_id")
    )
    rows, impressions = [], []
    for visit in visits:
        if visit.order_id not in orders:
            continue
        merchant_id, erased = orders[visit.order_id]
        rows.append(
            TrackingVisit(
                merchant_id=merchant_id,
                order_id=visit.order_id,
                client_hash="" if erased else visit.view.client_hash,
                source=visit.view.source,
                visited_at=visit.visited_at,
                view_id=visit.view.view_id,
            )
        )
        impressions += [
            CrossSellImpression(
                merchant_id=merchant_id,
                order_id=visit.order_id,
                product_id=product_id,
                slot=slot,
                shown_at=visit.visited_at,
                view_id=visit.view.view_id,
            )
            for product_id, slot in visit.shown
            if product_merchant.get(product_id) == merchant_id
        ]
    with transaction.atomic():
        TrackingVisit.objects.unscoped(reason=VISITS).bulk_create(
            rows, batch_size=1000, ignore_conflicts=True
        )
        CrossSellImpression.objects.unscoped(reason=VISITS).bulk_create(
            impressions, batch_size=1000, ignore_conflicts=True
        )
    return len(rows)


def visits_flush(*, batch: int = 1000, max_batches: int = 20) -> int:
    """Write buffered views to the database; returns how many entries were handled.

    Acknowledged only after the commit (see tracking/visit_buffer.py for why
    nothing is lost or doubled). Run by beat every few seconds, so dashboards,
    timelines and the WISMO risk see a view a few seconds after it happened.
    """
    handled = 0
    for _ in range(max_batches):
        entries = visit_buffer.read(count=batch)
        if not entries:
            break
        unreadable = [entry_id for entry_id, visit in entries if visit is None]
        if unreadable:
            logger.error("dropping %d unreadable buffered visits", len(unreadable))
        visits_write([visit for _entry_id, visit in entries if visit is not None])
        visit_buffer.ack([entry_id for entry_id, _visit in entries])
        handled += len(entries)
    return handled


def crosssell_click_record(
    *, merchant: Merchant, order: Order, product: Product, slot: int, client_hash: str
) -> CrossSellClick:
    return CrossSellClick.objects.create(
        merchant=merchant, order=order, product=product, slot=slot, client_hash=client_hash
    )


class RatingError(ValueError):
    pass


def rating_submit(*, merchant: Merchant, order: Order, score: int, comment: str = "") -> Rating:
    """Store the buyer's rating (the last answer wins) and tell the merchant's webhooks.

    A low one puts the buyer in today's call queue, the comment in the talking points.
    """
    from followups.ratings import call_raise_for_rating

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
        # In the same transaction: a low rating is never stored without its call.
        call_raise_for_rating(merchant=merchant, rating=rating)
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
