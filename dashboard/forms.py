"""Forms of the dashboard shell: sign-in, branding, business settings, team and keys."""

import contextlib
import re

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from postpurchase import ratelimit
from postpurchase.client_ip import client_ip
from postpurchase.localized import clean_texts, localized_text
from postpurchase.models import LOCALES, Branding, Membership, Merchant, hex_color_validator

# Failed sign-ins allowed before a pause: per account (guessing one password) and per
# address (trying many accounts). Windows are short so a typo-prone owner is not locked out.
LOGIN_FAILURES_PER_ACCOUNT = 5
LOGIN_FAILURES_PER_IP = 20
LOGIN_WINDOW_SECONDS = 15 * 60

WEEKDAY_CHOICES = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


def _block_key(kind: str, value: str) -> str:
    return f"login-block:{kind}:{value}"


class SignInForm(AuthenticationForm):
    """Django's sign-in, refusing after too many failures and letting only merchant staff in."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "throttled": _("Too many failed sign-ins. Wait a few minutes and try again."),
        "no_merchant": _("This account has no access to a merchant dashboard."),
    }

    def clean(self):
        email = (self.cleaned_data.get("username") or "").strip().lower()
        ip = client_ip(self.request)
        keys = [("account", email), ("ip", ip)]
        try:
            blocked = any(cache.get(_block_key(kind, value)) for kind, value in keys if value)
        except Exception:
            blocked = False  # a cache outage must not lock everyone out
        if blocked:
            raise ValidationError(self.error_messages["throttled"], code="throttled")
        try:
            return super().clean()
        except ValidationError as error:
            if getattr(error, "code", None) == "invalid_login":
                self._count_failure(email=email, ip=ip)
            raise

    def _count_failure(self, *, email: str, ip: str) -> None:
        limits = {"account": LOGIN_FAILURES_PER_ACCOUNT, "ip": LOGIN_FAILURES_PER_IP}
        for kind, value in (("account", email), ("ip", ip)):
            if not value:
                continue
            # The N-th failure in the window closes the door (hit refuses above its limit).
            verdict = ratelimit.hit(
                f"login-fail:{kind}:{value}", limit=limits[kind] - 1, window=LOGIN_WINDOW_SECONDS
            )
            if not verdict.allowed:
                # A cache outage was logged by the limiter; signing in stays possible.
                with contextlib.suppress(Exception):
                    cache.set(_block_key(kind, value), 1, timeout=max(verdict.retry_after, 60))

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        has_membership = (
            Membership.objects.unscoped(reason="signing in: which merchants this user may enter")
            .filter(user=user, is_active=True, merchant__is_active=True)
            .exists()
        )
        if not has_membership:
            raise ValidationError(self.error_messages["no_merchant"], code="no_merchant")


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG 2 contrast ratio of two #rrggbb colours (1 to 21)."""

    def luminance(hex_color: str) -> float:
        channels = [int(hex_color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    lighter, darker = sorted((luminance(foreground), luminance(background)), reverse=True)
    return round((lighter + 0.05) / (darker + 0.05), 2)


# WCAG AA for normal text.
MIN_CONTRAST = 4.5

SMS_SENDER_RE = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$|^\+[1-9]\d{6,14}$")
SHOP_LINK_SLOTS = 3  # rows shown at least; one more than stored, up to MAX_SHOP_LINKS
MAX_SHOP_LINKS = 5  # what the tracking page's menu shows


class ColorInput(forms.TextInput):
    input_type = "color"


class BrandingForm(forms.ModelForm):
    """Everything a buyer sees of the merchant. The logo is checked by the service."""

    website_url = forms.URLField(label=_("Shop website"), required=False, assume_scheme="https")
    support_email = forms.EmailField(label=_("Support email"), required=False)
    support_phone = forms.CharField(label=_("Support phone"), required=False, max_length=32)
    logo_upload = forms.FileField(
        label=_("Logo"),
        required=False,
        help_text=_("PNG, JPEG or WebP, at most 2 MB. Resized to fit 600×200."),
    )
    remove_logo = forms.BooleanField(label=_("Remove the current logo"), required=False)

    class Meta:
        model = Branding
        fields = [
            "primary_color",
            "accent_color",
            "background_color",
            "text_color",
            "font",
            "sender_name",
            "reply_to_email",
            "sms_sender",
        ]
        labels = {
            "primary_color": _("Primary colour"),
            "accent_color": _("Accent colour"),
            "background_color": _("Background colour"),
            "text_color": _("Text colour"),
            "font": _("Font"),
            "sender_name": _("Sender name"),
            "reply_to_email": _("Reply-to address"),
            "sms_sender": _("SMS sender"),
        }
        help_texts = {
            "sender_name": _("Shown as the From name of emails."),
            "sms_sender": _("Up to 11 letters and digits, or a phone number in +45… form."),
        }
        widgets = {
            "primary_color": ColorInput(),
            "accent_color": ColorInput(),
            "background_color": ColorInput(),
            "text_color": ColorInput(),
        }

    def __init__(self, *args, merchant: Merchant, **kwargs):
        super().__init__(*args, **kwargs)
        self.merchant = merchant
        # Texts buyers read come per language, the merchant's default language first.
        default = merchant.default_locale
        self.languages = sorted(LOCALES, key=lambda lang: lang[0] != default)
        banners = self.instance.banner_messages or {}
        for code, language in self.languages:
            self.fields[f"banner_message_{code}"] = forms.CharField(
                label=_("Banner message (%(language)s)") % {"language": language},
                required=False,
                max_length=200,
                initial=banners.get(code, ""),
                help_text=_("A short line on top of the tracking page and emails.")
                if code == default
                else _("Empty: buyers see the %(language)s one.")
                % {"language": self.languages[0][1]},
            )
        links = list(self.instance.shop_links or [])
        # Every stored link gets a row (and one empty row to add another), so a save
        # never drops a link the form did not show.
        self.link_slots = max(
            SHOP_LINK_SLOTS, min(len(links) + 1, MAX_SHOP_LINKS), len(links), self._posted_rows()
        )
        for index in range(self.link_slots):
            link = links[index] if index < len(links) else {}
            labels = link.get("labels") if isinstance(link.get("labels"), dict) else {}
            # The row's first text is the default language's (the one every link has).
            self.fields[f"link_{index}_label"] = forms.CharField(
                label=_("Link text (%(language)s)") % {"language": self.languages[0][1]},
                required=False,
                max_length=40,
                initial=labels.get(default) or link.get("label", ""),
            )
            for code, language in self.languages[1:]:
                self.fields[f"link_{index}_label_{code}"] = forms.CharField(
                    label=_("Link text (%(language)s)") % {"language": language},
                    required=False,
                    max_length=40,
                    initial=labels.get(code, ""),
                )
            self.fields[f"link_{index}_url"] = forms.URLField(
                label=_("Link address"),
                required=False,
                assume_scheme="https",
                initial=link.get("url", ""),
            )
            # The address this row showed when the page was rendered: a stored link no
            # row showed (a colleague added it meanwhile) is kept as it is.
            self.fields[f"link_{index}_shown"] = forms.CharField(
                required=False, widget=forms.HiddenInput, initial=link.get("url", "")
            )
        if not self.is_bound:
            self.initial.update(
                website_url=merchant.website_url,
                support_email=merchant.support_email,
                support_phone=merchant.support_phone,
            )

    def _posted_rows(self) -> int:
        """How many link rows the page that posted had (it may predate a removal)."""
        data = self.data if self.is_bound else {}
        rows = 0
        while rows < MAX_SHOP_LINKS * 4 and f"link_{rows}_label" in data:
            rows += 1
        return rows

    def link_rows(self):
        """(default-language text, address, marker, [texts in the other languages]) per row."""
        return [
            (
                self[f"link_{index}_label"],
                self[f"link_{index}_url"],
                self[f"link_{index}_shown"],
                [self[f"link_{index}_label_{code}"] for code, _name in self.languages[1:]],
            )
            for index in range(self.link_slots)
        ]

    def banner_fields(self):
        return [self[f"banner_message_{code}"] for code, _name in self.languages]

    def _posted_or_shown(self, cleaned: dict, name: str) -> str:
        """A field the posting page had, else what the form showed: a page that predates
        a language keeps that language's stored text."""
        if name in self.data:
            return cleaned.get(name, "")
        return self.fields[name].initial or ""

    def clean_sms_sender(self):
        value = self.cleaned_data.get("sms_sender", "").strip()
        if value and not SMS_SENDER_RE.match(value):
            raise ValidationError(
                _("Use up to 11 letters and digits (at least one letter), or a +45… number.")
            )
        return value

    def clean(self):
        cleaned = super().clean()
        links = []
        stored = list(self.instance.shop_links or [])
        shown = set()
        posted_rows = self._posted_rows()
        for index in range(self.link_slots):
            key = f"link_{index}_shown"
            if key in self.data:
                shown.add(cleaned.get(key, ""))
            elif index < min(posted_rows, len(stored)):
                # A row posted without its marker showed what it shows now.
                shown.add(stored[index].get("url", ""))
            labels = clean_texts(
                {
                    self.languages[0][0]: cleaned.get(f"link_{index}_label", ""),
                    **{
                        code: self._posted_or_shown(cleaned, f"link_{index}_label_{code}")
                        for code, _name in self.languages[1:]
                    },
                }
            )
            label = localized_text(
                labels, locale=self.languages[0][0], default_locale=self.languages[0][0]
            )
            url = cleaned.get(f"link_{index}_url", "")
            if not url and not cleaned.get(f"link_{index}_label", ""):
                continue  # a cleared row: its other languages' texts go with it
            if label and not url:
                self.add_error(f"link_{index}_url", _("Add the address for this link."))
            elif url and not label:
                self.add_error(f"link_{index}_label", _("Add the text for this link."))
            elif label and url:
                links.append({"label": label, "labels": labels, "url": url})
        posted = {link["url"] for link in links}
        links += [
            link
            for link in stored
            if link.get("url") not in shown and link.get("url") not in posted
        ]
        cleaned["shop_links"] = links
        cleaned["banner_messages"] = clean_texts(
            {
                code: self._posted_or_shown(cleaned, f"banner_message_{code}")
                for code, _name in self.languages
            }
        )
        return cleaned

    def contrast_warnings(self) -> list[str]:
        data = self.cleaned_data if self.is_bound and hasattr(self, "cleaned_data") else {}
        return branding_contrast_warnings(
            text=data.get("text_color") or self.instance.text_color,
            background=data.get("background_color") or self.instance.background_color,
            primary=data.get("primary_color") or self.instance.primary_color,
        )


class LogoPreviewForm(forms.Form):
    """A logo chosen on the branding page, sent ahead of saving to show it in the preview."""

    logo_upload = forms.FileField(label=_("Logo"))


def branding_contrast_warnings(*, text: str, background: str, primary: str) -> list[str]:
    warnings = []
    try:
        for value in (text, background, primary):
            hex_color_validator(value)
    except ValidationError:
        return warnings
    ratio = contrast_ratio(text, background)
    if ratio < MIN_CONTRAST:
        warnings.append(
            _("Text on the background has a contrast of %(ratio)s:1; aim for at least 4.5:1.")
            % {"ratio": ratio}
        )
    ratio = contrast_ratio("#ffffff", primary)
    if ratio < MIN_CONTRAST:
        warnings.append(
            _("White button text on the primary colour has a contrast of %(ratio)s:1.")
            % {"ratio": ratio}
        )
    return warnings


class BusinessSettingsForm(forms.ModelForm):
    """When calls may happen and how the shop speaks by default."""

    business_days = forms.TypedMultipleChoiceField(
        label=_("Business days"),
        choices=WEEKDAY_CHOICES,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Merchant
        fields = [
            "name",
            "timezone",
            "default_locale",
            "business_hours_start",
            "business_hours_end",
            "business_days",
        ]
        labels = {
            "name": _("Shop name"),
            "timezone": _("Time zone"),
            "default_locale": _("Default language"),
            "business_hours_start": _("Calls from"),
            "business_hours_end": _("Calls until"),
        }
        widgets = {
            "business_hours_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "business_hours_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("business_hours_start"), cleaned.get("business_hours_end")
        if start and end and start >= end:
            self.add_error("business_hours_end", _("The end must be after the start."))
        return cleaned


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Email"))
    full_name = forms.CharField(label=_("Name"), max_length=200, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices)

    def __init__(self, *args, inviter: Membership, **kwargs):
        super().__init__(*args, **kwargs)
        if inviter.role != Membership.Role.OWNER:
            # Only an owner can hand out ownership.
            self.fields["role"].choices = [
                c for c in Membership.Role.choices if c[0] != Membership.Role.OWNER
            ]
        self.fields["role"].initial = Membership.Role.ACCOUNT_MANAGER

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("Where the key is used, e.g. “Shopify production”."),
    )


class PeriodForm(forms.Form):
    """The metrics period: a preset number of days, or explicit dates."""

    days = forms.TypedChoiceField(
        label=_("Period"),
        coerce=int,
        required=False,
        choices=[(7, _("Last 7 days")), (30, _("Last 30 days")), (90, _("Last 90 days"))],
    )
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput({"type": "date"})
    )
    end = forms.DateField(
        label=pgettext_lazy("date range", "To"),
        required=False,
        widget=forms.DateInput({"type": "date"}),
    )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if (start is None) != (end is None):
            raise ValidationError(_("Give both dates, or choose a preset period."))
        if start and end and start > end:
            raise ValidationError(_("The start must be before the end."))
        if start and end and (end - start).days > 366:
            raise ValidationError(_("Choose at most a year."))
        return cleaned


LOCALE_CHOICES = LOCALES


class CallRulesForm(forms.ModelForm):
    """Which orders get a follow-up call and how hard to try (the calls app's rules)."""

    class Meta:
        from followups.models import CallSettings

        model = CallSettings
        fields = [
            "min_order_value",
            "first_time_customers_only",
            "max_attempts",
            "high_value_threshold",
            "offer_text",
            "ambassador_monthly_cap",
        ]
        labels = {
            "min_order_value": _("Call about orders from"),
            "first_time_customers_only": _("Only first-time customers"),
            "max_attempts": _("Attempts before giving up"),
            "high_value_threshold": _("High order value (a risk signal)"),
            "offer_text": _("Offer to mention on the call"),
            "ambassador_monthly_cap": _("Endorsement requests per ambassador a month"),
        }

    def clean_max_attempts(self):
        value = self.cleaned_data["max_attempts"]
        if not 1 <= value <= 10:
            raise ValidationError(_("Choose between 1 and 10 attempts."))
        return value


class TrackingPageForm(forms.ModelForm):
    class Meta:
        from tracking.models import TrackingSettings

        model = TrackingSettings
        fields = ["crosssell_slots", "attribution_days", "show_testimonials"]
        labels = {
            "crosssell_slots": _("Cross-sell suggestions on the page"),
            "attribution_days": _("Count a purchase as cross-sell within (days)"),
            "show_testimonials": _("Show testimonials"),
        }


class IntegrationForm(forms.Form):
    platform = forms.ChoiceField(label=_("Platform"))
    secret = forms.CharField(
        label=_("Signing secret"),
        min_length=8,
        max_length=500,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("From the shop's webhook settings. Stored encrypted; never shown again."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from orders.integrations.models import Platform

        self.fields["platform"].choices = Platform.choices
