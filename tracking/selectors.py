"""Reads for the tracking page, cross-sell and the dashboard's cross-sell numbers."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import (
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Sum,
)

from orders.models import (
    LineItem,
    Order,
    Product,
    Shipment,
    ShipmentEvent,
    ShipmentItem,
    ShipmentStatus,
)
from postpurchase.models import Merchant
from tracking.models import (
    CrossSellClick,
    CrossSellImpression,
    CrossSellRule,
    Rating,
    TrackingSettings,
    TrackingVisit,
)

TOKEN_MAX_LENGTH = 64


def _orders_of_token(token: str) -> QuerySet[Order]:
    """Unscoped on purpose: the unguessable token is the buyer's credential, and it
    names the merchant. An equality match on a unique index, so a miss costs what a
    hit does. An erased buyer's orders are gone from public pages.
    """
    if not token or len(token) > TOKEN_MAX_LENGTH:
        token = "-"  # noqa: S105 - not a secret; still run the query: no shortcut that answers faster
    return Order.objects.unscoped(reason="the tracking token is the buyer's credential").filter(
        tracking_token=token, merchant__is_active=True, customer__erased_at__isnull=True
    )


def order_by_token(token: str) -> Order | None:
    """The order a tracking link points to, with what every view needs, in one query."""
    return (
        _orders_of_token(token).select_related("merchant", "merchant__branding", "customer").first()
    )


def order_ids_by_token(token: str) -> tuple[int, int, int] | None:
    """(order id, merchant id, customer id) of a tracking link, in one small query."""
    return _orders_of_token(token).values_list("pk", "merchant_id", "customer_id").first()


def merchant_by_slug(slug: str) -> Merchant | None:
    return (
        Merchant.objects.select_related("branding").filter(slug=slug[:60], is_active=True).first()
    )


def tracking_settings_for(merchant: Merchant) -> TrackingSettings:
    found = TrackingSettings.objects.for_merchant(merchant).first()
    return found or TrackingSettings(merchant=merchant)


def order_page_data(order: Order) -> tuple[list[LineItem], list[Shipment]]:
    """Items and shipments with events and shipment items: three queries, any size."""
    merchant = order.merchant
    items = list(order.items.all())
    shipments = list(
        Shipment.objects.for_merchant(merchant)
        .filter(order=order)
        .prefetch_related(
            Prefetch(
                "events",
                queryset=ShipmentEvent.objects.for_merchant(merchant).order_by(
                    "-occurred_at", "-id"
                ),
            ),
            Prefetch("items", queryset=ShipmentItem.objects.order_by("id")),
        )
    )
    return items, shipments


def order_is_delivered(order: Order) -> bool:
    """At least one parcel of the order has arrived: the buyer can say how it was."""
    return (
        Shipment.objects.for_merchant(order.merchant)
        .filter(order=order, status=ShipmentStatus.DELIVERED)
        .exists()
    )


@dataclass(frozen=True)
class VisitSummary:
    visits: int
    visitors: int  # distinct client hashes
    last_visit_at: datetime | None


def order_visit_summary(*, merchant: Merchant, order_id: int, since: datetime | None = None):
    """How often buyers opened an order's tracking page: repeated looks signal worry."""
    visits = TrackingVisit.objects.for_merchant(merchant).filter(order_id=order_id)
    if since is not None:
        visits = visits.filter(visited_at__gte=since)
    numbers = visits.aggregate(
        visits=Count("id"), visitors=Count("client_hash", distinct=True), last=Max("visited_at")
    )
    return VisitSummary(
        visits=numbers["visits"], visitors=numbers["visitors"], last_visit_at=numbers["last"]
    )


def order_rating(order: Order) -> Rating | None:
    return Rating.objects.for_merchant(order.merchant).filter(order=order).first()


@dataclass(frozen=True)
class Recommendation:
    product: Product
    reason: str  # "complement", "upgrade", "best_seller"
    because_of: str  # name of the bought item it goes with, or ""


