"""The demo merchant `make run` loads: Nordic Living, a Danish furniture shop.

Orders go through the same services as the API (order_upsert, shipment_create,
shipment_event_record), so touchpoints are planned exactly as in production.
Loading is idempotent: an order that exists is left alone, so a second load
changes nothing and sends nothing.

Timelines are relative to the moment of the first load. Touchpoints caused by
events that happened long ago are settled as they would have been at the time
(sent, calls done); the newest order and recent events stay live, so the worker
visibly sends them when `make run` starts.

What is loaded is data: the shop in demo/shop.py, its orders in demo/scenario.py.
"""

import datetime as dt
import io
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from demo.images import demo_image_url
from demo.scenario import ADDRESSES, CURRENCY, CUSTOMERS, ORDERS, RAW, DemoOrder
from demo.shop import (
    ACCOUNT_MANAGER,
    API_KEY_NAME,
    BENEFITS,
    BRANDING,
    OWNER,
    PRODUCT_NAMES,
    PRODUCTS,
    SHOP,
    SLUG,
    TESTIMONIALS,
)
from followups.models import CallAttempt, FollowUpCall, Outcome
from followups.scheduling import next_business_day_start
from notifications.history import touchpoint_transition
from notifications.models import Touchpoint
from orders import services as order_services
from orders.models import Benefit, Order, Product, ShipmentEvent, Testimonial
from orders.serializers import OrderInput, ShipmentEventInput, ShipmentInput
from postpurchase.models import ApiKey, Branding, Membership, Merchant, User
from postpurchase.services import api_key_create, merchant_create

# Events older than this were "sent at the time"; newer ones are sent live.
LIVE_WINDOW = dt.timedelta(minutes=30)


def load_demo(*, now: dt.datetime | None = None, new_api_key: bool = False) -> dict:
    """Create or complete the demo merchant. Returns what was created (raw API key once)."""
    now = now or timezone.now()
    with transaction.atomic():
        merchant, created = _merchant()
        _people(merchant)
        _catalogue(merchant)
        raw_key = _api_key(merchant, force=new_api_key)
    new_orders = 0
    for spec in ORDERS:
        if Order.objects.for_merchant(merchant).filter(external_id=spec.external_id).exists():
            continue
        # One transaction per order: sends planned for it are queued after it commits.
        with transaction.atomic():
            _order(merchant, spec, now)
        new_orders += 1
    return {"merchant": merchant, "created": created, "new_orders": new_orders, "api_key": raw_key}


def _merchant() -> tuple[Merchant, bool]:
    merchant = Merchant.objects.filter(slug=SLUG).first()
    created = merchant is None
    if created:
        merchant = merchant_create(
            name="Nordic Living",
            slug=SLUG,
            timezone_name="Europe/Copenhagen",
            owner_email=OWNER["email"],
            locale="da",
        )
        merchant.website_url = f"{SHOP}/"
        merchant.support_email = "hej@nordicliving.example"
        merchant.support_phone = "+4570201234"
        merchant.save()
    branding, _ = Branding.objects.get_or_create(merchant=merchant)
    if created or not branding.logo:
        for name, value in BRANDING.items():
            setattr(branding, name, value)
        branding.logo.save("nordic-living.png", ContentFile(_logo_png()), save=False)
        branding.save()
    return merchant, created


def _people(merchant: Merchant) -> None:
    for person, role in ((OWNER, "owner"), (ACCOUNT_MANAGER, "account_manager")):
        user = User.objects.filter(email=person["email"]).first()
        if user is None:
            user = User.objects.create_user(
                person["email"], person["password"], full_name=person["name"]
            )
        elif not user.has_usable_password():
            # merchant_create made the owner without a password; the demo prints one.
            user.set_password(person["password"])
            user.full_name = user.full_name or person["name"]
            user.save(update_fields=["password", "full_name"])
        Membership.objects.for_merchant(merchant).get_or_create(
            user=user, defaults={"merchant": merchant, "role": role}
        )


