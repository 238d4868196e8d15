"""Dashboard screens of the touchpoint engine: message previews, templates, notification rules."""

import logging

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import path
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from notifications.builders import get_builder
from notifications.defaults import default_text
from notifications.models import MessageTemplate, MessagingPreferences, Touchpoint
from notifications.selectors import shipment_notification_matrix
from notifications.services import shipment_notification_set
from notifications.sms import send_sms
from notifications.template_preview import (
    KIND_LABELS,
    MessagePreview,
    TemplatePreview,
    message_preview,
    message_template_preview,
    sample_payload,
    sample_state,
)
from notifications.templating import (
    available_variables,
    template_validate,
)
from notifications.transports import default_from_email
from orders.models import ShipmentStatus
from postpurchase import ratelimit
from postpurchase.dashboard_auth import SETTINGS_ROLES, merchant_required
from postpurchase.models import LOCALES
from postpurchase.services import audit_record
from postpurchase.tenancy import get_for_merchant

logger = logging.getLogger(__name__)


def _sample_touchpoint(*, order, channel: str) -> Touchpoint:
    """The message the sample order would get now: the congratulation before it ships,
    else the update for its shipment's state. Written inside the preview's rolled-back
    transaction, like the order itself."""
    payload = sample_payload(order)
    kind = Touchpoint.Kind.SHIPMENT_UPDATE if payload else Touchpoint.Kind.CONGRATULATION
    return Touchpoint.objects.create(
        merchant=order.merchant,
        order=order,
        kind=kind,
        channel=channel,
        cause="preview",
        payload=payload,
    )


def render_email_preview(*, order, locale: str) -> MessagePreview:
    """The email the sample order gets, exactly as the touchpoint engine builds it."""
    touchpoint = _sample_touchpoint(order=order, channel=Touchpoint.Channel.EMAIL)
    return message_preview(touchpoint=touchpoint, locale=locale)


def render_sms_preview(*, order, locale: str) -> MessagePreview:
    """The text message the sample order gets, exactly as the touchpoint engine builds it."""
    touchpoint = _sample_touchpoint(order=order, channel=Touchpoint.Channel.SMS)
    return message_preview(touchpoint=touchpoint, locale=locale)


# ---- Message templates ----------------------------------------------------------------

TEMPLATE_KINDS = list(KIND_LABELS.items())
TEMPLATE_CHANNELS = [
    (Touchpoint.Channel.EMAIL, gettext_lazy("Email")),
    (Touchpoint.Channel.SMS, "SMS"),
]


class MessageTemplateForm(forms.ModelForm):
    shipment_status = forms.ChoiceField(
        label=gettext_lazy("Shipment status"),
        required=False,
        choices=[("", gettext_lazy("Every status")), *ShipmentStatus.choices],
        help_text=gettext_lazy("Shipment updates only: one status, or all of them."),
    )

    class Meta:
        model = MessageTemplate
        fields = ["kind", "channel", "locale", "shipment_status", "subject", "body", "is_active"]
        labels = {
            "kind": gettext_lazy("Message"),
            "channel": gettext_lazy("Channel"),
            "locale": gettext_lazy("Language"),
            "subject": gettext_lazy("Subject (email)"),
            "body": gettext_lazy("Text"),
            "is_active": gettext_lazy("Use this wording"),
        }
        widgets = {"body": forms.Textarea(attrs={"rows": 9, "full": 1})}

    def __init__(self, *args, merchant, **kwargs):
        super().__init__(*args, **kwargs)
        self.merchant = merchant
        self.fields["kind"].choices = TEMPLATE_KINDS
        self.fields["channel"].choices = TEMPLATE_CHANNELS
        self.fields["subject"].widget.attrs["full"] = 1

    def clean(self):
        cleaned = super().clean()
        kind, channel = cleaned.get("kind"), cleaned.get("channel")
        if kind != Touchpoint.Kind.SHIPMENT_UPDATE:
            cleaned["shipment_status"] = ""
        if channel == Touchpoint.Channel.SMS:
            cleaned["subject"] = ""
        if kind and channel:
            errors = template_validate(
                kind=kind,
                channel=channel,
                subject=cleaned.get("subject", ""),
                body=cleaned.get("body", ""),
            )
            for field, messages_ in errors.items():
                for message in messages_:
                    self.add_error(field if field in self.fields else None, message)
        clash = MessageTemplate.objects.for_merchant(self.merchant).filter(
            kind=kind,
            channel=channel,
            locale=cleaned.get("locale"),
            shipment_status=cleaned.get("shipment_status", ""),
        )
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if kind and channel and clash.exists():
            raise ValidationError(_("There is already a template for this message and language."))
        return cleaned


