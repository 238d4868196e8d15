"""The builders of the engine's own kinds: congratulation and shipment_update.

Wording comes from notifications.templating (merchant override or translated
default); the email layout (branding, order summary, benefits, testimonials,
unsubscribe) is ours, with inline CSS and tables so it holds up in mail clients.
"""

import datetime as dt
import functools

from django.conf import settings
from django.template.loader import get_template
from django.utils import formats, timezone, translation
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from notifications import rendering
from notifications.batch import batch_touchpoints, read_once
from notifications.builders import OutgoingEmail, OutgoingSms, register_builder
from notifications.defaults import default_headline
from notifications.models import MessagingPreferences, Touchpoint
from notifications.templatetags.email_blocks import SHARED_KEY
from notifications.templating import render_message_text, sms_normalize
from notifications.tokens import unsubscribe_url
from postpurchase.formatting import format_money

FONT_STACKS = {
    "system": "-apple-system, BlinkMacSystemFont, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif",
    "serif": "Georgia, 'Times New Roman', Times, serif",
    "rounded": "'Trebuchet MS', 'Segoe UI', Helvetica, Arial, sans-serif",
    "mono": "Menlo, Consolas, 'Courier New', monospace",
    "humanist": "Optima, Candara, 'Segoe UI', Calibri, Arial, sans-serif",
}


def money(amount, currency: str) -> str:
    """The format the tracking page and dashboard use, in the language the message is built in."""
    return _money(amount, currency, translation.get_language() or "en")


@functools.lru_cache(maxsize=4096)
def _money(amount, currency: str, lang: str) -> str:
    """format_money is a pure function of its arguments, and an email has ~8 prices, the
    same few (a shop's products) again and again: formatted once per process."""
    return format_money(amount, currency, lang)


def _date_text(day: dt.date, fmt: str = "DATE_FORMAT", *, language: str | None = None) -> str:
    """`formats.date_format` of a date in the current language, once per batch: the orders
    of a batch were mostly placed on the same few days."""
    return read_once(
        ("date-text", fmt, day, language or translation.get_language()),
        lambda: formats.date_format(day, fmt),
    )


def _related(order, name: str):
    """`order.<name>.all()`: the rows a batch prefetched, without the related manager
    Django builds on every access (four per email)."""
    cache = getattr(order, "_prefetched_objects_cache", None)
    if cache is not None and name in cache:
        return cache[name]
    return getattr(order, name).all()


def _template(name: str):
    """The loader's template, looked up once per batch."""
    return read_once(("email-template", name), lambda: get_template(name))


def _add_business_days(day: dt.date, days: int, business_days: set[int]) -> dt.date:
    while days > 0:
        day += dt.timedelta(days=1)
        if day.weekday() in business_days:
            days -= 1
    return day


def expected_delivery_text(order, language: str | None = None) -> str:
    """The carrier's estimate once a shipment has one, else the merchant's usual range."""
    estimates = [s.estimated_delivery for s in _related(order, "shipments") if s.estimated_delivery]
    if estimates:
        return _date_text(max(estimates))
    merchant = order.merchant
    placed = order.placed_at.astimezone(merchant.tzinfo).date()
    # The same for every order of the shop placed that day: once per batch and language.
    return read_once(
        ("delivery-range", merchant.pk, placed, language or translation.get_language()),
        lambda: _delivery_range_text(merchant, placed),
    )


def _delivery_range_text(merchant, placed: dt.date) -> str:
    try:
        prefs = merchant.messaging_preferences
        low, high = prefs.delivery_days_min, prefs.delivery_days_max
    except MessagingPreferences.DoesNotExist:
        low, high = 2, 5
    business_days = set(merchant.business_days or [0, 1, 2, 3, 4])
    first = _add_business_days(placed, low, business_days)
    last = _add_business_days(placed, max(high, low), business_days)
    if first == last:
        return _date_text(first)
    return f"{_date_text(first, 'MONTH_DAY_FORMAT')} – {_date_text(last)}"


