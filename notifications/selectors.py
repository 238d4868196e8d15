"""Reads shared by the engine, the dashboard and the API."""

from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from notifications.models import ShipmentNotificationSetting, Suppression, Touchpoint

EMAIL, SMS = Touchpoint.Channel.EMAIL, Touchpoint.Channel.SMS

# Which shipment statuses notify on which channel when the merchant chose nothing:
# shipped / in transit by email, out for delivery by SMS, delivered and every problem
# (with what happens next) on both, pickup on both because the buyer must act.
DEFAULT_SHIPMENT_CHANNELS: dict[str, frozenset[str]] = {
    "label_created": frozenset({EMAIL}),
    "in_transit": frozenset({EMAIL}),
    "out_for_delivery": frozenset({SMS}),
    "available_for_pickup": frozenset({EMAIL, SMS}),
    "attempt_failed": frozenset({EMAIL, SMS}),
    "delayed": frozenset({EMAIL, SMS}),
    "exception": frozenset({EMAIL, SMS}),
    "delivered": frozenset({EMAIL, SMS}),
    "returned_to_sender": frozenset({EMAIL, SMS}),
}


def shipment_notification_matrix(*, merchant) -> dict[str, dict[str, bool]]:
    """{status: {"email": bool, "sms": bool}} with the merchant's choices over the defaults."""
    matrix = {
        status: {EMAIL: EMAIL in channels, SMS: SMS in channels}
        for status, channels in DEFAULT_SHIPMENT_CHANNELS.items()
    }
    for row in ShipmentNotificationSetting.objects.for_merchant(merchant):
        if row.status in matrix and row.channel in (EMAIL, SMS):
            matrix[row.status][row.channel] = row.enabled
    return matrix


def shipment_channels_enabled(*, merchant, status: str) -> set[str]:
    enabled = set(DEFAULT_SHIPMENT_CHANNELS.get(status, frozenset()))
    for row in ShipmentNotificationSetting.objects.for_merchant(merchant).filter(status=status):
        if row.enabled:
            enabled.add(row.channel)
        else:
            enabled.discard(row.channel)
    return enabled


def is_suppressed(*, merchant, channel: str, address: str) -> bool:
    if not address:
        return False
    return (
        Suppression.objects.in_force_for(merchant)
        .filter(channel=channel, address=address.lower())
        .exists()
    )


def suppressed_addresses(*, merchant, channel: str, addresses: list[str]) -> set[str]:
    """Which of `addresses` (lower-cased) must not be contacted: is_suppressed for many."""
    wanted = {address.lower() for address in addresses if address}
    if not wanted:
        return set()
    if connection.vendor != "postgresql":  # the embedded SQLite of `make run`
        return set(
            Suppression.objects.in_force_for(merchant)
            .filter(channel=channel, address__in=wanted)
            .values_list("address", flat=True)
        )
    # Plain SQL: on every ingested order, compiling the ORM's query cost more than running it.
    with connection.cursor() as cursor:
        cursor.execute(_SUPPRESSED_SQL, [channel, sorted(wanted), merchant.pk])
        return {address for (address,) in cursor.fetchall()}


_SUPPRESSED_SQL = (
    f"SELECT address FROM {Suppression._meta.db_table} "  # noqa: S608 - the table's name
    "WHERE channel = %s AND address = ANY(%s) AND (merchant_id = %s OR merchant_id IS NULL)"
)

# The same rule for one address as a boolean expression, for a statement that asks it
# beside other reads (an ingested order's lookup, orders/services.py). Parameters: the
# channel, the lower-cased address (NULL: none) and the merchant's id.
SUPPRESSED_ONE_SQL = (
    f"EXISTS (SELECT 1 FROM {Suppression._meta.db_table} "  # noqa: S608 - the table's name
    "WHERE channel = %s AND address = %s AND (merchant_id = %s OR merchant_id IS NULL))"
)


def touchpoint_history(*, merchant, touchpoint_id: int) -> dict:
    """A touchpoint with its attempts and status changes, for the dashboard."""
    touchpoint = Touchpoint.objects.for_merchant(merchant).get(pk=touchpoint_id)
    return {
        "touchpoint": touchpoint,
        "attempts": list(touchpoint.delivery_attempts.all()),
        "status_changes": list(touchpoint.status_changes.all()),
    }


def sms_quota_refusal(*, merchant, to: str) -> str:
    """Why an SMS to `to` must not be sent now, or "" if it may.

    Counted from the touchpoints table (the durable record of what was sent),
    not from the cache, so a Redis restart cannot reset a merchant's budget.
    """
    since = timezone.now() - timedelta(days=1)
    sent = (
        Touchpoint.objects.for_merchant(merchant)
        .filter(channel=Touchpoint.Channel.SMS, sent_at__gte=since)
        .exclude(sent_at__isnull=True)
    )
    per_merchant = settings.SMS_LIMIT_PER_MERCHANT_PER_DAY
    per_number = settings.SMS_LIMIT_PER_NUMBER_PER_DAY
    if sent.count() >= per_merchant:
        return f"daily SMS limit of {per_merchant} for this merchant reached"
    if sent.filter(recipient=to).count() >= per_number:
        return f"daily SMS limit of {per_number} for this number reached"
    return ""
