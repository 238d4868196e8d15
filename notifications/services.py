"""Business actions of the touchpoint engine: opt-outs, settings and templates."""

import logging
import secrets

from django.db import transaction
from django.utils.translation import gettext as _

from notifications.history import touchpoint_transition
from notifications.models import ShipmentNotificationSetting, Suppression, Touchpoint

logger = logging.getLogger(__name__)

S = Touchpoint.Status
# An SMS STOP or START to the platform's shared number is every merchant's (SuppressionManager).
STOP_REASON = "a STOP or START to the shared number is every merchant's"

STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT"})
START_WORDS = frozenset({"START", "UNSTOP", "YES", "OPTIN"})


def _skip_scheduled(*, touchpoints, reason: str) -> int:
    skipped = 0
    for touchpoint in touchpoints.filter(status=S.SCHEDULED).select_related("merchant"):
        skipped += touchpoint_transition(
            touchpoint=touchpoint, to_status=S.SKIPPED, from_statuses=(S.SCHEDULED,), reason=reason
        )
    return skipped


@transaction.atomic
def email_unsubscribe(*, merchant_id: int, address: str) -> int:
    """The buyer asked this merchant to stop emailing them. Takes effect at once.

    Returns how many scheduled touchpoints were skipped.
    """
    from orders.models import Customer
    from postpurchase.models import Merchant

    address = address.lower()
    merchant = Merchant(pk=merchant_id)  # scoping needs only its key: no read of it
    Suppression.objects.for_merchant(merchant).get_or_create(
        merchant_id=merchant_id,
        channel=Touchpoint.Channel.EMAIL,
        address=address,
        defaults={"reason": Suppression.Reason.UNSUBSCRIBED},
    )
    customers = Customer.objects.for_merchant(merchant).filter(email__iexact=address)
    customers.update(consent_email=False)
    return _skip_scheduled(
        touchpoints=Touchpoint.objects.for_merchant(merchant).filter(
            channel=Touchpoint.Channel.EMAIL,
            order__customer__in=customers,
        ),
        reason="recipient unsubscribed",
    )


@transaction.atomic
def sms_opt_out(*, phone: str) -> int:
    """An SMS STOP: no merchant texts this number again until START. At once."""
    from orders.models import Customer

    Suppression.objects.platform_wide().get_or_create(
        merchant=None,
        channel=Touchpoint.Channel.SMS,
        address=phone,
        defaults={"reason": Suppression.Reason.SMS_STOP},
    )
    customers = Customer.objects.unscoped(reason=STOP_REASON).filter(phone=phone)
    customers.update(consent_sms=False)
    return _skip_scheduled(
        touchpoints=Touchpoint.objects.unscoped(reason=STOP_REASON).filter(
            channel=Touchpoint.Channel.SMS, order__customer__phone=phone
        ),
        reason="recipient replied STOP",
    )


@transaction.atomic
def sms_opt_in(*, phone: str) -> int:
    """An SMS START: lift the STOP. Consent comes back for customers it took it from."""
    from orders.models import Customer

    deleted, _ = (
        Suppression.objects.platform_wide()
        .filter(channel=Touchpoint.Channel.SMS, address=phone)
        .delete()
    )
    if deleted:
        Customer.objects.unscoped(reason=STOP_REASON).filter(phone=phone).update(consent_sms=True)
    return deleted


def sms_inbound_handle(*, from_number: str, body: str) -> str:
    """Act on an inbound SMS keyword. Returns "opted_out", "opted_in" or "ignored"."""
    word = (body or "").strip().split(maxsplit=1)[0].upper() if (body or "").strip() else ""
    word = word.strip(".!")
    if word in STOP_WORDS:
        sms_opt_out(phone=from_number)
        return "opted_out"
    if word in START_WORDS:
        sms_opt_in(phone=from_number)
        return "opted_in"
    return "ignored"


def suppression_add_for_touchpoint(*, touchpoint: Touchpoint, reason: str) -> None:
    """A hard bounce or invalid number: never try that address for this merchant again."""
    customer = touchpoint.order.customer
    address = customer.email if touchpoint.channel == Touchpoint.Channel.EMAIL else customer.phone
    if not address:
        return
    Suppression.objects.for_merchant(touchpoint.merchant).get_or_create(
        merchant_id=touchpoint.merchant_id,
        channel=touchpoint.channel,
        address=address.lower(),
        defaults={
            "reason": {
                "opted_out": Suppression.Reason.SMS_STOP,
                "invalid_number": Suppression.Reason.INVALID,
            }.get(reason, Suppression.Reason.HARD_BOUNCE)
        },
    )