def text_context(touchpoint: Touchpoint, shipment=None, language: str | None = None) -> dict:
    """The plain-string variables templates may use (notifications.templating).
    `language`: the active one, if the caller has it at hand."""
    language = language or translation.get_language()
    order = touchpoint.order
    merchant = touchpoint.merchant
    customer = order.customer
    context = {
        "customer_first_name": customer.first_name,
        "customer_name": customer.full_name,
        "shop_name": merchant.name,
        "order_number": order.number,
        "order_total": _money(order.total, order.currency, language or "en"),
        "tracking_url": order.tracking_url,
        "support_email": merchant.support_email,
        "support_phone": merchant.support_phone,
    }
    if touchpoint.kind == Touchpoint.Kind.CONGRATULATION:
        context["expected_delivery"] = expected_delivery_text(order, language)
        context["item_count"] = str(sum(item.quantity for item in _related(order, "items")))
    if shipment is not None:
        status = touchpoint.payload.get("status", shipment.status)
        latest = shipment.events.filter(status=status).order_by("-occurred_at").first()
        from orders.models import ShipmentStatus

        context.update(
            status_label=str(ShipmentStatus(status).label)
            if status in ShipmentStatus.values
            else status,
            carrier=shipment.carrier,
            tracking_number=shipment.tracking_number,
            delivery_url=f"{order.tracking_url}delivery/",
            estimated_delivery=_date_text(shipment.estimated_delivery, language=language)
            if shipment.estimated_delivery
            else "",
            location=latest.location if latest else "",
        )
    return context


