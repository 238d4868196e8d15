"""Dashboard screens for orders: search, the engagement timeline, resend and notes."""

import secrets

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q, Value
from django.db.models.functions import Concat
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from notifications.models import Touchpoint
from orders.models import Order, OrderNote, ShipmentEvent
from orders.services import order_note_add
from orders.timeline import timeline_group
from postpurchase.dashboard_auth import merchant_required
from postpurchase.services import audit_record
from postpurchase.tenancy import get_for_merchant
from tracking.models import Rating, TrackingVisit

RESENDABLE = [
    (Touchpoint.Kind.CONGRATULATION, Touchpoint.Channel.EMAIL),
    (Touchpoint.Kind.SHIPMENT_UPDATE, Touchpoint.Channel.EMAIL),
    (Touchpoint.Kind.SHIPMENT_UPDATE, Touchpoint.Channel.SMS),
]


class NoteForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Note"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": gettext_lazy("What happened?")}),
    )


class ResendForm(forms.Form):
    message = forms.ChoiceField(label=gettext_lazy("Message"))

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["message"].choices = choices


def order_search(*, merchant, query: str):
    orders = Order.objects.for_merchant(merchant).select_related("customer")
    query = query.strip()
    if query:
        orders = orders.annotate(
            customer_name=Concat("customer__first_name", Value(" "), "customer__last_name")
        ).filter(
            Q(number__icontains=query.lstrip("#"))
            | Q(external_id=query)
            | Q(customer__email__icontains=query)
            | Q(customer_name__icontains=query)
        )
    return orders.order_by("-placed_at", "-id")


def _resend_choices(order) -> list[tuple[str, str]]:
    labels = {
        (Touchpoint.Kind.CONGRATULATION, Touchpoint.Channel.EMAIL): _("Congratulation email"),
        (Touchpoint.Kind.SHIPMENT_UPDATE, Touchpoint.Channel.EMAIL): _(
            "Latest shipment update by email"
        ),
        (Touchpoint.Kind.SHIPMENT_UPDATE, Touchpoint.Channel.SMS): _(
            "Latest shipment update by SMS"
        ),
    }
    existing = set(
        Touchpoint.objects.for_merchant(order.merchant)
        .filter(order=order)
        .values_list("kind", "channel")
    )
    return [
        (f"{kind}:{channel}", labels[(kind, channel)])
        for kind, channel in RESENDABLE
        if (kind, channel) in existing
    ]


def touchpoint_resend(*, merchant, order, kind: str, channel: str, actor) -> Touchpoint:
    """Plan the same message again as a new touchpoint, sent by the normal dispatcher.

    A new row (its own cause) keeps the original's history and the one-send-per-row rule.
    """
    from notifications.queue import touchpoints_enqueue_on_commit

    customer = order.customer
    consented = {
        Touchpoint.Channel.EMAIL: customer.consent_email and bool(customer.email),
        Touchpoint.Channel.SMS: customer.consent_sms and bool(customer.phone),
    }
    if not consented.get(channel):
        raise ValidationError(_("The customer has not agreed to messages on this channel."))
    original = (
        Touchpoint.objects.for_merchant(merchant)
        .filter(order=order, kind=kind, channel=channel)
        .order_by("-created_at", "-id")
        .first()
    )
    if original is None:
        raise ValidationError(_("This order never had that message."))
    with transaction.atomic():
        touchpoint = Touchpoint.objects.create(
            merchant=merchant,
            order=order,
            kind=kind,
            channel=channel,
            cause=f"resend:{secrets.token_hex(6)}",
            payload={**original.payload, "resent_from": original.pk},
        )
        audit_record(
            merchant=merchant,
            actor=actor,
            action="touchpoint.resent",
            target=order.number,
            details={"kind": kind, "channel": channel, "touchpoint": touchpoint.pk},
        )
        touchpoints_enqueue_on_commit([touchpoint.pk])
    return touchpoint


