"""Turns business events into delivery rows, inside the emitter's transaction."""

from django.dispatch import receiver

from notifications.webhooks_out.services import webhook_deliveries_create
from postpurchase.events import merchant_event


@receiver(merchant_event, dispatch_uid="webhooks_out.merchant_event")
def store_deliveries(sender, *, merchant, name, data, **kwargs):
    webhook_deliveries_create(merchant=merchant, name=name, data=data)
