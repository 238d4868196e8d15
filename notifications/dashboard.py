"""Dashboard screens of the touchpoint engine: message previews, templates, notification rules."""

from dataclasses import dataclass

from django.conf import settings
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import path
from django.utils import translation

from notifications.models import Touchpoint
from postpurchase.dashboard_auth import SETTINGS_ROLES, merchant_required


@dataclass
class MessagePreview:
    channel: str
    to: str
    subject: str = ""
    html: str = ""
    text: str = ""
    from_name: str = ""
    from_email: str = ""
    reply_to: str = ""
    sender: str = ""


def _sample_touchpoint(*, order, kind: str, channel: str) -> Touchpoint:
    # Written inside the preview's rolled-back transaction, like the order itself.
    return Touchpoint.objects.create(
        merchant=order.merchant, order=order, kind=kind, channel=channel, cause="preview"
    )


def render_email_preview(*, order, locale: str, kind: str = Touchpoint.Kind.CONGRATULATION):
    """The congratulation email for `order` as the engine would build it."""
    branding = order.merchant.branding
    touchpoint = _sample_touchpoint(order=order, kind=kind, channel=Touchpoint.Channel.EMAIL)
    built = _build(touchpoint)
    with translation.override(locale):
        if built is not None:
            return MessagePreview(
                channel="email",
                to=", ".join(built.to) if isinstance(built.to, list | tuple) else str(built.to),
                subject=built.subject,
                html=built.html or "",
                text=built.text,
                from_name=branding.sender_name or order.merchant.name,
                from_email=settings.DEFAULT_FROM_EMAIL,
                reply_to=getattr(built, "reply_to", "") or branding.reply_to_email,
            )
        html = render_to_string(
            "notifications/dashboard/email_fallback.html",
            {"order": order, "branding": branding, "merchant": order.merchant},
        )
        return MessagePreview(
            channel="email",
            to=order.customer.email,
            subject=f"{order.merchant.name}: {order.number}",
            html=html,
            from_name=branding.sender_name or order.merchant.name,
            from_email=settings.DEFAULT_FROM_EMAIL,
            reply_to=branding.reply_to_email,
        )


def render_sms_preview(*, order, locale: str, kind: str = Touchpoint.Kind.SHIPMENT_UPDATE):
    """The SMS for `order` (a shipment update by default) as the engine would build it."""
    branding = order.merchant.branding
    touchpoint = _sample_touchpoint(order=order, kind=kind, channel=Touchpoint.Channel.SMS)
    shipment = order.shipments.first()
    if shipment is not None:
        touchpoint.payload = {"shipment_id": shipment.pk, "status": shipment.status}
        touchpoint.save(update_fields=["payload"])
    built = _build(touchpoint)
    with translation.override(locale):
        if built is not None:
            return MessagePreview(
                channel="sms",
                to=built.to,
                text=built.body,
                sender=built.sender or branding.sms_sender,
            )
        return MessagePreview(
            channel="sms",
            to=order.customer.phone,
            text=f"{order.merchant.name}: {order.number} {order.tracking_url}",
            sender=branding.sms_sender or order.merchant.name[:11],
        )


def _build(touchpoint):
    """The registered builder's message for `touchpoint`, or None before builders exist."""
    try:
        from notifications import builders
    except ImportError:
        return None
    build = getattr(builders, "build", None) or getattr(builders, "build_message", None)
    if build is None:
        return None
    return build(touchpoint)


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
