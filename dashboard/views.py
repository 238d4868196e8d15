"""Pages of the dashboard shell. Thin: read a form, call a service or selector, render."""

import csv

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from dashboard import metrics as metrics_selectors
from dashboard import selectors, services
from dashboard.forms import (
    ApiKeyForm,
    BrandingForm,
    BusinessSettingsForm,
    CallRulesForm,
    IntegrationForm,
    InviteForm,
    LogoPreviewForm,
    PeriodForm,
    TrackingPageForm,
)
from dashboard.preview import preview_logo_store
from followups.services import call_settings_for
from orders.samples import sample_order
from postpurchase.dashboard_auth import SETTINGS_ROLES, merchant_required
from postpurchase.middleware import DEFAULT_CSP
from postpurchase.models import LOCALES, ApiKey, AuditLogEntry, Branding, Membership
from postpurchase.tenancy import get_for_merchant
from tracking.selectors import tracking_settings_for


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


@merchant_required()
def home(request):
    merchant = request.merchant
    context = {
        "overview": selectors.overview(merchant=merchant, membership=request.membership),
    }
    return render(request, "dashboard/home.html", context)


@merchant_required(*SETTINGS_ROLES)
def branding(request):
    merchant = request.merchant
    instance, _created = Branding.objects.get_or_create(merchant=merchant)
    if request.method == "POST":
        form = BrandingForm(request.POST, request.FILES, instance=instance, merchant=merchant)
        if form.is_valid():
            values = {**form.cleaned_data}
            try:
                services.branding_update(
                    merchant=merchant,
                    actor=request.user,
                    values=values,
                    logo_upload=form.cleaned_data.get("logo_upload"),
                    remove_logo=form.cleaned_data.get("remove_logo", False),
                )
            except ValidationError as error:
                form.add_error("logo_upload", _error_text(error))
            else:
                messages.success(request, _("Branding saved. Buyers see it from now on."))
                return redirect("dashboard:branding")
        status = 400
    else:
        form = BrandingForm(instance=instance, merchant=merchant)
        status = 200
    context = {
        "form": form,
        "branding": instance,
        "contrast_warnings": form.contrast_warnings() if form.is_bound else [],
        "preview": selectors.preview_choices(merchant=merchant, request=request),
    }
    return render(request, "dashboard/branding.html", context, status=status)


@merchant_required(*SETTINGS_ROLES)
def business_settings(request):
    """Business hours, call rules and tracking-page options: one page, one form each."""
    merchant = request.merchant
    section = request.POST.get("section") if request.method == "POST" else None
    call_rules = call_settings_for(merchant=merchant)
    tracking = tracking_settings_for(merchant)
    forms_ = {
        "business": BusinessSettingsForm(
            request.POST if section == "business" else None, instance=merchant, prefix="business"
        ),
        "calls": CallRulesForm(
            request.POST if section == "calls" else None, instance=call_rules, prefix="calls"
        ),
        "tracking": TrackingPageForm(
            request.POST if section == "tracking" else None, instance=tracking, prefix="tracking"
        ),
    }
    status = 200
    if section in forms_:
        form = forms_[section]
        if form.is_valid():
            if section == "business":
                services.merchant_settings_update(
                    merchant=merchant,
                    actor=request.user,
                    values={f: form.cleaned_data[f] for f in BusinessSettingsForm.Meta.fields},
                )
            else:
                services.settings_row_save(
                    merchant=merchant, actor=request.user, form=form, action=f"{section}.updated"
                )
            messages.success(request, _("Settings saved."))
            return redirect("dashboard:settings")
        status = 400
    return render(request, "dashboard/settings.html", {"forms": forms_}, status=status)


@merchant_required(*SETTINGS_ROLES)
def team(request):
    merchant = request.merchant
    form = InviteForm(request.POST or None, inviter=request.membership)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.team_invite(
                    merchant=merchant,
                    invited_by=request.user,
                    email=form.cleaned_data["email"],
                    full_name=form.cleaned_data["full_name"],
                    role=form.cleaned_data["role"],
                )
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(
                    request,
                    _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]},
                )
                return redirect("dashboard:team")
        status = 400
    members = (
        Membership.objects.for_merchant(merchant)
        .select_related("user")
        .order_by("-is_active", "role", "user__email")
    )
    return render(request, "dashboard/team.html", {"form": form, "members": members}, status=status)


@require_POST
@merchant_required(*SETTINGS_ROLES)
def team_deactivate(request, membership_id: int):
    membership = get_for_merchant(Membership, merchant=request.merchant, pk=membership_id)
    try:
        services.membership_deactivate(
            merchant=request.merchant, actor=request.membership, membership_id=membership.pk
        )
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(
            request, _("%(email)s can no longer sign in.") % {"email": membership.user.email}
        )
    return redirect("dashboard:team")


@merchant_required(*SETTINGS_ROLES)
def api_keys(request):
    merchant = request.merchant
    if request.method == "POST" and request.POST.get("section") == "integration":
        return _integration_connect(request)
    form = ApiKeyForm(request.POST or None)
    new_key = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            key, raw = services.api_key_create_audited(
                merchant=merchant, actor=request.user, name=form.cleaned_data["name"]
            )
            # Rendered in this response only; it is stored hashed and cannot be shown again.
            new_key = {"key": key, "raw": raw}
            form = ApiKeyForm()
        else:
            status = 400
    keys = ApiKey.objects.for_merchant(merchant).select_related("created_by")
    context = {
        "form": form,
        "keys": keys,
        "new_key": new_key,
        "integrations": selectors.integration_secrets(merchant=merchant),
        "integration_form": IntegrationForm(),
    }
    response = render(request, "dashboard/api_keys.html", context, status=status)
    if new_key:
        response["Cache-Control"] = "no-store"
    return response


