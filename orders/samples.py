"""A sample order for previews: real renderers, unsaved branding, nothing kept.

The sample order and the edited branding are written inside a transaction that is
always rolled back, so the tracking page and message renderers read them like any
real order (same queries, same templates) and no row survives the preview. Used by
the dashboard's branding preview and the message-template previews.
"""

import contextlib
import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from orders.models import (
    Customer,
    LineItem,
    Order,
    Product,
    Shipment,
    ShipmentEvent,
    ShipmentStatus,
)
from postpurchase.models import BRANDING_FIELDS, MERCHANT_CONTACT_FIELDS, Branding, Merchant

STATE_HISTORY = {
    "ordered": [],
    ShipmentStatus.LABEL_CREATED: [ShipmentStatus.LABEL_CREATED],
    ShipmentStatus.IN_TRANSIT: [ShipmentStatus.LABEL_CREATED, ShipmentStatus.IN_TRANSIT],
    ShipmentStatus.OUT_FOR_DELIVERY: [
        ShipmentStatus.LABEL_CREATED,
        ShipmentStatus.IN_TRANSIT,
        ShipmentStatus.OUT_FOR_DELIVERY,
    ],
    ShipmentStatus.AVAILABLE_FOR_PICKUP: [
        ShipmentStatus.LABEL_CREATED,
        ShipmentStatus.IN_TRANSIT,
        ShipmentStatus.AVAILABLE_FOR_PICKUP,
    ],
    ShipmentStatus.ATTEMPT_FAILED: [
        ShipmentStatus.LABEL_CREATED,
        ShipmentStatus.IN_TRANSIT,
        ShipmentStatus.OUT_FOR_DELIVERY,
        ShipmentStatus.ATTEMPT_FAILED,
    ],
    ShipmentStatus.DELAYED: [
        ShipmentStatus.LABEL_CREATED,
        ShipmentStatus.IN_TRANSIT,
        ShipmentStatus.DELAYED,
    ],
    ShipmentStatus.EXCEPTION: [
        ShipmentStatus.LABEL_CREATED,
        ShipmentStatus.IN_TRANSIT,
        ShipmentStatus.EXCEPTION,
    ],
    ShipmentStatus.DELIVERED: [
        ShipmentStatus.LABEL_CREATED,
        ShipmentStatus.IN_TRANSIT,
        ShipmentStatus.OUT_FOR_DELIVERY,
        ShipmentStatus.DELIVERED,
    ],
    ShipmentStatus.RETURNED_TO_SENDER: [
        ShipmentStatus.LABEL_CREATED,
        ShipmentStatus.IN_TRANSIT,
        ShipmentStatus.ATTEMPT_FAILED,
        ShipmentStatus.RETURNED_TO_SENDER,
    ],
}
SAMPLE_CUSTOMERS = {
    "da": ("Anna", "Holm", "Aarhus", "8000", "DK", "DKK"),
    "de": ("Lena", "Bergmann", "Hamburg", "20095", "DE", "EUR"),
    "en": ("Emma", "Clarke", "Manchester", "M1 1AE", "GB", "GBP"),
}
SAMPLE_ITEMS = [
    ("SAMPLE-SOFA", "Sofa, 3-seater", Decimal("7999.00")),
    ("SAMPLE-CUSHION", "Wool cushion", Decimal("349.00")),
]


class _Rollback(Exception):
    """Raised to undo everything the preview wrote."""


@contextlib.contextmanager
def sample_order(*, merchant: Merchant, state: str, locale: str, branding_values: dict):
    """Yield an order in `state`, for `locale`, seen with `branding_values`; then undo all."""
    try:
        with transaction.atomic():
            merchant = Merchant.objects.select_for_update().get(pk=merchant.pk)
            _apply_branding(merchant=merchant, values=branding_values)
            yield _build_order(merchant=merchant, state=state, locale=locale)
            raise _Rollback
    except _Rollback:
        pass


def _apply_branding(*, merchant: Merchant, values: dict) -> None:
    branding, _created = Branding.objects.get_or_create(merchant=merchant)
    for field in BRANDING_FIELDS:
        if field in values:
            setattr(branding, field, values[field])
    branding.save()
    for field in MERCHANT_CONTACT_FIELDS:
        if field in values:
            setattr(merchant, field, values[field])
    merchant.save()
    if "logo_url" in values:
        # An unsaved logo (data: URI) or "" for "remove"; both renderers honour it.
        branding._preview_logo_url = values["logo_url"]
    # Renderers reach branding through the merchant; give them the edited one.
    merchant.branding = branding


def _build_order(*, merchant: Merchant, state: str, locale: str) -> Order:
    first, last, city, postal, country, currency = SAMPLE_CUSTOMERS.get(
        locale, SAMPLE_CUSTOMERS["en"]
    )
    now = timezone.now()
    customer = Customer.objects.create(
        merchant=merchant,
        email=f"{first.lower()}.{last.lower()}@example.com",
        phone="+4520123456",
        first_name=first,
        last_name=last,
        locale=locale,
        consent_email=True,
        consent_sms=True,
    )
    products = list(
        Product.objects.for_merchant(merchant)
        .filter(is_active=True)
        .order_by("best_seller_rank", "name")[:2]
    )
    items = [
        (p.sku, p.name_for(locale), p.price or Decimal("499.00"), p.image_url, p.url)
        for p in products
    ]
    if not items:
        items = [(sku, name, price, "", "") for sku, name, price in SAMPLE_ITEMS]
    order = Order.objects.create(
        merchant=merchant,
        customer=customer,
        external_id="preview-sample",
        number="#1042",
        placed_at=now - dt.timedelta(days=3),
        currency=products[0].currency if products and products[0].currency else currency,
        total=sum((price for _sku, _name, price, _img, _url in items), Decimal("0")),
        locale=locale,
        shipping_line1="Strandvejen 12",
        shipping_city=city,
        shipping_postal_code=postal,
        shipping_country=country,
    )
    LineItem.objects.bulk_create(
        LineItem(
            order=order,
            sku=sku,
            name=name,
            quantity=1,
            unit_price=price,
            image_url=image,
            product_url=url,
            position=position,
        )
        for position, (sku, name, price, image, url) in enumerate(items)
    )
    history = STATE_HISTORY.get(state, STATE_HISTORY[ShipmentStatus.IN_TRANSIT])
    if history:
        first_at = now - dt.timedelta(days=2)
        shipment = Shipment.objects.create(
            merchant=merchant,
            order=order,
            carrier="GLS",
            tracking_number="00340434161234567890",
            estimated_delivery=(now + dt.timedelta(days=1)).date()
            if history[-1] != ShipmentStatus.DELIVERED
            else now.date(),
            status=history[-1],
            status_at=first_at + dt.timedelta(hours=10 * (len(history) - 1)),
        )
        locations = [city, "Hub " + city, city, city]
        ShipmentEvent.objects.for_merchant(merchant).bulk_create(
            ShipmentEvent(
                merchant=merchant,
                shipment=shipment,
                status=status,
                occurred_at=first_at + dt.timedelta(hours=10 * index),
                location=locations[index % len(locations)],
            )
            for index, status in enumerate(history)
        )
    return order
