"""Reads the dashboard shell shows: the overview and optional sections of other apps."""

import datetime as dt

from django.db.models import Count, Q
from django.utils import dateformat, timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from notifications.models import Touchpoint
from orders.models import Order
from orders.risk import orders_at_risk
from postpurchase.models import Membership, Merchant
from tracking.models import Rating, TrackingVisit


def overview(*, merchant: Merchant, membership: Membership) -> dict:
    since = timezone.now() - dt.timedelta(days=7)
    orders = Order.objects.for_merchant(merchant).filter(placed_at__gte=since)
    sent = Touchpoint.objects.for_merchant(merchant).filter(
        sent_at__gte=since, kind=Touchpoint.Kind.CONGRATULATION
    )
    visits = TrackingVisit.objects.for_merchant(merchant).filter(visited_at__gte=since)
    ratings = Rating.objects.for_merchant(merchant).filter(created_at__gte=since)
    from orders.listing import attention_reasons

    at_risk = orders_at_risk(merchant=merchant)
    at_risk_shown = list(at_risk.select_related("customer").order_by("-placed_at")[:8])
    # "Needs attention" says why, as the orders list does.
    reasons = attention_reasons(merchant=merchant, order_ids=[o.pk for o in at_risk_shown])
    for order in at_risk_shown:
        order.attention_reasons = reasons.get(order.pk, [])
    return {
        "my_calls": my_calls_due(merchant=merchant, membership=membership),
        "orders": orders.count(),
        "congratulations_sent": sent.count(),
        "visits": visits.count(),
        "ratings": ratings.aggregate(n=Count("id"))["n"],
        "at_risk_count": at_risk.count(),
        "at_risk": at_risk_shown,
        "recent": list(
            Order.objects.for_merchant(merchant)
            .select_related("customer")
            .order_by("-placed_at")[:8]
        ),
    }


def my_calls_due(*, merchant: Merchant, membership: Membership) -> dict:
    """The signed-in person's open follow-up calls: due by tonight, and overdue."""
    from followups.models import FollowUpCall

    now = timezone.now()
    tonight = dt.datetime.combine(
        now.astimezone(merchant.tzinfo).date() + dt.timedelta(days=1),
        dt.time.min,
        tzinfo=merchant.tzinfo,
    )
    return (
        FollowUpCall.objects.for_merchant(merchant)
        .filter(assignee=membership.user, status__in=FollowUpCall.OPEN_STATUSES)
        .aggregate(
            today=Count("id", filter=Q(due_at__lt=tonight)),
            overdue=Count("id", filter=Q(due_at__lt=now)),
        )
    )


def preview_choices(*, merchant: Merchant, request) -> dict:
    from orders.models import ShipmentStatus
    from postpurchase.models import LOCALES

    states = [("ordered", _("Ordered, not shipped")), *ShipmentStatus.choices]
    return {
        "states": states,
        "locales": LOCALES,
        "default_locale": merchant.default_locale,
    }


def integration_secrets(*, merchant: Merchant) -> list[dict]:
    """The shop integrations with the webhook URL to paste into the shop's admin.

    Secrets are write-only here: shown never, replaced by connecting again.
    """
    from django.conf import settings
    from django.urls import reverse

    from orders.integrations.models import Integration, Platform

    connected = {i.platform: i for i in Integration.objects.for_merchant(merchant)}
    rows = []
    for platform, label in Platform.choices:
        integration = connected.get(platform)
        path = reverse(f"integrations:{platform}-webhook", kwargs={"merchant_slug": merchant.slug})
        rows.append(
            {
                "platform": platform,
                "label": label,
                "webhook_url": f"{settings.PUBLIC_BASE_URL}{path}",
                "connected": bool(integration and integration.is_active),
                "updated_at": integration.updated_at if integration else None,
            }
        )
    return rows


def branding_preview_values(*, merchant: Merchant, params, user=None) -> dict:
    """The edited branding values from the preview's query string.

    Only fields the request names are taken, and only if valid: a half-typed colour
    keeps showing the saved one instead of breaking the preview. A logo `user` chose
    (`preview_logo` token) shows instead of the saved one, as saving would do;
    `remove_logo` without one shows none.
    """
    from dashboard.forms import BrandingForm
    from dashboard.preview import preview_logo_data_uri
    from postpurchase.models import Branding

    instance = Branding.objects.filter(merchant=merchant).first() or Branding(merchant=merchant)
    form = BrandingForm(params, instance=instance, merchant=merchant)
    form.is_valid()
    cleaned = getattr(form, "cleaned_data", {})
    values = {
        name: cleaned[name]
        for name in cleaned
        if name in params and name not in ("logo_upload", "remove_logo")
    }
    if any(key.startswith("link_") for key in params) and "shop_links" in cleaned:
        values["shop_links"] = cleaned["shop_links"]
    if any(key.startswith("banner_message_") for key in params) and "banner_messages" in cleaned:
        values["banner_messages"] = cleaned["banner_messages"]
    chosen_logo = user and preview_logo_data_uri(
        merchant=merchant, user=user, token=params.get("preview_logo", "")
    )
    if chosen_logo:
        values["logo_url"] = chosen_logo
    elif cleaned.get("remove_logo"):
        values["logo_url"] = ""
    return values