def _paragraphs_html(text: str):
    parts = [p.strip() for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    return [mark_safe(escape(p).replace("\n", "<br>")) for p in parts]  # noqa: S308 - escaped


def _brand(merchant, *, locale: str) -> dict:
    """The shop's look and links, once per batch and language (an edit shows from the next
    batch on, as for every batch read). Being one dict per key within the batch, it tells
    the `{% shared %}` blocks that key instead of having them pickle it (email_blocks)."""
    key = ("email-brand", merchant.pk, locale)

    def read():
        return {**_branding_context(merchant, locale=locale), SHARED_KEY: key}

    return read_once(key, read)


def _branding_context(merchant, *, locale: str) -> dict:
    branding = getattr(merchant, "branding", None)
    logo_url = ""
    # The dashboard preview shows an unsaved logo (inline PNG) or its removal.
    preview_logo = getattr(branding, "_preview_logo_url", None)
    if preview_logo is not None:
        logo_url = preview_logo
    elif branding and branding.logo:
        logo_url = branding.logo.url
        if logo_url.startswith("/"):
            logo_url = settings.PUBLIC_BASE_URL + logo_url
    return {
        "shop_name": merchant.name,
        "logo_url": logo_url,
        "primary": branding.primary_color if branding else "#1f3a5f",
        "accent": branding.accent_color if branding else "#e07a5f",
        "background": branding.background_color if branding else "#f7f5f2",
        "text": branding.text_color if branding else "#1d1d1f",
        "font": FONT_STACKS.get(branding.font if branding else "system", FONT_STACKS["system"]),
        "banner": branding.banner_for(locale, default_locale=merchant.default_locale)
        if branding
        else "",
        "links": [
            link
            for link in (
                branding.shop_links_for(locale, default_locale=merchant.default_locale)
                if branding
                else []
            )
            if link["url"] and link["label"]
        ][:4],
        "website_url": merchant.website_url,
        "support_email": merchant.support_email,
        "support_phone": merchant.support_phone,
    }


def _record_template_error(touchpoint: Touchpoint, error: str) -> None:
    if error:
        payload = {**touchpoint.payload, "template_error": error[:500]}
        Touchpoint.objects.unscoped(reason="by primary key: the touchpoint being built").filter(
            pk=touchpoint.pk
        ).update(payload=payload)
        touchpoint.payload = payload


def _shipment(touchpoint: Touchpoint):
    """The update's shipment, from the order's shipments (prefetched for a batch)."""
    wanted = touchpoint.payload.get("shipment_id")
    return next((s for s in _related(touchpoint.order, "shipments") if s.pk == wanted), None)


def _order_content(order):
    """Benefits and testimonials for the order, from rows a batch reads once per merchant
    and language, and the categories of every product the batch's orders hold."""
    from orders.content import content_matching
    from orders.models import Benefit, Testimonial

    merchant, locale = order.merchant, order.locale
    skus = {item.sku for item in _related(order, "items") if item.sku}
    return content_matching(
        skus=skus,
        categories=_product_categories(order, skus),
        benefit_rows=read_once(
            ("benefits", merchant.pk, locale),
            lambda: list(Benefit.objects.for_merchant(merchant).filter(locale=locale)),
        ),
        testimonial_rows=read_once(
            ("testimonials", merchant.pk, locale),
            lambda: list(
                Testimonial.objects.for_merchant(merchant).filter(locale=locale, is_active=True)
            ),
        ),
    )


def _product_categories(order, skus: set[str]) -> set[str]:
    """The categories of the order's products. The first order of a merchant in a batch
    reads those of the whole batch's products (one query), the others find them known."""
    from orders.models import Product

    known = read_once(("product-categories", order.merchant_id), dict)  # sku -> category
    if not skus <= known.keys():
        wanted = skus | {
            item.sku
            for touchpoint in batch_touchpoints()
            if touchpoint.merchant_id == order.merchant_id
            and touchpoint.kind == Touchpoint.Kind.CONGRATULATION
            for item in _related(touchpoint.order, "items")
            if item.sku and item.sku not in known
        }
        found = dict(
            Product.objects.for_merchant(order.merchant)
            .filter(sku__in=wanted)
            .values_list("sku", "category")
        )
        known.update({sku: found.get(sku, "") for sku in wanted})
    return {known[sku] for sku in skus if known[sku]}


def _email_labels(language: str | None) -> dict[str, str]:
    """The layout's fixed words around the buyer's own data, in `language` (the active one),
    translated once per batch and language. As `{% translate %}` tags they cost a lazy
    string and a catalogue lookup each, a tenth of rendering an email (#16); the words
    of the shop's `{% shared %}` blocks stay in the templates (rendered once per batch)."""
    return read_once(
        ("email-labels", language),
        lambda: {
            "track_order": gettext("Track your order"),
            "choose_delivery": gettext("Choose how to get it"),
            "carrier": gettext("Carrier"),
            "delivered": gettext("Delivered"),
            "expected_delivery": gettext("Expected delivery"),
            "your_order": gettext("Your order"),
            "total": gettext("Total"),
            "delivery_address": gettext("Delivery address"),
            "unsubscribe": gettext("Unsubscribe"),
        },
    )


def build_email(touchpoint: Touchpoint, *, unsubscribe: str | None = None) -> OutgoingEmail:
    """The branded email of a congratulation or shipment update."""
    order = touchpoint.order
    merchant = touchpoint.merchant
    shipment = _shipment(touchpoint) if touchpoint.kind == Touchpoint.Kind.SHIPMENT_UPDATE else None
    status = touchpoint.payload.get("status", "")
    language = translation.get_language()  # the buyer's (the sender overrides it)
    texts = text_context(touchpoint, shipment, language)
    rendered = render_message_text(
        merchant=merchant,
        kind=touchpoint.kind,
        channel=Touchpoint.Channel.EMAIL,
        locale=order.locale,
        context=texts,
        shipment_status=status,
        language=language,
    )
    _record_template_error(touchpoint, rendered.error)
    lang = language or "en"
    items = [
        {
            "name": item.name,
            "quantity": item.quantity,
            "unit_price": _money(item.unit_price, order.currency, lang),
            "line_total": _money(item.line_total, order.currency, lang),
            "image_url": item.image_url,
            "product_url": item.product_url,
        }
        for item in _related(order, "items")
    ]
    address_lines = [
        order.customer.full_name,
        order.shipping_line1,
        order.shipping_line2,
        " ".join(p for p in (order.shipping_postal_code, order.shipping_city) if p),
        order.shipping_region,
        order.shipping_country,
    ]
    content = _order_content(order) if touchpoint.kind == Touchpoint.Kind.CONGRATULATION else None
    unsubscribe = unsubscribe or unsubscribe_url(touchpoint)
    context = {
        "LANG": language,  # what {% get_current_language %} gave, without asking again
        "kind": touchpoint.kind,
        "labels": _email_labels(language),
        "brand": _brand(merchant, locale=order.locale),
        "headline": read_once(
            ("email-headline", touchpoint.kind, status, language),
            lambda: default_headline(touchpoint.kind, status),
        ),
        "subject": rendered.subject,
        "paragraphs": _paragraphs_html(rendered.body),
        "body_text": rendered.body,
        "order": order,
        "order_number": order.number,
        "placed_on": _date_text(
            timezone.localtime(order.placed_at, merchant.tzinfo).date(), language=language
        ),
        "items": items,
        "total": texts["order_total"],
        "address_lines": [line for line in address_lines if line],
        "expected_delivery": texts.get("expected_delivery") or texts.get("estimated_delivery", ""),
        "tracking_url": order.tracking_url,
        "benefits": [b.text for b in content.benefits] if content else [],
        "testimonials": [
            {
                "quote": t.quote,
                "author": t.author_name,
                "detail": t.author_detail,
                "stars": "★" * t.rating if t.rating else "",
                "empty_stars": "★" * (5 - t.rating) if t.rating else "",
            }
            for t in (content.testimonials if content else [])
        ],
        "shipment": shipment,
        # A delivered parcel has a delivery date; its old estimate would only confuse.
        "delivered_on": _date_text(
            timezone.localtime(shipment.status_at, merchant.tzinfo).date(), language=language
        )
        if shipment is not None and status == "delivered" and shipment.status_at
        else "",
        "status_label": texts.get("status_label", ""),
        "is_problem": status in ("attempt_failed", "delayed", "exception", "returned_to_sender"),
        # A failed delivery the buyer can fix: the button opens that page (tracking/delivery/).
        "fix_url": f"{order.tracking_url}delivery/"
        if shipment is not None
        and status in ("attempt_failed", "exception", "available_for_pickup")
        else "",
        "unsubscribe_url": unsubscribe,
        "preheader": rendered.body.split("\n\n")[-1][:140] if rendered.body else "",
    }
    # The layout through notifications.rendering: Django's output with less work per node.
    html = rendering.render(
        _template("notifications/email/message.html"), context, language=language
    )
    text = rendering.render(
        _template("notifications/email/message.txt"), context, language=language
    )
    branding = getattr(merchant, "branding", None)
    reply_to = (branding.reply_to_email if branding else "") or merchant.support_email
    return OutgoingEmail(
        to=[order.customer.email],
        subject=rendered.subject,
        text=text,
        html=html,
        reply_to=[reply_to] if reply_to else [],
    )


def build_sms(touchpoint: Touchpoint) -> OutgoingSms:
    order = touchpoint.order
    shipment = _shipment(touchpoint) if touchpoint.kind == Touchpoint.Kind.SHIPMENT_UPDATE else None
    rendered = render_message_text(
        merchant=touchpoint.merchant,
        kind=touchpoint.kind,
        channel=Touchpoint.Channel.SMS,
        locale=order.locale,
        context=text_context(touchpoint, shipment),
        shipment_status=touchpoint.payload.get("status", ""),
    )
    _record_template_error(touchpoint, rendered.error)
    return OutgoingSms(to=order.customer.phone, body=sms_normalize(rendered.body))


register_builder(Touchpoint.Kind.CONGRATULATION, Touchpoint.Channel.EMAIL)(build_email)
register_builder(Touchpoint.Kind.SHIPMENT_UPDATE, Touchpoint.Channel.EMAIL)(build_email)
register_builder(Touchpoint.Kind.SHIPMENT_UPDATE, Touchpoint.Channel.SMS)(build_sms)
register_builder(Touchpoint.Kind.CONGRATULATION, Touchpoint.Channel.SMS)(build_sms)
