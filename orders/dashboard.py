"""Dashboard screens for orders: search, the engagement timeline, resend and notes."""

import csv
import io
import re
import secrets
from dataclasses import dataclass
from dataclasses import field as dc_field
from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import models, transaction
from django.db.models import Q, Value
from django.db.models.functions import Concat
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from dashboard.models import OrderNote
from dashboard.services import order_note_add
from notifications.models import Touchpoint
from orders.models import Benefit, Order, Product, ShipmentEvent, Testimonial
from orders.timeline import timeline_group
from postpurchase.crud import Column, CrudScreen, TenantModelForm
from postpurchase.dashboard_auth import SETTINGS_ROLES, merchant_required
from postpurchase.localized import clean_texts
from postpurchase.models import LOCALES
from postpurchase.services import audit_record
from postpurchase.templatetags.dashboard_format import money
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


urlpatterns = [
    path("orders/", order_list, name="orders"),
    path("orders/<int:order_id>/", order_detail, name="order_detail"),
    path("orders/<int:order_id>/note/", order_note, name="order_note"),
    path("orders/<int:order_id>/resend/", order_resend, name="order_resend"),
]


# ---- Catalogue and reassurance content ---------------------------------------------


def _https_urls(db_field, **kwargs):
    # Merchants paste "shop.dk/p/sofa"; assume https like browsers do.
    if isinstance(db_field, models.URLField):
        kwargs["assume_scheme"] = "https"
    return db_field.formfield(**kwargs)


CURRENCY_RE = re.compile(r"^[A-Z]{3}$")


def parse_prices(text: str) -> tuple[dict, list[str]]:
    """{"EUR": "129.95", …} from lines like "EUR 129.95", and the lines' errors."""
    prices, errors = {}, []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        code, _space, amount = line.strip().partition(" ")
        code = code.upper()
        try:
            value = Decimal(amount.strip().replace(",", "."))
        except InvalidOperation:
            value = None
        if not CURRENCY_RE.match(code) or value is None or not value.is_finite() or value < 0:
            errors.append(
                _("Line %(n)s: write a currency code and an amount, like EUR 129.95.")
                % {"n": number}
            )
        else:
            prices[code] = str(value.quantize(Decimal("0.01")))
    return prices, errors


def format_prices(prices: dict) -> str:
    return "\n".join(f"{code} {amount}" for code, amount in sorted((prices or {}).items()))


