"""The tracking page, rendered: context from an order, HTML cached by version, and the preview.

`render_tracking_page()` is the one renderer: the live page, the cache and the
dashboard's branding preview all go through `build_page()`, so the preview shows
exactly what buyers get.
"""

import secrets
import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import prefetch_related_objects
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from orders.content import order_content
from orders.models import Order, ShipmentStatus
from postpurchase.formatting import format_date, format_money, format_time
from postpurchase.models import Branding
from tracking import cache as page_cache
from tracking import headers, progress, selectors
from tracking.carrier_links import carrier_name, carrier_tracking_url
from tracking.delivery.services import NEEDS_ANSWER
from tracking.theme import STYLESHEET_VERSION, Theme, theme_for_branding

LANGUAGE_CODES = {code for code, _name in settings.LANGUAGES}


def safe_url(value: str) -> str:
    """`value` if it is an absolute http(s) URL or a site path, else "" (no javascript:)."""
    value = (value or "").strip()
    if value.startswith("/") and not value.startswith("//"):
        return value
    try:
        parts = urlsplit(value)
    except ValueError:
        return ""
    return value if parts.scheme in ("http", "https") and parts.netloc else ""


def url_origin(value: str) -> str:
    parts = urlsplit(value)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") else ""


def page_locale(order: Order, requested: str | None) -> str:
    if requested in LANGUAGE_CODES:
        return requested
    return order.locale if order.locale in LANGUAGE_CODES else "en"


def local_zone(order: Order) -> zoneinfo.ZoneInfo:
    """The buyer's time zone when we know it, else the merchant's."""
    for name in (getattr(order.customer, "timezone", ""), order.merchant.timezone):
        try:
            if name:
                return zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            continue
    return zoneinfo.ZoneInfo("UTC")


def _branding_for(order: Order, override) -> Branding:
    """The merchant's saved branding, or unsaved values laid over it (the preview)."""
    try:
        saved = order.merchant.branding
    except Branding.DoesNotExist:
        saved = Branding(merchant=order.merchant)
    if override is None:
        return saved
    if isinstance(override, Branding):
        return override
    merged = Branding(
        **{
            f.attname: getattr(saved, f.attname)
            for f in Branding._meta.concrete_fields
            if f.attname != "id"
        }
    )
    for name, value in dict(override).items():
        if name == "logo_url":
            merged._preview_logo_url = value
        elif hasattr(merged, name):
            setattr(merged, name, value)
    return merged


def _logo_url(branding: Branding) -> str:
    preview = getattr(branding, "_preview_logo_url", None)
    if preview is not None:
        # The dashboard preview's unsaved logo comes inline: our own re-encoded PNG.
        return preview if preview.startswith("data:image/png;base64,") else safe_url(preview)
    try:
        return safe_url(branding.logo.url) if branding.logo else ""
    except ValueError:
        return ""


def _shop_links(branding: Branding, *, locale: str, default_locale: str) -> list[dict]:
    links = []
    for entry in branding.shop_links_for(locale, default_locale=default_locale)[:5]:
        label, url = entry["label"][:40].strip(), safe_url(entry["url"])
        if label and url:
            links.append({"label": label, "url": url})
    return links


@dataclass
class PageParts:
    """What the template needs besides the order: computed once per render."""

    zone: zoneinfo.ZoneInfo
    today: date
    locale: str
    image_origins: set[str] = field(default_factory=set)


def _image(parts: PageParts, url: str) -> str:
    url = safe_url(url)
    origin = url_origin(url)
    if origin:
        parts.image_origins.add(origin)
    return url


