"""Forms of the call settings screen: the merchant's call rules and their ambassadors."""

from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _

from followups.models import CallSettings
from followups.services import CALL_SETTINGS_FIELDS
from orders.validators import normalize_phone


class CallSettingsForm(forms.ModelForm):
    class Meta:
        model = CallSettings
        fields = CALL_SETTINGS_FIELDS
        widgets = {"offer_text": forms.TextInput(attrs={"size": 60})}

    def clean_caller_id(self):
        value = self.cleaned_data["caller_id"].strip()
        if not value:
            return ""
        try:
            return normalize_phone(value)
        except DjangoValidationError as exc:
            raise forms.ValidationError(exc.messages) from None

    def clean_max_attempts(self):
        value = self.cleaned_data["max_attempts"]
        if not 1 <= value <= 10:
            raise forms.ValidationError(_("Between 1 and 10 attempts."))
        return value


class AmbassadorForm(forms.Form):
    email = forms.EmailField(label=_("Customer's email"))
    company = forms.CharField(label=_("Company or group"), max_length=200, required=False)
    company_domain = forms.CharField(
        label=_("Company email domain"),
        max_length=200,
        required=False,
        help_text=_("Buyers with an email on this domain are matched, e.g. studio-k.dk."),
    )
    consent = forms.BooleanField(
        label=_("The customer agreed to welcome new buyers in their name"), required=True
    )

    def clean_company_domain(self):
        return self.cleaned_data["company_domain"].strip().lower().lstrip("@")
