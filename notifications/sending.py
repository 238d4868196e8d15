"""Sending one claimed touchpoint through its channel and recording the outcome."""

import logging

from django.core.mail import EmailMultiAlternatives
from django.utils import timezone, translation

from notifications.dispatch import touchpoint_claim
from notifications.models import Touchpoint
from notifications.sms import send_sms

logger = logging.getLogger(__name__)


def touchpoint_send(*, touchpoint_id: int) -> str:
    """Claim and send; returns the touchpoint's final status."""
    if not touchpoint_claim(touchpoint_id=touchpoint_id):
        return "not-claimed"
    touchpoint = Touchpoint.all_merchants.select_related("order__customer", "merchant").get(
        pk=touchpoint_id
    )
    order = touchpoint.order
    with translation.override(order.locale):
        if touchpoint.channel == Touchpoint.Channel.EMAIL:
            message = EmailMultiAlternatives(
                subject=f"{touchpoint.merchant.name}: order {order.number}",
                body=f"Thank you for your order {order.number}. Track it: {order.tracking_url}",
                to=[order.customer.email],
            )
            message.send()
        else:
            sent = send_sms(order.customer.phone, f"Order {order.number}: {order.tracking_url}")
            touchpoint.provider_message_id = sent.provider_message_id
    touchpoint.status = Touchpoint.Status.SENT
    touchpoint.sent_at = timezone.now()
    touchpoint.attempts += 1
    touchpoint.save(
        update_fields=["status", "sent_at", "attempts", "provider_message_id", "updated_at"]
    )
    return touchpoint.status