def _estimate(shipment, parts: PageParts, merchant_name: str) -> tuple[str, str]:
    """The one plain sentence at the top of a shipment, and a smaller line under it."""
    loc, today = parts.locale, parts.today
    status, eta = shipment.status, shipment.estimated_delivery
    when = shipment.status_at.astimezone(parts.zone) if shipment.status_at else None

    def on(day: date) -> str:
        if day == today:
            return _("today")
        if day == today + timedelta(days=1):
            return _("tomorrow")
        return format_date(day, loc)

    if status == ShipmentStatus.DELIVERED:
        detail = (
            _("%(day)s at %(time)s") % {"day": on(when.date()), "time": format_time(when, loc)}
            if when
            else ""
        )
        return _("Delivered"), detail
    if status == ShipmentStatus.RETURNED_TO_SENDER:
        return _("On its way back to %(shop)s") % {"shop": merchant_name}, ""
    if status == ShipmentStatus.AVAILABLE_FOR_PICKUP:
        return _("Ready for pickup"), _("Bring your ID or the pickup code from the carrier.")
    if status == ShipmentStatus.OUT_FOR_DELIVERY:
        return _("Arriving today"), _("Your parcel is out with the driver.")
    if status == ShipmentStatus.DELAYED:
        if eta and eta >= today:
            return _("Delayed — new estimate %(day)s") % {"day": on(eta)}, ""
        return _("Delayed — a new estimate is on its way"), ""
    if status == ShipmentStatus.ATTEMPT_FAILED:
        return _("We missed you"), (
            _("Next attempt expected %(day)s") % {"day": on(eta)} if eta and eta >= today else ""
        )
    if status == ShipmentStatus.EXCEPTION:
        return _("There's a problem with the delivery"), ""
    if eta:
        if eta < today:
            return _("Running late — expected soon"), _("It was due %(day)s.") % {
                "day": format_date(eta, loc)
            }
        if eta == today:
            return _("Arriving today"), ""
        if eta == today + timedelta(days=1):
            return _("Arriving tomorrow"), format_date(eta, loc)
        return _("Arriving %(day)s") % {"day": format_date(eta, loc)}, ""
    if status == ShipmentStatus.LABEL_CREATED:
        return _("Getting ready to ship"), _("The carrier will pick it up soon.")
    return _("On the way"), _("The carrier will share a delivery date soon.")


def _money(amount, order: Order, loc: str) -> str:
    return format_money(amount, order.currency, loc)