def _catalogue(merchant: Merchant) -> None:
    for sku, name, category, price, rank, tags in PRODUCTS:
        slug = sku.lower()
        Product.objects.for_merchant(merchant).update_or_create(
            sku=sku,
            defaults={
                "merchant": merchant,
                "name": PRODUCT_NAMES[sku][0],
                "category": category,
                "tags": tags,
                "names": {"en": name, "de": PRODUCT_NAMES[sku][1]},
                "price": Decimal(price),
                "currency": "DKK",
                # Its prices for German (EUR) and English (GBP) buyers: no kroner for them.
                "prices": {
                    CURRENCY[locale][0]: str(_money(Decimal(price), locale))
                    for locale in ("de", "en")
                },
                "image_url": demo_image_url(slug),
                "url": f"{SHOP}/products/{slug}",
                "best_seller_rank": rank,
            },
        )
    benefits = Benefit.objects.for_merchant(merchant)
    for sku, category, *texts in BENEFITS:
        for locale, lines in zip(("en", "da", "de"), texts, strict=True):
            for position, text in enumerate(lines):
                benefits.get_or_create(
                    sku=sku,
                    category=category,
                    locale=locale,
                    position=position,
                    defaults={"merchant": merchant, "text": text},
                )
    testimonials = Testimonial.objects.for_merchant(merchant)
    for locale, author, detail, quote, rating, category in TESTIMONIALS:
        testimonials.get_or_create(
            locale=locale,
            author_name=author,
            defaults={
                "merchant": merchant,
                "author_detail": detail,
                "quote": quote,
                "rating": rating,
                "category": category,
            },
        )


def _api_key(merchant: Merchant, *, force: bool) -> str:
    keys = ApiKey.objects.for_merchant(merchant).filter(name=API_KEY_NAME, revoked_at__isnull=True)
    if keys.exists() and not force:
        return ""
    for key in keys:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return api_key_create(merchant=merchant, name=API_KEY_NAME)[1]


def _money(amount: Decimal, locale: str) -> Decimal:
    rate = CURRENCY[locale][1]
    if rate == 1:
        return amount
    return (amount / rate).quantize(Decimal("1")) - Decimal("0.05")


def _order(merchant: Merchant, spec: DemoOrder, now: dt.datetime) -> Order:
    person = CUSTOMERS[spec.customer]
    locale = person["locale"]
    products = {p.sku: p for p in Product.objects.for_merchant(merchant)}
    items = [
        {
            "sku": sku,
            "name": products[sku].name_for(locale),
            "quantity": quantity,
            "unit_price": str(_money(products[sku].price, locale)),
            "image_url": _api_url(products[sku].image_url),
            "product_url": products[sku].url,
        }
        for sku, quantity in spec.items
    ]
    line1, city, postal_code, country = ADDRESSES[spec.customer]
    payload = {
        "external_id": spec.external_id,
        "number": f"NL-{spec.external_id}",
        "placed_at": (now - dt.timedelta(hours=spec.hours_ago)).isoformat(),
        "currency": CURRENCY[locale][0],
        "total": str(sum(Decimal(i["unit_price"]) * i["quantity"] for i in items)),
        "locale": locale,
        "customer": {k: v for k, v in person.items() if k != "locale"},
        "shipping_address": {
            "line1": line1,
            "city": city,
            "postal_code": postal_code,
            "country": country,
        },
        "items": items,
    }
    order = order_services.order_upsert(merchant=merchant, data=_valid(OrderInput, payload)).order
    for plan in spec.shipments:
        shipment_payload = {"carrier": plan.carrier, "tracking_number": plan.tracking_number}
        if plan.eta_days is not None:
            eta = (now + dt.timedelta(days=plan.eta_days)).astimezone(merchant.tzinfo).date()
            shipment_payload["estimated_delivery"] = eta.isoformat()
        if plan.skus:
            shipment_payload["items"] = [{"sku": sku} for sku in plan.skus]
        shipment = order_services.shipment_create(
            merchant=merchant, order=order, data=_valid(ShipmentInput, shipment_payload)
        )
        for status, hours_ago, location in plan.events:
            raw_status, message = RAW[status]
            event = {
                "status": status,
                "occurred_at": (now - dt.timedelta(hours=hours_ago)).isoformat(),
                "location": location,
                "message": message,
                "raw_status": raw_status,
            }
            order_services.shipment_event_record(
                merchant=merchant, shipment=shipment, data=_valid(ShipmentEventInput, event)
            )
            # Settled event by event: an update not yet sent is superseded by the next.
            _settle_history(merchant, order, now)
    _settle_history(merchant, order, now)
    return order


