"""Dashboard screen where the owner connects and removes carrier accounts."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from postpurchase.dashboard_auth import merchant_required
from postpurchase.models import Membership
from postpurchase.services import audit_record
from postpurchase.tenancy import get_for_merchant
from tracking.carriers.karrio_client import CARRIER_SPECS
from tracking.carriers.models import Carrier, CarrierAccount, CarrierTracker
from tracking.carriers.services_accounts import carrier_account_connect, carrier_account_remove

# Credentials reach the carrier's whole API: only the owner may hand them over.
OWNER = Membership.Role.OWNER


class CarrierAccountForm(forms.Form):
    """The credentials one carrier asks for (CARRIER_SPECS), never shown back."""

    def __init__(self, *args, carrier: str, **kwargs):
        super().__init__(*args, prefix=carrier, **kwargs)
        for name, label in CARRIER_SPECS[carrier].fields:
            self.fields[name] = forms.CharField(
                label=label,
                max_length=200,
                widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
            )


@merchant_required(OWNER)
@require_http_methods(["GET", "POST"])
def carrier_accounts(request):
    merchant = request.merchant
    posted = request.POST.get("carrier") if request.method == "POST" else None
    forms_by_carrier = {
        code: CarrierAccountForm(request.POST if code == posted else None, carrier=code)
        for code in CARRIER_SPECS
    }
    status = 200
    if request.method == "POST":
        form = forms_by_carrier.get(posted)
        if form is None:
            messages.error(request, _("Choose a carrier from the list."))
            status = 400
        elif form.is_valid():
            try:
                carrier_account_connect(
                    merchant=merchant,
                    carrier=posted,
                    credentials=form.cleaned_data,
                    actor=request.user,
                )
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
                status = 400
            else:
                audit_record(
                    merchant=merchant,
                    actor=request.user,
                    action="carrier_account.connected",
                    target=Carrier(posted).label,
                )
                messages.success(
                    request,
                    _("%(carrier)s connected. Its parcels are tracked from now on.")
                    % {"carrier": Carrier(posted).label},
                )
                return redirect("carriers-dashboard:accounts")
        else:
            status = 400
    accounts = {a.carrier: a for a in CarrierAccount.objects.for_merchant(merchant)}
    tracked = dict(
        CarrierTracker.objects.for_merchant(merchant)
        .filter(next_poll_at__isnull=False)
        .values_list("carrier")
        .annotate(n=Count("id"))
    )
    rows = [
        {
            "code": code,
            "label": Carrier(code).label,
            "account": accounts.get(code),
            "form": forms_by_carrier[code],
            "tracked": tracked.get(code, 0),
        }
        for code in CARRIER_SPECS
    ]
    return render(request, "tracking/dashboard/carriers.html", {"rows": rows}, status=status)


@require_POST
@merchant_required(OWNER)
def carrier_account_delete(request, account_id: int):
    account = get_for_merchant(CarrierAccount, merchant=request.merchant, pk=account_id)
    carrier_account_remove(merchant=request.merchant, account_id=account.pk)
    audit_record(
        merchant=request.merchant,
        actor=request.user,
        action="carrier_account.removed",
        target=account.get_carrier_display(),
    )
    messages.success(
        request,
        _("%(carrier)s removed. Its parcels are no longer tracked.")
        % {"carrier": account.get_carrier_display()},
    )
    return redirect("carriers-dashboard:accounts")