def _context(order: Order, *, locale: str, branding: Branding, csrf_placeholder: str) -> dict:
    merchant = order.merchant
    zone = local_zone(order)
    parts = PageParts(zone=zone, today=timezone.now().astimezone(zone).date(), locale=locale)
    prefetch_related_objects([order], "items")
    items, shipments = selectors.order_page_data(order)
    settings_row = selectors.tracking_settings_for(merchant)

    item_views = {
        item.pk: {
            "name": item.name,
            "quantity": item.quantity,
            "image": _image(parts, item.image_url),
            "price": _money(item.line_total, order, locale),
        }
        for item in items
    }

    shipment_views = []
    for number, shipment in enumerate(shipments, start=1):
        headline, detail = _estimate(shipment, parts, merchant.name)
        events = []
        for event in shipment.events.all():
            at = event.occurred_at.astimezone(zone)
            events.append(
                {
                    "label": progress.STATUS_LABELS.get(event.status, event.status),
                    "date": format_date(at.date(), locale, style="short"),
                    "time": format_time(at, locale),
                    "iso": at.isoformat(),
                    "location": event.location,
                    "message": progress.carrier_text(event),
                    "tone": progress.status_tone(event.status),
                }
            )
        shipment_views.append(
            {
                "number": number,
                "status": shipment.status,
                "status_label": progress.STATUS_LABELS.get(shipment.status, shipment.status),
                "headline": headline,
                "detail": detail,
                "tone": progress.status_tone(shipment.status),
                "steps": progress.progress_steps(
                    shipment.status,
                    via_pickup=any(
                        e.status == ShipmentStatus.AVAILABLE_FOR_PICKUP
                        for e in shipment.events.all()
                    ),
                ),
                "carrier": carrier_name(shipment.carrier),
                "tracking_number": shipment.tracking_number,
                "carrier_url": carrier_tracking_url(shipment.carrier, shipment.tracking_number),
                "problem": progress.problem_notice(shipment.status, merchant.name),
                # A failed delivery the buyer can fix on their own page (tracking/delivery/).
                "fix_url": (
                    reverse("tracking:delivery", kwargs={"token": order.tracking_token})
                    + f"?lang={locale}"
                    if shipment.status in NEEDS_ANSWER
                    else ""
                ),
                "events": events,
                "items": [
                    {**item_views[si.line_item_id], "quantity": si.quantity}
                    for si in shipment.items.all()
                    if si.line_item_id in item_views
                ],
            }
        )

    if order.cancelled_at is not None:
        hero = {
            "headline": _("This order was cancelled"),
            "detail": _("Questions? %(shop)s is happy to help.") % {"shop": merchant.name},
            "tone": "problem",
        }
    elif not shipments:
        hero = {
            "headline": _("We're getting your order ready"),
            "detail": _("You'll see the delivery date here as soon as it ships."),
            "tone": "active",
        }
    else:
        open_ones = [v for v in shipment_views if v["status"] != ShipmentStatus.DELIVERED]
        lead = open_ones[0] if open_ones else shipment_views[0]
        hero = {"headline": lead["headline"], "detail": lead["detail"], "tone": lead["tone"]}
        if len(shipments) > 1:
            hero["summary"] = _("%(done)s of %(total)s packages delivered") % {
                "done": len(shipments) - len(open_ones),
                "total": len(shipments),
            }
    delivered = any(s.status == ShipmentStatus.DELIVERED for s in shipments)

    in_trouble = any(s.status in progress.NO_CROSSSELL_STATUSES for s in shipments)
    recommendations = (
        []
        if in_trouble
        else selectors.crosssell_recommendations(
            order=order, items=items, limit=settings_row.crosssell_slots
        )
    )
    slots = []
    for slot, rec in enumerate(recommendations, start=1):
        product = rec.product
        price = product.price_in(order.currency)
        if rec.reason == "upgrade":
            reason = _("Upgrade")
        elif rec.reason == "best_seller":
            reason = _("Best seller")
        elif rec.because_of:
            reason = _("Goes with your %(item)s") % {"item": rec.because_of}
        else:
            reason = _("Goes well with your order")
        slots.append(
            {
                "slot": slot,
                "product_id": product.pk,
                "name": product.name_for(locale),
                "image": _image(parts, product.image_url),
                # Only a price in the buyer's currency: another one would read as theirs.
                "price": format_money(price, order.currency, locale) if price is not None else "",
                "reason": reason,
                "href": reverse(
                    "tracking:click",
                    kwargs={"token": order.tracking_token, "product_id": product.pk, "slot": slot},
                ),
            }
        )

    content = order_content(order=order, locale=locale)
    rating = selectors.order_rating(order) if delivered else None
    theme: Theme = theme_for_branding(branding)
    page_url = reverse("tracking:page", kwargs={"key": order.tracking_token})
    return {
        "locale": locale,
        "languages": [
            {
                "code": code,
                "name": name,
                "url": f"{page_url}?lang={code}",
                "current": code == locale,
            }
            for code, name in settings.LANGUAGES
        ],
        "brand": brand_context(merchant, branding, locale=locale),
        "theme": theme,
        "theme_url": theme_url(theme),
        "order": {
            "number": order.number,
            "placed_on": format_date(order.placed_at.astimezone(zone).date(), locale, style="year"),
            "items": list(item_views.values()),
            "total": _money(order.total, order, locale),
            "cancelled": order.cancelled_at is not None,
        },
        "hero": hero,
        # One package (or none yet): its progress sits in the top card.
        "hero_steps": None
        if order.cancelled_at is not None or len(shipment_views) > 1
        else shipment_views[0]["steps"]
        if shipment_views
        else progress.progress_steps(None),
        "shipments": shipment_views,
        "slots": slots,
        "benefits": [b.text for b in content.benefits],
        "testimonials": [
            {
                "quote": t.quote,
                "author": t.author_name,
                "detail": t.author_detail,
                "rating": t.rating,
            }
            for t in content.testimonials
        ]
        if settings_row.show_testimonials
        else [],
        "show_rating": delivered,
        "rating": {"score": rating.score, "comment": rating.comment} if rating else None,
        "rating_scale": [1, 2, 3, 4, 5],
        "rating_url": reverse("tracking:rating", kwargs={"token": order.tracking_token}),
        "csrf_placeholder": csrf_placeholder,
        "zone_name": str(zone),
        "_parts": parts,
    }