def _default_wording(*, kind: str, channel: str, locale: str, status: str = "") -> dict:
    with translation.override(locale):
        subject, body = default_text(kind, channel, status)
    return {"subject": subject, "body": body}


@merchant_required(*SETTINGS_ROLES)
def message_templates(request):
    rows = MessageTemplate.objects.for_merchant(request.merchant).order_by(
        "kind", "channel", "locale", "shipment_status"
    )
    return render(
        request,
        "notifications/dashboard/message_templates.html",
        {"templates": rows, "kinds": TEMPLATE_KINDS, "locales": LOCALES},
    )


@merchant_required(*SETTINGS_ROLES)
def message_template_edit(request, pk=None):
    merchant = request.merchant
    instance = get_for_merchant(MessageTemplate, merchant=merchant, pk=pk) if pk else None
    preview = None
    if request.method == "POST" and "preview" in request.POST:
        # The Preview button (no JavaScript): show the draft beside the editor, save nothing.
        form = MessageTemplateForm(request.POST, instance=instance, merchant=merchant)
        preview = _draft_preview(request, request.POST)
        status = 429 if preview.retry_after else 400 if preview.errors else 200
    elif request.method == "POST":
        form = MessageTemplateForm(request.POST, instance=instance, merchant=merchant)
        if form.is_valid():
            with transaction.atomic():
                template = form.save(commit=False)
                template.merchant = merchant
                template.updated_by = request.user
                template.last_error = ""
                template.last_error_at = None
                template.save()
                audit_record(
                    merchant=merchant,
                    actor=request.user,
                    action="template.updated" if pk else "template.created",
                    target=str(template),
                    details={"kind": template.kind, "channel": template.channel},
                )
            messages.success(request, _("Template saved. New messages use it from now on."))
            return redirect("dashboard:message_template_edit", pk=template.pk)
        status = 400
    else:
        initial = {}
        if instance is None:
            # Start from today's wording, so the merchant edits rather than writes.
            kind = request.GET.get("kind", Touchpoint.Kind.CONGRATULATION)
            channel = request.GET.get("channel", Touchpoint.Channel.EMAIL)
            locale = request.GET.get("locale", merchant.default_locale)
            status_ = request.GET.get("shipment_status", "")
            if kind in dict(TEMPLATE_KINDS) and channel in dict(TEMPLATE_CHANNELS):
                initial = {
                    "kind": kind,
                    "channel": channel,
                    "locale": locale if locale in dict(LOCALES) else merchant.default_locale,
                    "shipment_status": status_ if status_ in ShipmentStatus.values else "",
                    **_default_wording(kind=kind, channel=channel, locale=locale, status=status_),
                }
        form = MessageTemplateForm(instance=instance, initial=initial, merchant=merchant)
        status = 200
    kind = form["kind"].value() or Touchpoint.Kind.CONGRATULATION
    if preview is None:
        # The page opens with the preview of what the editor holds; typing refreshes it.
        preview = _draft_preview(request, {name: form[name].value() for name in PREVIEW_FIELDS})
    context = {
        "form": form,
        "object": instance,
        "kind": kind,
        "variables_by_kind": [(value, available_variables(value)) for value, _l in TEMPLATE_KINDS],
        **_preview_context(preview),
        "test_phone": request.user.phone,
    }
    return render(
        request, "notifications/dashboard/message_template_form.html", context, status=status
    )


# ---- The editor's live preview ---------------------------------------------------------

PREVIEW_FIELDS = ("kind", "channel", "locale", "shipment_status", "subject", "body")
# A debounced editor asks about twice a second while someone types without pause.
PREVIEW_LIMIT, PREVIEW_WINDOW = 120, 60


class TemplatePreviewForm(forms.Form):
    """What the preview reads of the editor's form; the template code is checked by the service."""

    kind = forms.ChoiceField(label=gettext_lazy("Message"), choices=TEMPLATE_KINDS)
    channel = forms.ChoiceField(label=gettext_lazy("Channel"), choices=TEMPLATE_CHANNELS)
    locale = forms.ChoiceField(label=gettext_lazy("Language"), choices=LOCALES)
    shipment_status = forms.ChoiceField(
        label=gettext_lazy("Shipment status"),
        required=False,
        choices=[("", ""), *ShipmentStatus.choices],
    )
    subject = forms.CharField(label=gettext_lazy("Subject (email)"), required=False)
    body = forms.CharField(label=gettext_lazy("Text"), required=False)