def _delta(current, previous) -> dict | None:
    if current is None or previous is None:
        return None
    if previous == 0:
        return {
            "direction": "up" if current > 0 else "flat",
            "text": pgettext("metric change", "new") if current else "±0",
        }
    change = (current - previous) / previous
    direction = "flat" if abs(change) < 0.005 else ("up" if change > 0 else "down")
    return {"direction": direction, "text": f"{change * 100:+.0f}%"}


def _display(value, kind: str) -> str:
    if value is None:
        return "—"
    # number_format writes the viewer's decimal and thousands separators (12,5 % in da/de).
    if kind == "rate":
        percent = round(value * 100, 1)
        return number_format(percent, 0 if percent == int(percent) else 1) + "%"
    if kind == "money":
        return number_format(value, 2, force_grouping=True)
    if isinstance(value, float):
        digits = f"{value:g}".partition(".")[2]
        return number_format(value, len(digits))
    return str(value)


def metrics_page(*, merchant: Merchant, period) -> dict:
    """Everything the metrics page draws: headline cards and chart geometry."""
    from dashboard import charts
    from dashboard import metrics as m

    previous_period = period.previous()
    current = m.all_metrics(merchant=merchant, period=period)
    previous = m.all_metrics(merchant=merchant, period=previous_period)

    def card(section, key, label, *, kind="count", bad_when_up=False, hint=""):
        cur, prev = m.lookup(current, section, key), m.lookup(previous, section, key)
        return {
            "label": label,
            "value": cur,
            "previous": prev,
            "display": _display(cur, kind),
            "previous_display": _display(prev, kind),
            "kind": kind,
            "delta": _delta(cur, prev),
            "bad_when_up": bad_when_up,
            "hint": hint,
        }

    cards = [
        card("outcomes", "orders", _("Orders placed")),
        card("congratulations", "sent", _("Congratulations sent")),
        card(
            "visits",
            "visits_per_order",
            _("Tracking visits per order"),
            kind="number",
            bad_when_up=True,
            hint=_("High means buyers keep asking where their order is."),
        ),
        card(
            "visits",
            "share_over_two",
            _("Orders visited 3+ times"),
            kind="rate",
            bad_when_up=True,
        ),
        card("shipment_updates.total", "delivery_rate", _("Update delivery rate"), kind="rate"),
        card("calls", "overdue", _("Calls overdue"), bad_when_up=True),
        card(
            "outcomes", "cancellation_rate", _("Cancellation rate"), kind="rate", bad_when_up=True
        ),
        card("outcomes", "average", _("Average rating"), kind="number"),
    ]
    labels = [dateformat.format(day, "j M") for day in period.days]  # month in their language
    congratulations = current["congratulations"]
    prev_congratulations = previous["congratulations"]
    funnel_rows = [
        (_("Sent"), congratulations["sent"], prev_congratulations["sent"]),
        (_("Delivered"), congratulations["delivered"], prev_congratulations["delivered"]),
    ]
    if congratulations["opened"] is not None:
        funnel_rows.append((_("Opened"), congratulations["opened"], prev_congratulations["opened"]))
    if congratulations["clicked"] is not None:
        funnel_rows.append(
            (_("Clicked"), congratulations["clicked"], prev_congratulations["clicked"])
        )
    updates, prev_updates = current["shipment_updates"], previous["shipment_updates"]
    update_rows = [
        (
            f"{channel_label} · {what_label}",
            updates["by_channel"][channel][what],
            prev_updates["by_channel"][channel][what],
        )
        for channel, channel_label in (("email", _("Email")), ("sms", "SMS"))
        for what, what_label in (("sent", _("sent")), ("delivered", _("delivered")))
    ]
    calls, prev_calls = current["calls"], previous["calls"]
    call_rows = [
        (_("Due"), calls["due"], prev_calls["due"]),
        (_("Done"), calls["done"], prev_calls["done"]),
        (_("Overdue"), calls["overdue"], prev_calls["overdue"]),
    ]
    outcomes, prev_outcomes = current["outcomes"], previous["outcomes"]
    rating_rows = [
        ("★" * n, outcomes[f"stars_{n}"], prev_outcomes[f"stars_{n}"]) for n in range(1, 6)
    ]
    rate_rows = [
        (
            pgettext("order status", "Cancelled"),
            outcomes["cancellation_rate"],
            prev_outcomes["cancellation_rate"],
        ),
        (_("Returned"), outcomes["return_rate"], prev_outcomes["return_rate"]),
        (
            _("Visited 3+×"),
            current["visits"]["share_over_two"],
            previous["visits"]["share_over_two"],
        ),
    ]
    return {
        "previous_period": previous_period,
        "current": current,
        "previous": previous,
        "cards": cards,
        "orders_chart": charts.line_chart(
            labels=labels,
            current=current["series"]["orders"],
            previous=previous["series"]["orders"],
        ),
        "visits_chart": charts.line_chart(
            labels=labels,
            current=current["series"]["visits"],
            previous=previous["series"]["visits"],
        ),
        "funnel_chart": charts.bar_chart(rows=funnel_rows),
        "updates_chart": charts.bar_chart(rows=update_rows),
        "calls_chart": charts.bar_chart(rows=call_rows),
        "ratings_chart": charts.bar_chart(rows=rating_rows),
        "rates_chart": charts.bar_chart(rows=rate_rows, percent=True),
        "crosssell_chart": charts.bar_chart(
            rows=[
                (
                    _("Impressions"),
                    current["cross_sell"]["impressions"],
                    previous["cross_sell"]["impressions"],
                ),
                (_("Clicks"), current["cross_sell"]["clicks"], previous["cross_sell"]["clicks"]),
                (
                    _("Orders won"),
                    current["cross_sell"]["attributed_orders"],
                    previous["cross_sell"]["attributed_orders"],
                ),
            ]
        ),
        "crosssell_cards": [
            card("cross_sell", "ctr", _("Click-through rate"), kind="rate"),
            card("cross_sell", "attributed_revenue", _("Attributed revenue"), kind="money"),
        ],
        "failed_delivery_cards": [
            card("failed_deliveries", "failed", _("Failed deliveries"), bad_when_up=True),
            card(
                "failed_deliveries",
                "answer_rate",
                _("Answered by the buyer"),
                kind="rate",
                hint=_(
                    "Share of failed deliveries whose buyer chose a new day, pickup or instruction."
                ),
            ),
            card(
                "failed_deliveries",
                "saved_rate",
                _("Answered, then delivered"),
                kind="rate",
                hint=_("Of the answered parcels that arrived or went back: the share delivered."),
            ),
        ],
        "update_rates": {
            channel: _display(updates["by_channel"][channel]["delivery_rate"], "rate")
            for channel in ("email", "sms")
        },
        "at_risk_now": orders_at_risk(merchant=merchant).count(),
    }