class ProductForm(TenantModelForm, forms.ModelForm):
    tags = forms.CharField(
        label=gettext_lazy("Tags"),
        required=False,
        help_text=gettext_lazy("Comma-separated, e.g. living room, wool"),
    )
    other_prices = forms.CharField(
        label=gettext_lazy("Prices in other currencies"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy(
            "One per line, like EUR 129.95. Buyers paying in a currency without a price "
            "see the product without one."
        ),
    )

    class Meta:
        model = Product
        formfield_callback = _https_urls
        fields = [
            "sku",
            "name",
            "category",
            "tags",
            "price",
            "currency",
            "image_url",
            "url",
            "best_seller_rank",
            "is_active",
        ]
        labels = {
            "sku": gettext_lazy("SKU"),
            "name": gettext_lazy("Name"),
            "category": gettext_lazy("Category"),
            "price": gettext_lazy("Price"),
            "currency": gettext_lazy("Currency"),
            "url": gettext_lazy("Product page"),
            "image_url": gettext_lazy("Image address"),
            "best_seller_rank": gettext_lazy("Best-seller rank"),
            "is_active": gettext_lazy("Offer in cross-sell"),
        }
        help_texts = {"best_seller_rank": gettext_lazy("1 is your best seller; empty for none.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound and self.instance.pk:
            self.initial["tags"] = ", ".join(self.instance.tags or [])
            self.initial["other_prices"] = format_prices(self.instance.prices)
        # The name above is in the shop's default language; buyers of another language
        # read theirs where given (#17.3).
        default = self.merchant.default_locale
        self.fields["name"].help_text = _("In %(language)s, your default language.") % {
            "language": dict(LOCALES).get(default, default)
        }
        names = self.instance.names or {}
        for code, language in LOCALES:
            if code != default:
                self.fields[f"name_{code}"] = forms.CharField(
                    label=_("Name (%(language)s)") % {"language": language},
                    required=False,
                    max_length=300,
                    initial=names.get(code, ""),
                )
        self.order_fields(
            [
                "sku",
                "name",
                *(f"name_{code}" for code, _n in LOCALES),
                "category",
                "tags",
                "price",
                "currency",
                "other_prices",
            ]
        )

    def name_fields(self) -> list[str]:
        return [name for name in self.fields if name.startswith("name_")]

    def clean_other_prices(self):
        prices, errors = parse_prices(self.cleaned_data.get("other_prices", ""))
        if errors:
            raise ValidationError(errors)
        return prices

    def clean(self):
        cleaned = super().clean()
        # A language without a field here (the default one, since changed) keeps its name.
        self.instance.names = clean_texts(
            {
                **(self.instance.names or {}),
                **{name[len("name_") :]: cleaned.get(name, "") for name in self.name_fields()},
            }
        )
        self.instance.prices = cleaned.get("other_prices") or {}
        return cleaned

    def clean_tags(self):
        return [t.strip() for t in self.cleaned_data.get("tags", "").split(",") if t.strip()]

    def clean_currency(self):
        return self.cleaned_data.get("currency", "").strip().upper()

    def clean_sku(self):
        sku = self.cleaned_data["sku"].strip()
        clash = Product.objects.for_merchant(self.merchant).filter(sku=sku)
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise ValidationError(_("Another product already has this SKU."))
        return sku


class BenefitForm(TenantModelForm, forms.ModelForm):
    class Meta:
        model = Benefit
        fields = ["text", "locale", "sku", "category", "position"]
        labels = {
            "text": gettext_lazy("Benefit"),
            "locale": gettext_lazy("Language"),
            "sku": gettext_lazy("SKU"),
            "category": gettext_lazy("Category"),
            "position": gettext_lazy("Position"),
        }
        help_texts = {
            "sku": gettext_lazy(
                "Only for this product. Leave SKU and category empty for all orders."
            ),
            "category": gettext_lazy("Only for products of this category."),
            "position": gettext_lazy("Lower comes first."),
        }


class TestimonialForm(TenantModelForm, forms.ModelForm):
    class Meta:
        model = Testimonial
        fields = [
            "quote",
            "author_name",
            "author_detail",
            "rating",
            "locale",
            "sku",
            "category",
            "is_active",
        ]
        labels = {
            "quote": gettext_lazy("Quote"),
            "author_name": gettext_lazy("Author name"),
            "author_detail": gettext_lazy("Author detail"),
            "rating": gettext_lazy("Rating"),
            "locale": gettext_lazy("Language"),
            "sku": gettext_lazy("SKU"),
            "category": gettext_lazy("Category"),
            "is_active": gettext_lazy("Show it"),
        }
        widgets = {"quote": forms.Textarea(attrs={"rows": 3, "full": 1})}

    def clean_rating(self):
        rating = self.cleaned_data.get("rating")
        if rating is not None and not 1 <= rating <= 5:
            raise ValidationError(_("A rating is 1 to 5 stars."))
        return rating


def _product_filter(queryset, request):
    query = request.GET.get("q", "").strip()
    if query:
        queryset = queryset.filter(
            Q(sku__icontains=query) | Q(name__icontains=query) | Q(category__icontains=query)
        )
    return queryset


PRODUCTS = CrudScreen(
    model=Product,
    form_class=ProductForm,
    name="product",
    title=gettext_lazy("Products"),
    singular=gettext_lazy("product"),
    subtitle=gettext_lazy(
        "The catalogue cross-sell suggestions and content come from. Import it as CSV."
    ),
    columns=[
        Column(gettext_lazy("Name"), "name", main=True),
        Column(gettext_lazy("SKU"), "sku", css="mono"),
        Column(gettext_lazy("Category"), "category"),
        Column(
            gettext_lazy("Price"),
            lambda p: money(p.price, p.currency) if p.price else None,
            "num",
        ),
        Column(gettext_lazy("Rank"), "best_seller_rank", "num"),
        Column(
            gettext_lazy("Cross-sell"),
            lambda p: _("Active") if p.is_active else _("Hidden"),
        ),
    ],
    order_by=("best_seller_rank", "name"),
    audit_action="product",
    list_actions=[
        (gettext_lazy("Import CSV"), "dashboard:product_import"),
        (gettext_lazy("Export CSV"), "dashboard:product_export"),
    ],
    filter_fn=_product_filter,
)

BENEFITS = CrudScreen(
    model=Benefit,
    form_class=BenefitForm,
    name="benefit",
    title=gettext_lazy("Benefits"),
    singular=gettext_lazy("benefit"),
    subtitle=gettext_lazy(
        "Why the purchase was a good choice: shown in the congratulation email and on the tracking page."
    ),
    columns=[
        Column(gettext_lazy("Benefit"), "text", main=True),
        Column(gettext_lazy("Language"), "locale"),
        Column(gettext_lazy("Applies to"), lambda b: b.sku or b.category or _("All orders")),
        Column(gettext_lazy("Position"), "position", "num"),
    ],
    order_by=("locale", "position", "id"),
    audit_action="benefit",
)

TESTIMONIALS = CrudScreen(
    model=Testimonial,
    form_class=TestimonialForm,
    name="testimonial",
    title=gettext_lazy("Testimonials"),
    singular=gettext_lazy("testimonial"),
    subtitle=gettext_lazy("What earlier customers said, shown to new buyers of similar products."),
    columns=[
        Column(gettext_lazy("Quote"), lambda t: t.quote[:80], main=True),
        Column(gettext_lazy("Author"), "author_name"),
        Column(gettext_lazy("Rating"), lambda t: "★" * (t.rating or 0) or None),
        Column(gettext_lazy("Language"), "locale"),
        Column(gettext_lazy("Shown"), lambda t: _("Yes") if t.is_active else _("No")),
    ],
    order_by=("-created_at", "-id"),
    audit_action="testimonial",
)


@merchant_required(*SETTINGS_ROLES)
def product_export(request):
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="products.csv"'
    writer = csv.writer(response)
    header, rows = product_csv_rows(merchant=request.merchant)
    writer.writerow(header)
    writer.writerows(rows)
    return response


@merchant_required(*SETTINGS_ROLES)
def product_import(request):
    result = None
    status = 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            result = ProductImportResult(errors=[(0, _("Choose a CSV file."))])
        else:
            result = product_import_csv(
                merchant=request.merchant, actor=request.user, upload=upload
            )
        if not result.errors:
            messages.success(
                request,
                _("Imported: %(created)s new, %(updated)s updated.")
                % {"created": result.created, "updated": result.updated},
            )
            return redirect("dashboard:products")
        status = 400
    return render(
        request,
        "orders/dashboard/product_import.html",
        {
            "result": result,
            "columns": PRODUCT_CSV_COLUMNS,
            "optional_columns": [
                *(f"name_{code}" for code in _other_languages(request.merchant.default_locale)),
                "price_EUR",
                "price_GBP",
            ],
        },
        status=status,
    )


PRODUCT_CSV_COLUMNS = [
    "sku",
    "name",
    "category",
    "tags",
    "price",
    "currency",
    "image_url",
    "url",
    "best_seller_rank",
    "is_active",
]
# After those, optional columns (#17.3, #17.4): the name in each language but the
# default one (that is `name`), e.g. name_de, and price_EUR, price_GBP, …; a file
# without them leaves the names and prices they would hold alone.
PRICE_COLUMN_RE = re.compile(r"^price_([A-Za-z]{3})$")
MAX_IMPORT_ROWS = 5000


def _csv_safe(value) -> str:
    # Spreadsheet apps run cells starting with these as formulas (CSV injection).
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def product_csv_rows(*, merchant) -> tuple[list[str], list[list[str]]]:
    """The header and the rows: the base columns, a name per language, a price per
    currency any product has."""
    products = list(Product.objects.for_merchant(merchant).order_by("sku"))
    languages = _other_languages(merchant.default_locale)
    currencies = sorted({code for p in products for code in (p.prices or {})})
    header = [
        *PRODUCT_CSV_COLUMNS,
        *(f"name_{code}" for code in languages),
        *(f"price_{code}" for code in currencies),
    ]
    return header, [
        [
            _csv_safe(v)
            for v in (
                product.sku,
                product.name,
                product.category,
                "|".join(product.tags or []),
                product.price,
                product.currency,
                product.image_url,
                product.url,
                product.best_seller_rank,
                "yes" if product.is_active else "no",
                *((product.names or {}).get(code, "") for code in languages),
                *((product.prices or {}).get(code, "") for code in currencies),
            )
        ]
        for product in products
    ]


def _other_languages(default_locale: str) -> list[str]:
    return [code for code, _name in LOCALES if code != default_locale]


def _csv_texts_and_prices(row: dict, product, default_locale: str) -> dict:
    """Form data for the optional name and price columns; a column the file lacks keeps
    what the product has."""
    names = dict(product.names or {}) if product else {}
    data = {}
    for code in _other_languages(default_locale):
        column = f"name_{code}"
        data[column] = row[column] if column in row else names.get(code, "")
    prices = dict(product.prices or {}) if product else {}
    for column, value in row.items():
        match = PRICE_COLUMN_RE.match(column)
        if match:
            code = match.group(1).upper()
            if value:
                prices[code] = value
            else:
                prices.pop(code, None)
    data["other_prices"] = format_prices(prices)
    return data


@dataclass
class ProductImportResult:
    created: int = 0
    updated: int = 0
    errors: list = dc_field(default_factory=list)  # (line number, message)


def product_import_csv(*, merchant, actor, upload) -> ProductImportResult:
    """Create or update products by SKU from a CSV file: all rows or none."""
    result = ProductImportResult()
    try:
        text = upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        result.errors.append((0, _("Save the file as UTF-8 CSV.")))
        return result
    reader = csv.DictReader(io.StringIO(text))
    missing = {"sku", "name"} - set(reader.fieldnames or [])
    if missing:
        result.errors.append(
            (1, _("Missing columns: %(cols)s") % {"cols": ", ".join(sorted(missing))})
        )
        return result
    existing = {p.sku: p for p in Product.objects.for_merchant(merchant)}
    forms_to_save = []
    seen = set()
    for line, row in enumerate(reader, start=2):
        if line - 1 > MAX_IMPORT_ROWS:
            result.errors.append((line, _("At most 5000 products per file.")))
            break
        row = {k: (v or "").strip().lstrip("'") for k, v in row.items() if k}
        sku = row.get("sku", "")
        if sku in seen:
            result.errors.append((line, _("SKU %(sku)s appears twice.") % {"sku": sku}))
            continue
        seen.add(sku)
        data = {
            **row,
            **_csv_texts_and_prices(row, existing.get(sku), merchant.default_locale),
            "tags": ", ".join(t for t in row.get("tags", "").split("|") if t),
            "is_active": row.get("is_active", "yes").lower() not in ("no", "false", "0"),
        }
        form = ProductForm(data, instance=existing.get(sku), merchant=merchant)
        if form.is_valid():
            forms_to_save.append(form)
        else:
            for field_name, errors in form.errors.items():
                result.errors.append((line, f"{field_name}: {' '.join(errors)}"))
    if result.errors:
        return result
    with transaction.atomic():
        for form in forms_to_save:
            is_new = form.instance.pk is None
            product = form.save(commit=False)
            product.merchant = merchant
            product.save()
            if is_new:
                result.created += 1
            else:
                result.updated += 1
        audit_record(
            merchant=merchant,
            actor=actor,
            action="product.imported",
            target=getattr(upload, "name", "")[:200],
            details={"created": result.created, "updated": result.updated},
        )
    return result


urlpatterns += [
    path("products/export.csv", product_export, name="product_export"),
    path("products/import/", product_import, name="product_import"),
    *PRODUCTS.urls("products", merchant_required(*SETTINGS_ROLES)),
    *BENEFITS.urls("benefits", merchant_required(*SETTINGS_ROLES)),
    *TESTIMONIALS.urls("testimonials", merchant_required(*SETTINGS_ROLES)),
]