@transaction.atomic
def shipment_notification_set(*, merchant, status: str, channel: str, enabled: bool):
    """Turn one status's notification on a channel on or off for a merchant."""
    from notifications.selectors import DEFAULT_SHIPMENT_CHANNELS

    if status not in DEFAULT_SHIPMENT_CHANNELS:
        raise ValueError(f"unknown shipment status {status!r}")
    if channel not in (Touchpoint.Channel.EMAIL, Touchpoint.Channel.SMS):
        raise ValueError(f"unknown channel {channel!r}")
    row, _ = ShipmentNotificationSetting.objects.for_merchant(merchant).update_or_create(
        merchant=merchant, status=status, channel=channel, defaults={"enabled": enabled}
    )
    return row


# ---------------------------------------------------------------- templates


def message_template_save(
    *,
    merchant,
    actor=None,
    kind: str,
    channel: str,
    locale: str,
    body: str,
    subject: str = "",
    shipment_status: str = "",
    is_active: bool = True,
):
    """Create or replace the merchant's wording for kind/channel/locale(/status).

    Raises django ValidationError({field: [messages]}) when it would not render.
    """
    from django.core.exceptions import ValidationError

    from notifications.models import MessageTemplate
    from notifications.selectors import DEFAULT_SHIPMENT_CHANNELS
    from notifications.templating import template_validate
    from postpurchase.models import LOCALES
    from postpurchase.services import audit_record

    errors = template_validate(kind=kind, channel=channel, subject=subject, body=body)
    if kind not in Touchpoint.Kind.values or kind == Touchpoint.Kind.FOLLOWUP_CALL:
        errors.setdefault("kind", []).append(_("Unknown message kind."))
    if channel not in (Touchpoint.Channel.EMAIL, Touchpoint.Channel.SMS):
        errors.setdefault("channel", []).append(_("Choose email or SMS."))
    if locale not in dict(LOCALES):
        errors.setdefault("locale", []).append(_("Unsupported language."))
    if shipment_status and (
        kind != Touchpoint.Kind.SHIPMENT_UPDATE or shipment_status not in DEFAULT_SHIPMENT_CHANNELS
    ):
        errors.setdefault("shipment_status", []).append(_("Unknown shipment status."))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        template, created = MessageTemplate.objects.for_merchant(merchant).update_or_create(
            merchant=merchant,
            kind=kind,
            channel=channel,
            locale=locale,
            shipment_status=shipment_status,
            defaults={
                "subject": subject if channel == Touchpoint.Channel.EMAIL else "",
                "body": body,
                "is_active": is_active,
                "last_error": "",
                "last_error_at": None,
                "updated_by": actor,
            },
        )
        audit_record(
            merchant=merchant,
            actor=actor,
            action="message_template.created" if created else "message_template.updated",
            target=str(template),
        )
    return template


def message_template_delete(*, merchant, actor=None, template_id: int) -> None:
    """Back to the default wording."""
    from notifications.models import MessageTemplate
    from postpurchase.services import audit_record

    with transaction.atomic():
        template = MessageTemplate.objects.for_merchant(merchant).get(pk=template_id)
        audit_record(
            merchant=merchant, actor=actor, action="message_template.deleted", target=str(template)
        )
        template.delete()


class _Rollback(Exception):
    pass