def brand_context(merchant, branding: Branding, *, locale: str) -> dict:
    default = merchant.default_locale
    return {
        "name": merchant.name,
        "logo": _logo_url(branding),
        "website": safe_url(merchant.website_url),
        "links": _shop_links(branding, locale=locale, default_locale=default),
        "banner": branding.banner_for(locale, default_locale=default),
        "support_email": merchant.support_email,
        "support_phone": merchant.support_phone,
    }


def theme_url(theme: Theme) -> str:
    return f"{reverse('tracking:theme')}?{theme.query}&v={STYLESHEET_VERSION}"


def branded_page_context(merchant, *, page_url: str, locale: str) -> dict:
    """What every merchant-branded buyer page around a form needs: brand, theme, languages."""
    try:
        branding = merchant.branding
    except Branding.DoesNotExist:
        branding = Branding(merchant=merchant)
    theme = theme_for_branding(branding)
    return {
        "locale": locale,
        "languages": [
            {
                "code": code,
                "name": name,
                "url": f"{page_url}?lang={code}",
                "current": code == locale,
            }
            for code, name in settings.LANGUAGES
        ],
        "brand": brand_context(merchant, branding, locale=locale),
        "theme": theme,
        "theme_url": theme_url(theme),
        "action": f"{page_url}?lang={locale}",
    }


def lookup_context(merchant, *, locale: str, form, error: str) -> dict:
    """The merchant-branded order lookup page."""
    page_url = reverse("tracking:page", kwargs={"key": merchant.slug})
    return {
        **branded_page_context(merchant, page_url=page_url, locale=locale),
        "form": form,
        "error": error,
    }


@dataclass(frozen=True)
class RenderedPage:
    html: str
    csrf_placeholder: str  # replaced by the request's CSRF token when served
    slots: tuple[tuple[int, int], ...]  # (product_id, slot) shown, for impressions
    image_origins: tuple[str, ...]  # for the CSP's img-src


def build_page(order: Order, *, locale: str, branding_override=None) -> RenderedPage:
    branding = _branding_for(order, branding_override)
    placeholder = f"csrf-{secrets.token_hex(16)}"
    with translation.override(locale):
        context = _context(order, locale=locale, branding=branding, csrf_placeholder=placeholder)
        html = render_to_string("tracking/page.html", context)
    return RenderedPage(
        html=html,
        csrf_placeholder=placeholder,
        slots=tuple((s["product_id"], s["slot"]) for s in context["slots"]),
        image_origins=tuple(sorted(context["_parts"].image_origins)),
    )


def render_tracking_page(order: Order, branding_override=None, locale: str | None = None) -> str:
    """The real tracking page of `order` as HTML, optionally with unsaved branding values.

    For the dashboard's live preview: `branding_override` is an unsaved `Branding`
    or a dict of its fields (plus `logo_url`). Forms on the preview carry no CSRF
    token, so nothing can be submitted from it.
    """
    page = build_page(order, locale=page_locale(order, locale), branding_override=branding_override)
    return page.html.replace(page.csrf_placeholder, "")


def end_of_local_day(order: Order) -> float:
    """When the buyer's "today" ends (epoch seconds): the page says "today", "tomorrow"."""
    zone = local_zone(order)
    today = timezone.now().astimezone(zone).date()
    return datetime.combine(today + timedelta(days=1), time.min, tzinfo=zone).timestamp()


def page_for_token(
    order: Order, *, token: str, lang: str, ids, versions: page_cache.Versions | None
) -> page_cache.CachedPage:
    """Render the page and keep it in the cache under `versions`, read before the order.

    `ids` are the (order, merchant, customer) those versions belong to; when the
    order moved in between, the page is served but not kept.
    """
    locale = page_locale(order, lang or None)
    valid_until = end_of_local_day(order)  # before rendering: a render across midnight expires
    page = build_page(order, locale=locale)
    cached = page_cache.CachedPage(
        page=page,
        locale=locale,
        headers=headers.page_headers(image_origins=page.image_origins, locale=locale),
    )
    if versions is not None and tuple(ids) == (order.pk, order.merchant_id, order.customer_id):
        page_cache.page_store(
            token=token,
            lang=lang,
            cached=cached,
            ids=ids,
            versions=versions,
            valid_until=valid_until,
        )
    return cached


__all__ = ["build_page", "page_for_token", "page_locale", "render_tracking_page"]