def _draft_preview(request, data) -> TemplatePreview:
    """The draft in `data` (the editor's fields) previewed for the request's merchant."""
    verdict = ratelimit.hit(
        f"template-preview:{request.user.pk}", limit=PREVIEW_LIMIT, window=PREVIEW_WINDOW
    )
    if not verdict.allowed:
        return TemplatePreview(
            errors={"__all__": [_("That is a lot of previews; wait a minute and try again.")]},
            retry_after=verdict.retry_after,
        )
    form = TemplatePreviewForm(data)
    if not form.is_valid():
        return TemplatePreview(
            errors={field: [str(m) for m in messages_] for field, messages_ in form.errors.items()}
        )
    values = form.cleaned_data
    return message_template_preview(
        merchant=request.merchant,
        kind=values["kind"],
        channel=values["channel"],
        locale=values["locale"],
        subject=values["subject"] if values["channel"] == Touchpoint.Channel.EMAIL else "",
        body=values["body"],
        shipment_status=(
            values["shipment_status"] if values["kind"] == Touchpoint.Kind.SHIPMENT_UPDATE else ""
        ),
    )


def _preview_context(preview: TemplatePreview) -> dict:
    labels = {name: field.label for name, field in TemplatePreviewForm.base_fields.items()}
    problems = [
        (labels.get(field, ""), message)
        for field, messages_ in preview.errors.items()
        for message in messages_
    ]
    state = preview.state
    if state == "ordered":
        state_label = _("Not shipped yet")
    else:
        state_label = ShipmentStatus(state).label if state in ShipmentStatus.values else ""
    return {"preview": preview, "preview_problems": problems, "preview_state": state_label}


@require_POST
@merchant_required(*SETTINGS_ROLES)
def message_template_preview_view(request):
    """The editor's draft as the buyer gets it, for the live preview (JSON with the panel).

    400 with {"errors": {field: [messages]}} when the draft cannot be previewed; the
    panel then shows those messages. Nothing is saved either way.
    """
    preview = _draft_preview(request, request.POST)
    html = render_to_string(
        "notifications/dashboard/_message_template_preview.html",
        _preview_context(preview),
        request=request,
    )
    body = {"html": html}
    headers = {"Cache-Control": "no-store"}
    status = 200
    if preview.errors:
        body["errors"] = preview.errors
        status = 400
    if preview.retry_after:
        headers["Retry-After"] = str(preview.retry_after)
        status = 429
    return JsonResponse(body, status=status, headers=headers)


@require_POST
@merchant_required(*SETTINGS_ROLES)
def message_template_test(request, pk):
    """Send the saved template, filled in for a sample order, to the signed-in person."""
    merchant = request.merchant
    template = get_for_merchant(MessageTemplate, merchant=merchant, pk=pk)
    verdict = ratelimit.hit(f"template-test:{request.user.pk}", limit=20, window=60 * 60)
    if not verdict.allowed:
        messages.error(request, _("That is a lot of tests; try again in a little while."))
        return redirect("dashboard:message_template_edit", pk=pk)
    phone = request.POST.get("phone", "").strip() or request.user.phone
    if template.channel == Touchpoint.Channel.SMS and not phone:
        messages.error(request, _("Add your mobile number to get the test text."))
        return redirect("dashboard:message_template_edit", pk=pk)
    try:
        sent_to = message_template_send_test(
            merchant=merchant, template=template, email=request.user.email, phone=phone
        )
    except Exception:
        logger.exception("test send of template %s failed", template.pk)
        messages.error(request, _("The test could not be sent. Check the sender settings."))
    else:
        messages.success(request, _("Test sent to %(to)s.") % {"to": sent_to})
    return redirect("dashboard:message_template_edit", pk=pk)


