"""Business actions of the touchpoint engine: opt-outs, settings and templates."""

import logging

from django.db import transaction
from django.db.models import Q

from notifications.history import touchpoint_transition
from notifications.models import ShipmentNotificationSetting, Suppression, Touchpoint

logger = logging.getLogger(__name__)

S = Touchpoint.Status

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

    address = address.lower()
    Suppression.objects.get_or_create(
        merchant_id=merchant_id,
        channel=Touchpoint.Channel.EMAIL,
        address=address,
        defaults={"reason": Suppression.Reason.UNSUBSCRIBED},
    )
    customers = Customer.objects.unscoped().filter(merchant_id=merchant_id, email__iexact=address)
    customers.update(consent_email=False)
    return _skip_scheduled(
        touchpoints=Touchpoint.objects.unscoped().filter(
            merchant_id=merchant_id,
            channel=Touchpoint.Channel.EMAIL,
            order__customer__in=customers,
        ),
        reason="recipient unsubscribed",
    )


@transaction.atomic
def sms_opt_out(*, phone: str) -> int:
    """An SMS STOP: no merchant texts this number again until START. At once."""
    from orders.models import Customer

    Suppression.objects.get_or_create(
        merchant=None,
        channel=Touchpoint.Channel.SMS,
        address=phone,
        defaults={"reason": Suppression.Reason.SMS_STOP},
    )
    customers = Customer.objects.unscoped().filter(phone=phone)
    customers.update(consent_sms=False)
    return _skip_scheduled(
        touchpoints=Touchpoint.objects.unscoped().filter(
            channel=Touchpoint.Channel.SMS, order__customer__phone=phone
        ),
        reason="recipient replied STOP",
    )


@transaction.atomic
def sms_opt_in(*, phone: str) -> int:
    """An SMS START: lift the STOP. Consent comes back for customers it took it from."""
    from orders.models import Customer

    deleted, _ = Suppression.objects.filter(
        merchant__isnull=True, channel=Touchpoint.Channel.SMS, address=phone
    ).delete()
    if deleted:
        Customer.objects.unscoped().filter(phone=phone).update(consent_sms=True)
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
    Suppression.objects.get_or_create(
        merchant_id=touchpoint.merchant_id,
        channel=touchpoint.channel,
        address=address.lower(),
        defaults={
            "reason": Suppression.Reason.HARD_BOUNCE
            if touchpoint.channel == Touchpoint.Channel.EMAIL
            else Suppression.Reason.INVALID
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


def suppressions_for(*, merchant):
    return Suppression.objects.filter(Q(merchant=merchant) | Q(merchant__isnull=True))
