"""The buyer's page for a failed delivery: /t/<token>/delivery/, on the merchant's branding."""

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods

from orders.validators import normalize_phone
from postpurchase import ratelimit
from tracking import rendering, selectors
from tracking.carrier_links import carrier_name
from tracking.delivery.models import DeliveryInstruction
from tracking.delivery.services import delivery_instruction_record, shipment_needing_answer
from tracking.views import _not_found, _private

ANSWER_LIMIT = 10  # per order per hour: a buyer corrects a typo, a script does not get far
NEW_DAY_WITHIN = 14  # days ahead a buyer may ask for


class DeliveryAnswerForm(forms.Form):
    choice = forms.ChoiceField(
        label=_("What should happen now?"),
        choices=DeliveryInstruction.Choice.choices,
        widget=forms.RadioSelect,
    )
    delivery_date = forms.DateField(
        label=_("New delivery day"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    address_line1 = forms.CharField(label=_("Address"), max_length=200)
    postal_code = forms.CharField(label=_("Postal code"), max_length=20)
    city = forms.CharField(label=_("City"), max_length=100)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    note = forms.CharField(
        label=_("Instruction for the driver"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example: leave it with the neighbour at no. 12."),
    )

    def __init__(self, *args, today: dt.date, country: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.today, self.country = today, country or None

    def clean_phone(self):
        try:
            return normalize_phone(self.cleaned_data["phone"], region=self.country)
        except ValidationError as error:
            raise forms.ValidationError(error.messages) from None

    def clean(self):
        data = super().clean()
        choice, day = data.get("choice"), data.get("delivery_date")
        if choice == DeliveryInstruction.Choice.REDELIVER:
            if day is None:
                self.add_error("delivery_date", _("Choose the day we should try again."))
            elif not self.today < day <= self.today + dt.timedelta(days=NEW_DAY_WITHIN):
                self.add_error(
                    "delivery_date",
                    _("Choose a day from tomorrow to %(days)d days ahead.")
                    % {"days": NEW_DAY_WITHIN},
                )
        elif day is not None:
            data["delivery_date"] = None  # a day only goes with a new attempt
        if choice == DeliveryInstruction.Choice.INSTRUCTION and not data.get("note", "").strip():
            self.add_error("note", _("Write the instruction for the driver."))
        return data


def _context(order, *, locale: str, **extra) -> dict:
    page_url = reverse("tracking:delivery", kwargs={"token": order.tracking_token})
    return {
        **rendering.branded_page_context(order.merchant, page_url=page_url, locale=locale),
        "order": order,
        "tracking_url": reverse("tracking:page", kwargs={"key": order.tracking_token})
        + f"?lang={locale}",
        **extra,
    }


@csrf_protect
@require_http_methods(["GET", "HEAD", "POST"])
def delivery_answer(request, token: str):
    order = selectors.order_by_token(token)
    if order is None:
        return _not_found(request)
    locale = request.GET.get("lang") or order.locale
    locale = locale if locale in rendering.LANGUAGE_CODES else "en"
    shipment = shipment_needing_answer(order=order)
    today = timezone.localdate(timezone=order.merchant.tzinfo)
    initial = {
        "address_line1": order.shipping_line1,
        "postal_code": order.shipping_postal_code,
        "city": order.shipping_city,
        "phone": order.customer.phone,
    }
    form = DeliveryAnswerForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        today=today,
        country=order.shipping_country,
    )
    status, answered = 200, False
    with translation.override(locale):
        if request.method == "POST" and shipment is not None:
            verdict = ratelimit.hit(
                f"tracking-delivery:{order.pk}", limit=ANSWER_LIMIT, window=3600
            )
            if not verdict.allowed:
                status = 429
            elif form.is_valid():
                delivery_instruction_record(
                    merchant=order.merchant, order=order, shipment=shipment, data=form.cleaned_data
                )
                page = reverse("tracking:delivery", kwargs={"token": order.tracking_token})
                return _private(HttpResponseRedirect(f"{page}?lang={locale}&answered=1"))
            else:
                status = 400
        answered = request.GET.get("answered") == "1"
        context = _context(
            order,
            locale=locale,
            form=form,
            shipment=shipment,
            carrier=carrier_name(shipment.carrier) if shipment else "",
            answered=answered,
            too_many=status == 429,
            min_day=(today + dt.timedelta(days=1)).isoformat(),
            max_day=(today + dt.timedelta(days=NEW_DAY_WITHIN)).isoformat(),
        )
        response = render(request, "tracking/delivery/answer.html", context, status=status)
    return _private(response)
