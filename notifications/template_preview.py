"""Previews of messages for the dashboard: what the real builders send, with nothing kept.

The template editor previews a draft: the draft becomes the merchant's active
wording, a sample order of this merchant (its branding and products, a buyer of
the template's language) is placed, and the registered builder builds the
touchpoint, exactly as a send would. All of it happens inside the sample order's
transaction, which is always rolled back, so no row survives a preview.
"""

from dataclasses import dataclass, field
from email.utils import parseaddr

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from notifications.builders import get_builder
from notifications.models import MessageTemplate, Touchpoint
from notifications.templating import sms_segments, template_validate
from orders.models import ShipmentStatus

# The messages merchants word themselves, as the dashboard names them.
KIND_LABELS = {
    Touchpoint.Kind.CONGRATULATION: gettext_lazy("Congratulation"),
    Touchpoint.Kind.SHIPMENT_UPDATE: pgettext_lazy("touchpoint kind", "Shipment update"),
}


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

    @property
    def length(self) -> int:
        return len(self.text)


def message_preview(*, touchpoint: Touchpoint, locale: str) -> MessagePreview:
    """The message the registered builder makes of `touchpoint`, in `locale`."""
    builder = get_builder(touchpoint.kind, touchpoint.channel)
    with translation.override(locale):
        built = builder(touchpoint)
    branding = touchpoint.merchant.branding
    kind = str(KIND_LABELS.get(touchpoint.kind, touchpoint.get_kind_display()))
    if touchpoint.channel == Touchpoint.Channel.SMS:
        encoding, segments = sms_segments(built.body)
        return MessagePreview(
            channel="sms",
            kind=kind,
            to=built.to,
            text=built.body,
            sender=built.sender or branding.sms_sender or settings.TWILIO_FROM_NUMBER or "",
            segments=segments,
            encoding=encoding,
        )
    return MessagePreview(
        channel="email",
        kind=kind,
        to=", ".join(built.to),
        subject=built.subject,
        html=built.html,
        text=built.text,
        from_name=branding.sender_name or touchpoint.merchant.name,
        from_email=parseaddr(built.from_email or settings.DEFAULT_FROM_EMAIL)[1],
        reply_to=", ".join(built.reply_to),
    )


def sample_state(*, kind: str, shipment_status: str = "") -> str:
    """The sample order's state for a template: before shipping for a congratulation,
    the template's own status for an update (in transit when it covers every status)."""
    if kind == Touchpoint.Kind.CONGRATULATION:
        return "ordered"
    return shipment_status or ShipmentStatus.IN_TRANSIT


def sample_payload(order) -> dict:
    shipment = order.shipments.first()
    return {"shipment_id": shipment.pk, "status": shipment.status} if shipment else {}


@dataclass
class TemplatePreview:
    """A draft's message, or what is wrong with the draft ({field: [messages]})."""

    message: MessagePreview | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)
    state: str = ""  # the sample order's state, e.g. "in_transit"
    retry_after: int = 0  # seconds, when the person asked for too many previews


def message_template_preview(
    *,
    merchant,
    kind: str,
    channel: str,
    locale: str,
    subject: str = "",
    body: str = "",
    shipment_status: str = "",
) -> TemplatePreview:
    """The message a draft template sends, built by the real builder for a sample order.

    A draft the editor would refuse (syntax, unknown variables, filters) is not
    rendered: its errors come back instead, the same messages saving shows. A draft
    that validates but fails on the sample data reports that error rather than
    falling back to the standard wording as a real send would.
    """
    from orders.samples import sample_order

    errors = template_validate(kind=kind, channel=channel, subject=subject, body=body)
    if errors:
        return TemplatePreview(errors=errors)
    state = sample_state(kind=kind, shipment_status=shipment_status)
    with sample_order(merchant=merchant, state=state, locale=locale, branding_values={}) as order:
        _draft_install(
            merchant=order.merchant,
            kind=kind,
            channel=channel,
            locale=locale,
            shipment_status=shipment_status,
            subject=subject,
            body=body,
        )
        touchpoint = Touchpoint.objects.create(
            merchant=order.merchant,
            order=order,
            kind=kind,
            channel=channel,
            cause="template-preview",
            payload=sample_payload(order),
        )
        message = message_preview(touchpoint=touchpoint, locale=locale)
        failure = touchpoint.payload.get("template_error", "")
    if failure:
        return TemplatePreview(
            errors={"body": [_("The template does not render: %(error)s") % {"error": failure}]},
            state=state,
        )
    return TemplatePreview(message=message, state=state)


def _draft_install(*, merchant, kind, channel, locale, shipment_status, subject, body) -> None:
    """Make the draft the wording the builder finds (inside the preview's rollback).

    The merchant's other wordings of this message and language step aside, so a
    draft for every status is not hidden by a saved one for the sample's status.
    """
    rows = MessageTemplate.objects.for_merchant(merchant).filter(
        kind=kind, channel=channel, locale=locale
    )
    rows.exclude(shipment_status=shipment_status).update(is_active=False)
    rows.update_or_create(
        merchant=merchant,
        kind=kind,
        channel=channel,
        locale=locale,
        shipment_status=shipment_status,
        defaults={"subject": subject, "body": body, "is_active": True},
    )
