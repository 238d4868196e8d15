"""The reassurance content of an order: benefits and testimonials that fit it.

Shared by the congratulation email and the tracking page, so both say the same.
Matched by product (sku), then by category, then the merchant's general ones.
"""

from dataclasses import dataclass

from orders.models import Benefit, Order, Product, Testimonial


@dataclass(frozen=True)
class OrderContent:
    benefits: list[Benefit]
    testimonials: list[Testimonial]


def _best_match(rows, *, skus: set[str], categories: set[str], limit: int) -> list:
    by_sku = [r for r in rows if r.sku and r.sku in skus]
    by_category = [r for r in rows if not r.sku and r.category and r.category in categories]
    general = [r for r in rows if not r.sku and not r.category]
    chosen = by_sku or by_category or general
    return chosen[:limit]


def order_content(
    *, order: Order, locale: str | None = None, benefits: int = 3, testimonials: int = 2
) -> OrderContent:
    """Three queries at most, whatever the size of the order."""
    merchant = order.merchant
    locale = locale or order.locale
    skus = {item.sku for item in order.items.all() if item.sku}
    categories = set(
        Product.objects.for_merchant(merchant)
        .filter(sku__in=skus)
        .exclude(category="")
        .values_list("category", flat=True)
    )
    benefit_rows = list(Benefit.objects.for_merchant(merchant).filter(locale=locale))
    testimonial_rows = list(
        Testimonial.objects.for_merchant(merchant).filter(locale=locale, is_active=True)
    )
    return content_matching(
        skus=skus,
        categories=categories,
        benefit_rows=benefit_rows,
        testimonial_rows=testimonial_rows,
        benefits=benefits,
        testimonials=testimonials,
    )


def content_matching(
    *,
    skus: set[str],
    categories: set[str],
    benefit_rows: list[Benefit],
    testimonial_rows: list[Testimonial],
    benefits: int = 3,
    testimonials: int = 2,
) -> OrderContent:
    """What `order_content` chooses, from rows already read (a send batch reads them once)."""
    return OrderContent(
        benefits=_best_match(benefit_rows, skus=skus, categories=categories, limit=benefits),
        testimonials=_best_match(
            testimonial_rows, skus=skus, categories=categories, limit=testimonials
        ),
    )