def message_template_send_test(
    *, merchant, template: MessageTemplate, email: str, phone: str
) -> str:
    """Build the real message for a sample order (rolled back) and send it to staff."""
    from orders.samples import sample_order

    state = sample_state(kind=template.kind, shipment_status=template.shipment_status)
    with sample_order(
        merchant=merchant, state=state, locale=template.locale, branding_values={}
    ) as order:
        touchpoint = Touchpoint.objects.create(
            merchant=merchant,
            order=order,
            kind=template.kind,
            channel=template.channel,
            cause="template-test",
            payload=sample_payload(order),
        )
        with translation.override(template.locale):
            built = get_builder(template.kind, template.channel)(touchpoint)
        sender_name = order.merchant.branding.sender_name or merchant.name
        sms_sender = order.merchant.branding.sms_sender
    if template.channel == Touchpoint.Channel.SMS:
        built.to = phone
        built.sender = built.sender or sms_sender
        send_sms(built.to, f"[TEST] {built.body}", built.sender)
        return phone
    message = EmailMultiAlternatives(
        subject=f"[TEST] {built.subject}",
        body=built.text,
        from_email=default_from_email(sender_name),
        to=[email],
        reply_to=built.reply_to,
    )
    if built.html:
        message.attach_alternative(built.html, "text/html")
    message.send()
    return email


@require_POST
@merchant_required(*SETTINGS_ROLES)
def message_template_delete(request, pk):
    template = get_for_merchant(MessageTemplate, merchant=request.merchant, pk=pk)
    with transaction.atomic():
        label = str(template)
        template.delete()
        audit_record(
            merchant=request.merchant,
            actor=request.user,
            action="template.deleted",
            target=label,
        )
    messages.success(request, _("Template deleted; the standard wording is used again."))
    return redirect("dashboard:message_templates")


# ---- Notification rules and quiet hours -----------------------------------------------


class QuietHoursForm(forms.ModelForm):
    class Meta:
        model = MessagingPreferences
        fields = ["sms_quiet_start", "sms_quiet_end", "delivery_days_min", "delivery_days_max"]
        labels = {
            "sms_quiet_start": gettext_lazy("No texts after"),
            "sms_quiet_end": gettext_lazy("No texts before"),
            "delivery_days_min": gettext_lazy("Usual delivery: from (business days)"),
            "delivery_days_max": gettext_lazy("Usual delivery: to (business days)"),
        }
        widgets = {
            "sms_quiet_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "sms_quiet_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }

    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("delivery_days_min"), cleaned.get("delivery_days_max")
        if low is not None and high is not None and low > high:
            self.add_error("delivery_days_max", _("Must be at least the first number."))
        return cleaned


@merchant_required(*SETTINGS_ROLES)
def notification_settings(request):
    merchant = request.merchant
    preferences = MessagingPreferences.objects.filter(merchant=merchant).first() or (
        MessagingPreferences(merchant=merchant)
    )
    matrix = shipment_notification_matrix(merchant=merchant)
    form = QuietHoursForm(request.POST or None, instance=preferences)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            preferences = form.save(commit=False)
            preferences.merchant = merchant
            preferences.save()
            changed = []
            for status, channels in matrix.items():
                for channel, enabled in channels.items():
                    wanted = request.POST.get(f"notify_{status}_{channel}") == "on"
                    if wanted != enabled:
                        shipment_notification_set(
                            merchant=merchant, status=status, channel=channel, enabled=wanted
                        )
                        changed.append(f"{status}/{channel}={'on' if wanted else 'off'}")
            audit_record(
                merchant=merchant,
                actor=request.user,
                action="notifications.updated",
                target="notification settings",
                details={"changed": changed},
            )
        messages.success(request, _("Notification settings saved."))
        return redirect("dashboard:notification_settings")
    rows = [
        {"status": status, "label": ShipmentStatus(status).label, **channels}
        for status, channels in matrix.items()
    ]
    return render(
        request,
        "notifications/dashboard/notification_settings.html",
        {"form": form, "rows": rows},
        status=400 if request.method == "POST" else 200,
    )


urlpatterns = [
    path("message-templates/", message_templates, name="message_templates"),
    path("message-templates/new/", message_template_edit, name="message_template_add"),
    path(
        "message-templates/preview/",
        message_template_preview_view,
        name="message_template_preview",
    ),
    path("message-templates/<int:pk>/", message_template_edit, name="message_template_edit"),
    path("message-templates/<int:pk>/test/", message_template_test, name="message_template_test"),
    path(
        "message-templates/<int:pk>/delete/",
        message_template_delete,
        name="message_template_delete",
    ),
    path("notifications/", notification_settings, name="notification_settings"),
]