def _integration_connect(request):
    form = IntegrationForm(request.POST)
    if form.is_valid():
        try:
            services.integration_connect_audited(
                merchant=request.merchant,
                actor=request.user,
                platform=form.cleaned_data["platform"],
                secret=form.cleaned_data["secret"],
            )
        except ValidationError as error:
            messages.error(request, _error_text(error))
        else:
            messages.success(
                request, _("Connected. Webhooks signed with that secret are accepted.")
            )
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect("dashboard:api_keys")


@require_POST
@merchant_required(*SETTINGS_ROLES)
def api_key_revoke(request, key_id: int):
    key = get_for_merchant(ApiKey, merchant=request.merchant, pk=key_id)
    services.api_key_revoke_audited(merchant=request.merchant, actor=request.user, key_id=key.pk)
    messages.success(request, _("Key “%(name)s” revoked.") % {"name": key.name})
    return redirect("dashboard:api_keys")


@merchant_required(*SETTINGS_ROLES)
def audit_log(request):
    entries = list(
        AuditLogEntry.objects.for_merchant(request.merchant).select_related("actor")[:200]
    )
    for entry in entries:
        entry.action_label = selectors.audit_action_label(entry.action)
    return render(request, "dashboard/audit_log.html", {"entries": entries})


PREVIEW_CSP = DEFAULT_CSP.replace("frame-ancestors 'none'", "frame-ancestors 'self'")


@xframe_options_sameorigin
@merchant_required(*SETTINGS_ROLES)
def branding_preview(request):
    """The real tracking page, email or SMS for a sample order, with unsaved branding."""
    from notifications.dashboard import render_email_preview, render_sms_preview
    from tracking.dashboard import render_tracking_preview

    merchant = request.merchant
    view = request.GET.get("view", "tracking")
    state = request.GET.get("state", "in_transit")
    locale = request.GET.get("locale") or merchant.default_locale
    if locale not in dict(LOCALES):
        locale = merchant.default_locale
    values = selectors.branding_preview_values(
        merchant=merchant, params=request.GET, user=request.user
    )
    with sample_order(
        merchant=merchant, state=state, locale=locale, branding_values=values
    ) as order:
        if view == "email":
            message = render_email_preview(order=order, locale=locale)
            html = render_to_string(
                "dashboard/preview_email.html", {"message": message}, request=request
            )
        elif view == "sms":
            message = render_sms_preview(order=order, locale=locale)
            html = render_to_string(
                "dashboard/preview_sms.html", {"message": message}, request=request
            )
        else:
            html = render_tracking_preview(order=order, locale=locale, request=request)
    response = HttpResponse(html)
    response["Content-Security-Policy"] = PREVIEW_CSP
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@merchant_required(*SETTINGS_ROLES)
def branding_preview_logo(request):
    """Take a chosen logo before saving: checked and resized as on save, kept for the preview.

    Answers the token the preview asks with, or 400 with the field's messages.
    """
    form = LogoPreviewForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            token = preview_logo_store(
                merchant=request.merchant,
                user=request.user,
                upload=form.cleaned_data["logo_upload"],
            )
        except ValidationError as error:
            form.add_error("logo_upload", error)
        else:
            return JsonResponse({"token": token}, headers={"Cache-Control": "no-store"})
    errors = {
        field: [error["message"] for error in field_errors]
        for field, field_errors in form.errors.get_json_data().items()
    }
    return JsonResponse({"errors": errors}, status=400)


def _period(request):
    form = PeriodForm(request.GET or None)
    merchant = request.merchant
    days = 30
    if form.is_valid():
        if form.cleaned_data.get("start"):
            first, last = form.cleaned_data["start"], form.cleaned_data["end"]
            return form, metrics_selectors.period_between(merchant=merchant, first=first, last=last)
        days = form.cleaned_data.get("days") or 30
    return form, metrics_selectors.period_last_days(merchant=merchant, days=days)


@merchant_required(*SETTINGS_ROLES)
def metrics(request):
    form, period = _period(request)
    context = {
        "form": form,
        "period": period,
        **selectors.metrics_page(merchant=request.merchant, period=period),
    }
    return render(request, "dashboard/metrics.html", context)


@merchant_required(*SETTINGS_ROLES)
def metrics_csv(request):
    _form, period = _period(request)
    merchant = request.merchant
    current = metrics_selectors.all_metrics(merchant=merchant, period=period)
    previous = metrics_selectors.all_metrics(merchant=merchant, period=period.previous())
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    first, last = period.days[0], period.days[-1]
    response["Content-Disposition"] = f'attachment; filename="metrics-{first}-{last}.csv"'
    writer = csv.writer(response)
    previous_days = period.previous().days
    writer.writerow(
        [
            "metric",
            f"{first}..{last}",
            f"{previous_days[0]}..{previous_days[-1]}",
        ]
    )
    for section, key, label, _kind in metrics_selectors.FLAT_METRICS:
        writer.writerow(
            [
                label,
                _csv_value(metrics_selectors.lookup(current, section, key)),
                _csv_value(metrics_selectors.lookup(previous, section, key)),
            ]
        )
    return response


def _csv_value(value):
    return "" if value is None else value