def order_timeline(*, merchant, order) -> list[dict]:
    """Everything that happened to an order, oldest first, from every app's rows."""
    entries = [{"at": order.placed_at, "type": "order", "title": _("Order placed"), "detail": ""}]
    if order.cancelled_at:
        entries.append(
            {
                "at": order.cancelled_at,
                "type": "problem",
                "title": _("Order cancelled"),
                "detail": "",
            }
        )
    # Calls appear through their own rows (attempts, outcomes) below.
    touchpoints = (
        Touchpoint.objects.for_merchant(merchant)
        .filter(order=order)
        .exclude(kind=Touchpoint.Kind.FOLLOWUP_CALL)
    )
    for touchpoint in touchpoints:
        entries.append(
            {
                "at": touchpoint.sent_at or touchpoint.due_at,
                "type": "touchpoint",
                "title": _touchpoint_title(touchpoint),
                "status": touchpoint.public_status,
                "status_label": touchpoint.public_status_label,
                "touchpoint": touchpoint,
                "detail": _touchpoint_reason(touchpoint.error),
            }
        )
    events = (
        ShipmentEvent.objects.for_merchant(merchant)
        .filter(shipment__order=order)
        .select_related("shipment")
    )
    for event in events:
        entries.append(
            {
                "at": event.occurred_at,
                "type": "problem" if event.status in _problem_statuses() else "shipment",
                "title": event.get_status_display(),
                "detail": " · ".join(
                    x for x in (event.shipment.carrier.upper(), event.location, event.message) if x
                ),
            }
        )
    for visit in TrackingVisit.objects.for_merchant(merchant).filter(order=order)[:200]:
        entries.append(
            {
                "at": visit.visited_at,
                "type": "visit",
                "title": _("Tracking page visited"),
                "detail": _visit_source(visit.source),
            }
        )
    rating = Rating.objects.for_merchant(merchant).filter(order=order).first()
    if rating:
        entries.append(
            {
                "at": rating.updated_at,
                "type": "problem" if rating.score <= 2 else "rating",
                "title": _("Rated %(score)s of 5") % {"score": rating.score},
                "detail": rating.comment,
            }
        )
    for note in (
        OrderNote.objects.for_merchant(merchant).filter(order=order).select_related("author")
    ):
        entries.append(
            {
                "at": note.created_at,
                "type": "note",
                "title": _("Note by %(who)s") % {"who": note.author or _("someone")},
                "detail": note.text,
            }
        )
    entries.extend(_call_entries(merchant=merchant, order=order))
    entries.sort(key=lambda e: e["at"])
    return timeline_group(entries)


def _call_skip_reason(code: str) -> str:
    """The call rules' reason code (stored as a code) in words."""
    return {
        "": "",
        "no_consent_or_phone": _("The buyer gave no phone number or no consent to calls."),
        "below_value": _("The order is below the value in your call rules."),
        "returning_customer": _("A returning customer; your call rules say first-time only."),
        "do_not_call": _("The buyer asked not to be called."),
    }.get(code, code)


def _visit_source(source: str) -> str:
    return {
        TrackingVisit.Source.EMAIL: _("Opened from the email"),
        TrackingVisit.Source.SMS: _("Opened from the text message"),
        TrackingVisit.Source.LOOKUP: _("Found through the order lookup"),
    }.get(source, _("Opened directly"))


def _channel_name(channel: str) -> str:
    return _("SMS") if channel == Touchpoint.Channel.SMS else _("email")


def _touchpoint_title(touchpoint) -> str:
    from orders.models import ShipmentStatus

    channel = _channel_name(touchpoint.channel)
    if touchpoint.kind == Touchpoint.Kind.CONGRATULATION:
        title = _("Congratulation %(channel)s") % {"channel": channel}
    elif touchpoint.kind == Touchpoint.Kind.SHIPMENT_UPDATE:
        status = touchpoint.payload.get("status", "")
        label = ShipmentStatus(status).label if status in ShipmentStatus.values else status
        title = _("Shipment update by %(channel)s: %(status)s") % {
            "channel": channel,
            "status": label,
        }
    elif touchpoint.kind == Touchpoint.Kind.ENDORSEMENT_REQUEST:
        title = _("Endorsement request by %(channel)s") % {"channel": channel}
    else:
        title = touchpoint.get_kind_display()
    if touchpoint.cause.startswith("resend:"):
        title += " " + _("(sent again)")
    return title


def _touchpoint_reason(error: str) -> str:
    """Why a message was skipped, in the viewer's language; a provider's own error as is.

    Planning stores these reasons in English (they are also the audit trail).
    """
    from orders.models import ShipmentStatus

    fixed = {
        "no email consent": _("The buyer did not agree to emails."),
        "no sms consent": _("The buyer did not agree to text messages."),
        "no call consent": _("The buyer did not agree to calls."),
        "recipient opted out": _("The buyer opted out of these messages."),
    }
    if error.lower() in fixed:
        return fixed[error.lower()]
    off_in_settings = " is off in the merchant's settings"
    status, _on, channel = error.removesuffix(off_in_settings).partition(" on ")
    if error.endswith(off_in_settings) and channel in Touchpoint.Channel.values:
        label = ShipmentStatus(status).label if status in ShipmentStatus.values else status
        text = _("Updates by %(channel)s for “%(status)s” are off in your settings.")
        return text % {"channel": _channel_name(channel), "status": label}
    return error