def template_preview(
    *,
    merchant,
    kind: str,
    channel: str,
    locale: str,
    subject: str | None = None,
    body: str | None = None,
    shipment_status: str = "in_transit",
):
    """The message exactly as it would go out, from the merchant's latest order (or a sample).

    `subject`/`body` preview an unsaved draft. Everything it writes to build the
    message (a sample order, the draft, a touchpoint) is rolled back.
    """
    from notifications.builders import get_builder
    from notifications.models import MessageTemplate
    from notifications.templating import template_validate
    from orders.models import Order

    if body is not None:
        errors = template_validate(kind=kind, channel=channel, subject=subject or "", body=body)
        if errors:
            from django.core.exceptions import ValidationError

            raise ValidationError(errors)
    result = {}
    try:
        with transaction.atomic():
            order = (
                Order.objects.for_merchant(merchant)
                .select_related("customer")
                .order_by("-placed_at")
                .first()
            ) or _sample_order(merchant=merchant, locale=locale)
            order.locale = locale
            order.save(update_fields=["locale"])
            payload = {}
            if kind == Touchpoint.Kind.SHIPMENT_UPDATE:
                shipment = order.shipments.first() or order.shipments.create(
                    merchant=merchant, carrier="PostNord", tracking_number="00370712345678901"
                )
                shipment.status = shipment_status
                shipment.save(update_fields=["status"])
                payload = {"shipment_id": shipment.pk, "status": shipment_status}
            if body is not None:
                MessageTemplate.objects.for_merchant(merchant).update_or_create(
                    merchant=merchant,
                    kind=kind,
                    channel=channel,
                    locale=locale,
                    shipment_status=shipment_status if kind == "shipment_update" else "",
                    defaults={"subject": subject or "", "body": body, "is_active": True},
                )
            touchpoint = Touchpoint.objects.create(
                merchant=merchant,
                order=order,
                kind=kind,
                channel=channel,
                cause=f"preview:{channel}",
                payload=payload,
            )
            touchpoint = (
                Touchpoint.objects.for_merchant(merchant)
                .select_related("order__customer", "merchant__branding")
                .get(pk=touchpoint.pk)
            )
            builder = get_builder(kind, channel)
            from django.utils import translation

            with translation.override(locale):
                result["message"] = builder(touchpoint) if builder else None
            raise _Rollback
    except _Rollback:
        pass
    return result["message"]


def _sample_order(*, merchant, locale: str):
    """A believable order for previews when the merchant has none yet (rolled back)."""
    import datetime as dt
    from decimal import Decimal

    from django.utils import timezone

    from orders.models import Customer, LineItem, Order

    customer = Customer.objects.create(
        merchant=merchant,
        email="anna.holm@example.com",
        phone="+4520123456",
        first_name="Anna",
        last_name="Holm",
        consent_email=True,
        consent_sms=True,
    )
    order = Order.objects.create(
        merchant=merchant,
        customer=customer,
        external_id="preview",
        number="#1001",
        placed_at=timezone.now() - dt.timedelta(hours=1),
        currency="DKK",
        total=Decimal("1299.00"),
        locale=locale,
        shipping_line1="Strandvejen 12",
        shipping_city="Aarhus",
        shipping_postal_code="8000",
        shipping_country="DK",
    )
    LineItem.objects.create(
        order=order,
        name="Sofa Hygge 3-seater",
        sku="SAMPLE",
        quantity=1,
        unit_price=Decimal("1299.00"),
    )
    return order


def template_send_test(
    *,
    merchant,
    actor=None,
    kind: str,
    channel: str,
    locale: str,
    to: str,
    subject: str | None = None,
    body: str | None = None,
    shipment_status: str = "in_transit",
) -> str:
    """Send the previewed message to the merchant's own address or phone. Returns the provider id."""
    from notifications.builders import OutgoingEmail
    from notifications.transports import default_from_email, send_email, send_sms

    message = template_preview(
        merchant=merchant,
        kind=kind,
        channel=channel,
        locale=locale,
        subject=subject,
        body=body,
        shipment_status=shipment_status,
    )
    if message is None:
        raise ValueError("nothing to send")
    if isinstance(message, OutgoingEmail):
        message.to = [to]
        message.subject = f"[Test] {message.subject}"
        message.from_email = message.from_email or default_from_email(merchant.name)
        return send_email(message, callback_code=f"test-{secrets.token_hex(8)}", tags=["test"])
    message.to = to
    return send_sms(message, status_callback="")


# What the dashboard imports from one place.
from notifications.templating import available_variables, template_validate  # noqa: E402

__all__ = [
    "available_variables",
    "email_unsubscribe",
    "message_template_delete",
    "message_template_save",
    "shipment_notification_set",
    "sms_inbound_handle",
    "sms_opt_in",
    "sms_opt_out",
    "template_preview",
    "template_send_test",
    "template_validate",
]