def _api_url(url: str) -> str:
    """The picture's URL where the API takes it: a PUBLIC_BASE_URL on a one-word host (a
    compose service name, the tests' "testserver") is no URL to it, so the item goes
    without (its page shows the placeholder; the catalogue keeps the picture)."""
    try:
        URLValidator()(url)
    except ValidationError:
        return ""
    return url


def _valid(serializer_class, payload: dict) -> dict:
    serializer = serializer_class(data=payload)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


# Calls about orders of the last two days before today are left for today's queue.
RECENT_CALL_DAYS = dt.timedelta(days=2)


def _settle_history(merchant: Merchant, order: Order, now: dt.datetime) -> None:
    """Make touchpoints of past causes look as they would have: sent, or call done.

    Planning uses "now" as the due time; for a demo loaded after the fact, that
    would send a pile of stale updates at once. Only the recent ones stay live.
    """
    events = {
        e.pk: e for e in ShipmentEvent.objects.for_merchant(merchant).filter(shipment__order=order)
    }
    today = now.astimezone(merchant.tzinfo).date()
    scheduled = (Touchpoint.Status.SCHEDULED,)
    for touchpoint in Touchpoint.objects.for_merchant(merchant).filter(order=order):
        if touchpoint.kind == Touchpoint.Kind.FOLLOWUP_CALL:
            due = next_business_day_start(merchant=merchant, after=order.placed_at)
            placed_on = order.placed_at.astimezone(merchant.tzinfo).date()
            done = due.date() < today and placed_on < today - RECENT_CALL_DAYS
            if done:
                touchpoint_transition(
                    touchpoint=touchpoint,
                    to_status=Touchpoint.Status.DONE,
                    from_statuses=scheduled,
                    reason="demo history: called at the time",
                    due_at=due,
                    sent_at=due + dt.timedelta(minutes=50),
                )
            elif placed_on < today:
                # The queue has work whatever day the demo is loaded (a Saturday too):
                # calls about the last days' orders are due today, not on Monday.
                due = dt.datetime.combine(today, _business_start(merchant), tzinfo=merchant.tzinfo)
            _settle_call(merchant, touchpoint, due=due, done=done)
            cause_at = due
        else:
            event = events.get((touchpoint.payload or {}).get("event_id"))
            cause_at = event.occurred_at if event else order.placed_at
            if cause_at < now - LIVE_WINDOW:
                touchpoint_transition(
                    touchpoint=touchpoint,
                    to_status=Touchpoint.Status.SENT,
                    from_statuses=scheduled,
                    reason="demo history: sent at the time",
                    due_at=cause_at,
                    sent_at=cause_at + dt.timedelta(minutes=2),
                )
        # Skipped ones too: their due time is when the cause happened, not the load.
        Touchpoint.objects.for_merchant(merchant).filter(pk=touchpoint.pk).update(due_at=cause_at)


def _business_start(merchant: Merchant) -> dt.time:
    start = merchant.business_hours_start
    return dt.time.fromisoformat(start) if isinstance(start, str) else start


def _settle_call(merchant: Merchant, touchpoint: Touchpoint, *, due, done: bool) -> None:
    """The call mirrors its touchpoint: done at the time (a happy buyer), or due at `due`."""
    call = FollowUpCall.objects.for_merchant(merchant).filter(touchpoint=touchpoint).first()
    if call is None or not call.is_open:
        return
    call.due_at = due
    if done:
        called_at = due + dt.timedelta(minutes=50)
        CallAttempt.objects.create(
            merchant=merchant,
            call=call,
            by=call.assignee,
            outcome=Outcome.REACHED_HAPPY,
            note="Happy with the order.",
            created_at=called_at,
        )
        call.status = FollowUpCall.Status.COMPLETED
        call.outcome = Outcome.REACHED_HAPPY
        call.attempts = 1
        call.completed_at = called_at
    call.save()


def _logo_png() -> bytes:
    """A simple wordmark in the brand colours, drawn here so no image file is committed."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGBA", (480, 120), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((8, 20, 88, 100), radius=18, fill=BRANDING["primary_color"])
    draw.polygon([(28, 80), (48, 40), (68, 80)], fill=BRANDING["accent_color"])
    try:
        font = ImageFont.load_default(size=44)
    except TypeError:  # Pillow without FreeType: the small bitmap font still reads
        font = ImageFont.load_default()
    draw.text((108, 34), "Nordic Living", font=font, fill=BRANDING["primary_color"])
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