def _problem_statuses():
    from orders.models import PROBLEM_STATUSES

    return PROBLEM_STATUSES


def _call_entries(*, merchant, order) -> list[dict]:
    """Follow-up calls and every recorded attempt with its outcome."""
    from followups.models import CallAttempt, FollowUpCall

    entries = []
    calls = (
        FollowUpCall.objects.for_merchant(merchant).filter(order=order).select_related("assignee")
    )
    for call in calls:
        if call.is_open or call.status == FollowUpCall.Status.SKIPPED:
            entries.append(
                {
                    "at": call.due_at,
                    "type": "call",
                    "title": _("Follow-up call %(status)s")
                    % {"status": call.get_status_display().lower()},
                    "status": call.status,
                    "status_label": call.get_status_display(),
                    "detail": " · ".join(
                        x
                        for x in (
                            str(call.assignee) if call.assignee else "",
                            _call_skip_reason(call.skip_reason),
                        )
                        if x
                    ),
                }
            )
    attempts = (
        CallAttempt.objects.for_merchant(merchant)
        .filter(call__order=order)
        .select_related("by")
        .order_by("created_at")
    )
    for attempt in attempts:
        entries.append(
            {
                "at": attempt.created_at,
                "type": "problem" if attempt.outcome == "reached_concerned" else "call",
                "title": _("Call by %(who)s: %(outcome)s")
                % {"who": attempt.by or _("someone"), "outcome": attempt.get_outcome_display()},
                "detail": " · ".join(
                    x for x in (attempt.get_follow_up_display(), attempt.note) if x
                ),
            }
        )
    return entries


@merchant_required()
def order_list(request):
    from orders.listing import OrderFilterForm, filtered_orders, order_rows

    merchant = request.merchant
    form = OrderFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    query = data.get("q", "")
    orders = filtered_orders(
        merchant=merchant, orders=order_search(merchant=merchant, query=query), data=data
    )
    page = Paginator(orders, 25).get_page(request.GET.get("page"))
    # The page links keep the filters.
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "orders/dashboard/order_list.html",
        {
            "form": form,
            "page": page,
            "rows": order_rows(merchant=merchant, orders=list(page.object_list)),
            "query": query,
            "filtered": any(data.get(name) for name in ("q", "status", "shipment", "attention")),
            "params": params.urlencode(),
        },
    )


@merchant_required()
def order_detail(request, order_id: int):
    order = get_for_merchant(Order, merchant=request.merchant, pk=order_id)
    return _render_detail(request, order)


def _render_detail(request, order, *, note_form=None, resend_form=None, status=200):
    merchant = request.merchant
    order = (
        Order.objects.for_merchant(merchant)
        .select_related("customer")
        .prefetch_related("items", "shipments")
        .get(pk=order.pk)
    )
    context = {
        "order": order,
        "timeline": order_timeline(merchant=merchant, order=order),
        "note_form": note_form or NoteForm(),
        "resend_form": resend_form or ResendForm(choices=_resend_choices(order)),
        "visit_count": TrackingVisit.objects.for_merchant(merchant).filter(order=order).count(),
    }
    return render(request, "orders/dashboard/order_detail.html", context, status=status)


@require_POST
@merchant_required()
def order_note(request, order_id: int):
    order = get_for_merchant(Order, merchant=request.merchant, pk=order_id)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            order_note_add(
                merchant=request.merchant,
                order=order,
                author=request.user,
                text=form.cleaned_data["text"],
            )
        except ValidationError as error:
            form.add_error("text", error.messages)
        else:
            messages.success(request, _("Note added."))
            return redirect("dashboard:order_detail", order_id=order.pk)
    return _render_detail(request, order, note_form=form, status=400)


@require_POST
@merchant_required()
def order_resend(request, order_id: int):
    order = get_for_merchant(Order, merchant=request.merchant, pk=order_id)
    form = ResendForm(request.POST, choices=_resend_choices(order))
    if form.is_valid():
        kind, channel = form.cleaned_data["message"].split(":")
        try:
            touchpoint_resend(
                merchant=request.merchant,
                order=order,
                kind=kind,
                channel=channel,
                actor=request.user,
            )
        except ValidationError as error:
            form.add_error("message", error.messages)
        else:
            messages.success(request, _("Queued to be sent again."))
            return redirect("dashboard:order_detail", order_id=order.pk)
    return _render_detail(request, order, resend_form=form, status=400)
