"""Business events that merchants can receive as outgoing webhooks.

Emitters call `emit()` inside the transaction that caused the event; the outgoing
webhook app listens to `merchant_event` and stores a delivery row in that same
transaction, so an event is never lost nor sent for a rolled-back change.
"""

from django.dispatch import Signal

# Sent with merchant=Merchant, name=str, data=dict (JSON-serialisable).
merchant_event = Signal()

EVENT_NAMES = (
    "touchpoint.sent",
    "touchpoint.failed",
    "call.completed",
    "rating.received",
    "risk.raised",
    "delivery.instruction",
)


def emit(*, merchant, name: str, data: dict) -> None:
    if name not in EVENT_NAMES:
        raise ValueError(f"Unknown event {name!r}")
    merchant_event.send(sender=None, merchant=merchant, name=name, data=data)