def crosssell_recommendations(
    *, order: Order, items: list[LineItem], limit: int
) -> list[Recommendation]:
    """Up to `limit` products for this order, never one the customer already bought.

    Most specific first: rules for a bought product, then for its category, then
    rules for every order, then the merchant's best sellers. Four queries.
    """
    if limit <= 0:
        return []
    merchant = order.merchant
    skus = {item.sku for item in items if item.sku}
    name_by_sku = {item.sku: item.name for item in items if item.sku}
    category_of = dict(
        Product.objects.for_merchant(merchant)
        .filter(sku__in=skus)
        .exclude(category="")
        .values_list("sku", "category")
    )
    categories = set(category_of.values())
    bought = (
        set(
            LineItem.objects.filter(
                order__merchant=merchant, order__customer_id=order.customer_id
            ).values_list("sku", flat=True)
        )
        | skus
    )
    rules = list(
        CrossSellRule.objects.for_merchant(merchant)
        .filter(is_active=True, product__is_active=True)
        .filter(
            Q(trigger_sku__in=skus)
            | Q(trigger_category__in=categories, trigger_sku="")
            | Q(trigger_sku="", trigger_category="")
        )
        .exclude(product__url="")
        .select_related("product")
    )

    def specificity(rule):
        if rule.trigger_sku:
            return 0
        return 1 if rule.trigger_category else 2

    rules.sort(
        key=lambda r: (specificity(r), r.kind != CrossSellRule.Kind.UPGRADE, r.priority, r.id)
    )
    chosen: list[Recommendation] = []
    seen: set[int] = set()

    def offer(product, reason, because_of=""):
        if len(chosen) >= limit or product.pk in seen or product.sku in bought:
            return
        seen.add(product.pk)
        chosen.append(Recommendation(product=product, reason=reason, because_of=because_of))

    for rule in rules:
        because = name_by_sku.get(rule.trigger_sku, "")
        if not because and rule.trigger_category:
            because = next(
                (name_by_sku[s] for s, c in category_of.items() if c == rule.trigger_category), ""
            )
        offer(rule.product, rule.kind, because)
    if len(chosen) < limit:
        best = (
            Product.objects.for_merchant(merchant)
            .filter(is_active=True, best_seller_rank__isnull=False)
            .exclude(url="")
            .exclude(sku__in=bought)
            .order_by("best_seller_rank", "id")[: limit + len(seen)]
        )
        for product in best:
            offer(product, "best_seller")
    return chosen


def clickable_product(*, order: Order, product_id: int) -> Product | None:
    """A product of the order's merchant that may be linked to: active and with a URL."""
    return (
        Product.objects.for_merchant(order.merchant)
        .filter(pk=product_id, is_active=True)
        .exclude(url="")
        .first()
    )


# --- Numbers for the dashboard (#7) -------------------------------------------------


@dataclass(frozen=True)
class CrossSellStats:
    impressions: int
    clicks: int
    attributed_orders: int
    attributed_revenue: Decimal

    @property
    def ctr(self) -> float:
        return self.clicks / self.impressions if self.impressions else 0.0


def crosssell_attributed_lines(
    *, merchant: Merchant, since: datetime, until: datetime
) -> QuerySet[LineItem]:
    """Line items cross-sell earned from clicks in [since, until).

    Attribution rule: a line of a later order of the same customer, with the sku of
    a product they clicked on a tracking page, placed after the click and at most
    `TrackingSettings.attribution_days` after it. Cancelled orders don't count; a
    line counts once however many clicks led to it.
    """
    window = timedelta(days=tracking_settings_for(merchant).attribution_days)
    clicks = CrossSellClick.objects.for_merchant(merchant).filter(
        clicked_at__gte=since, clicked_at__lt=until
    )
    earning_click = clicks.filter(
        order__customer_id=OuterRef("order__customer_id"),
        product__sku=OuterRef("sku"),
        clicked_at__lt=OuterRef("order__placed_at"),
        clicked_at__gte=ExpressionWrapper(
            OuterRef("order__placed_at") - window, output_field=DateTimeField()
        ),
    )
    # What the rule implies, said outright so indexes can start from the period's few
    # clicks (their buyers' orders) or from the orders placed in (since, until + window),
    # instead of reading every line item.
    return LineItem.objects.filter(
        Exists(earning_click),
        order__merchant=merchant,
        order__cancelled_at__isnull=True,
        order__customer_id__in=clicks.values("order__customer_id"),
        order__placed_at__gt=since,
        order__placed_at__lt=until + window,
    )


def crosssell_stats(*, merchant: Merchant, since: datetime, until: datetime) -> CrossSellStats:
    """Impressions, clicks, CTR and attributed revenue of one merchant's slots. Three queries."""
    impressions = (
        CrossSellImpression.objects.for_merchant(merchant)
        .filter(shown_at__gte=since, shown_at__lt=until)
        .count()
    )
    clicks = (
        CrossSellClick.objects.for_merchant(merchant)
        .filter(clicked_at__gte=since, clicked_at__lt=until)
        .count()
    )
    lines = crosssell_attributed_lines(merchant=merchant, since=since, until=until).aggregate(
        revenue=Sum(F("unit_price") * F("quantity")), orders=Count("order", distinct=True)
    )
    return CrossSellStats(
        impressions=impressions,
        clicks=clicks,
        attributed_orders=lines["orders"] or 0,
        attributed_revenue=lines["revenue"] or Decimal("0"),
    )
