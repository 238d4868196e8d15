"""Dashboard screen for buyers' data-rights requests: find a buyer, export, erase.

Owners and admins only; every erase is in the audit log. The dashboard links
here from its settings (the URL is `privacy:customer-data`).
"""

import json

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from orders import privacy
from postpurchase.dashboard_auth import SETTINGS_ROLES, merchant_required


class BuyerSearchForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("Buyer's email"), required=False)
    phone = forms.CharField(label=gettext_lazy("or phone"), required=False, max_length=32)


@require_http_methods(["GET"])
@merchant_required(*SETTINGS_ROLES)
def customer_data(request):
    form = BuyerSearchForm(request.GET or None)
    customers = []
    if form.is_valid() and (form.cleaned_data["email"] or form.cleaned_data["phone"]):
        customers = list(
            privacy.customers_find(
                merchant=request.merchant,
                email=form.cleaned_data["email"],
                phone=form.cleaned_data["phone"],
            ).prefetch_related("orders")
        )
    return render(
        request,
        "orders/privacy/customer_data.html",
        {"form": form, "customers": customers, "searched": form.is_bound},
    )


@require_http_methods(["GET"])
@merchant_required(*SETTINGS_ROLES)
def customer_export(request, customer_id: int):
    customer = privacy.get_customer(merchant=request.merchant, customer_id=customer_id)
    data = privacy.customer_export(merchant=request.merchant, customer=customer)
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json"
    )
    response["Content-Disposition"] = f'attachment; filename="buyer-{customer.pk}.json"'
    return response


@require_POST
@merchant_required(*SETTINGS_ROLES)
def customer_erase(request, customer_id: int):
    customer = privacy.get_customer(merchant=request.merchant, customer_id=customer_id)
    if request.POST.get("confirm") != "yes":
        messages.error(request, _("Tick the box to confirm the erasure."))
        return redirect("privacy:customer-data")
    privacy.customer_erase(
        merchant=request.merchant, customer=customer, actor=request.user, via="dashboard"
    )
    messages.success(request, _("The buyer's personal data was erased."))
    return redirect("privacy:customer-data")
