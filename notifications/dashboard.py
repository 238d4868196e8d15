"""Dashboard screens of the touchpoint engine: message previews, templates, notification rules."""

import logging
from dataclasses import dataclass
from email.utils import parseaddr

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from notifications.builders import get_builder
from notifications.defaults import default_text
from notifications.models import MessageTemplate, MessagingPreferences, Touchpoint
from notifications.selectors import shipment_notification_matrix
from notifications.services import shipment_notification_set
from notifications.sms import send_sms
from notifications.templating import (
    available_variables,
    sms_normalize,
    sms_segments,
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


@dataclass
class MessagePreview:
    channel: str
    kind: str
    to: str
    subject: str = ""
    html: str = ""
    text: str = ""
    from_name: str = ""
    from_email: str = ""
    reply_to: str = ""
    sender: str = ""
    segments: int = 1
    encoding: str = "gsm7"


def _sample_touchpoint(*, order, channel: str) -> Touchpoint:
    """The message the sample order would get now: the congratulation before it ships,
    else the update for its shipment's state. Written inside the preview's rolled-back
    transaction, like the order itself."""
    shipment = order.shipments.first()
    if shipment is None:
        kind, payload = Touchpoint.Kind.CONGRATULATION, {}
    else:
        kind = Touchpoint.Kind.SHIPMENT_UPDATE
        payload = {"shipment_id": shipment.pk, "status": shipment.status}
    return Touchpoint.objects.create(
        merchant=order.merchant,
        order=order,
        kind=kind,
        channel=channel,
        cause="preview",
        payload=payload,
    )


def _build(touchpoint, locale: str):
    """The registered builder's message for `touchpoint`, in `locale`, as the sender builds it."""
    builder = get_builder(touchpoint.kind, touchpoint.channel)
    with translation.override(locale):
        return builder(touchpoint) if builder else None


def render_email_preview(*, order, locale: str) -> MessagePreview:
    """The email the sample order gets, exactly as the touchpoint engine builds it."""
    branding = order.merchant.branding
    touchpoint = _sample_touchpoint(order=order, channel=Touchpoint.Channel.EMAIL)
    built = _build(touchpoint, locale)
    return MessagePreview(
        channel="email",
        kind=touchpoint.get_kind_display(),
        to=", ".join(built.to),
        subject=built.subject,
        html=built.html,
        text=built.text,
        from_name=branding.sender_name or order.merchant.name,
        from_email=parseaddr(built.from_email or settings.DEFAULT_FROM_EMAIL)[1],
        reply_to=", ".join(built.reply_to),
    )


def render_sms_preview(*, order, locale: str) -> MessagePreview:
    """The text message the sample order gets, exactly as the touchpoint engine builds it."""
    branding = order.merchant.branding
    touchpoint = _sample_touchpoint(order=order, channel=Touchpoint.Channel.SMS)
    built = _build(touchpoint, locale)
    encoding, segments = sms_segments(built.body)
    return MessagePreview(
        channel="sms",
        kind=touchpoint.get_kind_display(),
        to=built.to,
        text=built.body,
        sender=built.sender or branding.sms_sender or settings.TWILIO_FROM_NUMBER or "",
        segments=segments,
        encoding=encoding,
    )


# ---- Message templates ----------------------------------------------------------------

TEMPLATE_KINDS = [
    (Touchpoint.Kind.CONGRATULATION, gettext_lazy("Congratulation")),
    (Touchpoint.Kind.SHIPMENT_UPDATE, pgettext_lazy("touchpoint kind", "Shipment update")),
]
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
    if request.method == "POST":
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
    body = form["body"].value() or ""
    encoding, segments = sms_segments(sms_normalize(body)) if body else ("gsm7", 0)
    context = {
        "form": form,
        "object": instance,
        "variables": available_variables(kind),
        "sms_length": len(sms_normalize(body)),
        "sms_segments": segments,
        "sms_encoding": encoding,
        "test_phone": request.user.phone,
    }
    return render(
        request, "notifications/dashboard/message_template_form.html", context, status=status
    )


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
    from postpurchase.dashboard.preview import sample_order

    state = template.shipment_status or (
        "ordered" if template.kind == Touchpoint.Kind.CONGRATULATION else ShipmentStatus.IN_TRANSIT
    )
    with sample_order(
        merchant=merchant, state=state, locale=template.locale, branding_values={}
    ) as order:
        touchpoint = Touchpoint.objects.create(
            merchant=merchant,
            order=order,
            kind=template.kind,
            channel=template.channel,
            cause="template-test",
            payload=_sample_payload(order),
        )
        built = _build(touchpoint, template.locale)
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


def _sample_payload(order) -> dict:
    shipment = order.shipments.first()
    return {"shipment_id": shipment.pk, "status": shipment.status} if shipment else {}


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
    path("message-templates/<int:pk>/", message_template_edit, name="message_template_edit"),
    path("message-templates/<int:pk>/test/", message_template_test, name="message_template_test"),
    path(
        "message-templates/<int:pk>/delete/",
        message_template_delete,
        name="message_template_delete",
    ),
    path("notifications/", notification_settings, name="notification_settings"),
]