def audit_action_label(action: str) -> str:
    """An audit log action in the viewer's words; the code itself if it is a new one."""
    labels = {
        "api_key.created": _("API key created"),
        "api_key.revoked": _("API key revoked"),
        "branding.updated": _("Branding changed"),
        "integration.connected": _("Shop connected"),
        "settings.updated": _("Settings changed"),
        "business.updated": _("Shop and business hours changed"),
        "calls.updated": _("Call rules changed"),
        "call_settings.updated": _("Call rules changed"),
        "tracking.updated": _("Tracking page options changed"),
        "team.invited": _("Team member invited"),
        "team.deactivated": _("Team member deactivated"),
        "call.escalated": _("Call escalated"),
        "call.reassigned": _("Call reassigned"),
        "customer.call_consent_withdrawn": _("Buyer withdrew consent to calls"),
        "customer.erased": _("Buyer's personal data erased"),
        "ambassador.enrolled": _("Ambassador added"),
        "carrier_account.connected": _("Carrier account connected"),
        "carrier_account.removed": _("Carrier account removed"),
        "notifications.updated": _("Notification settings changed"),
        "message_template.created": _("Message template saved"),
        "template.updated": _("Message template saved"),
        "message_template.deleted": _("Message template deleted"),
        "template.deleted": _("Message template deleted"),
        "webhook_endpoint_create": _("Webhook endpoint added"),
        "webhook_endpoint_disable": _("Webhook endpoint turned off"),
        "touchpoint.resent": _("Message sent again"),
        "csv_import": _("Orders imported from CSV"),
        "product.imported": _("Products imported from CSV"),
        "product.created": _("Product added"),
        "product.updated": _("Product changed"),
        "product.deleted": _("Product deleted"),
        "benefit.created": _("Benefit added"),
        "benefit.updated": _("Benefit changed"),
        "benefit.deleted": _("Benefit deleted"),
        "testimonial.created": _("Testimonial added"),
        "testimonial.updated": _("Testimonial changed"),
        "testimonial.deleted": _("Testimonial deleted"),
        "crosssell_rule.created": _("Cross-sell rule added"),
        "crosssell_rule.updated": _("Cross-sell rule changed"),
        "crosssell_rule.deleted": _("Cross-sell rule deleted"),
    }
    return labels.get(action, action)
