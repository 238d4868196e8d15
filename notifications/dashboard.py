"""Dashboard screens of the touchpoint engine: message previews, templates, notification rules."""

from dataclasses import dataclass
from email.utils import parseaddr

from django.conf import settings
from django.shortcuts import render
from django.urls import path
from django.utils import translation

from notifications.builders import get_builder
from notifications.models import Touchpoint
from notifications.templating import sms_segments
from postpurchase.dashboard_auth import SETTINGS_ROLES, merchant_required


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


@merchant_required(*SETTINGS_ROLES)
def message_templates(request):
    return render(request, "notifications/dashboard/message_templates.html", {"templates": []})


@merchant_required(*SETTINGS_ROLES)
def notification_settings(request):
    return render(request, "notifications/dashboard/notification_settings.html", {})


urlpatterns = [
    path("message-templates/", message_templates, name="message_templates"),
    path("notifications/", notification_settings, name="notification_settings"),
]
