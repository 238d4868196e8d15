"""What every shop platform's payload is translated into before it is applied."""

from dataclasses import dataclass, field
from datetime import date, datetime


class PayloadError(ValueError):
    """A verified payload we cannot read; retrying it would fail the same way."""


@dataclass(frozen=True)
class OrderUpdate:
    external_id: str
    version_at: datetime
    data: dict  # the orders API's input shape, validated by OrderInput before use
    cancelled_at: datetime | None = None


@dataclass(frozen=True)
class FulfillmentUpdate:
    external_id: str
    order_external_id: str
    version_at: datetime
    carrier: str
    tracking_number: str
    occurred_at: datetime
    # Normalized status; None with a raw_status means "not one we know": the event is
    # kept with the shipment's current status, so an unknown word never moves it.
    status: str | None
    raw_status: str
    estimated_delivery: date | None = None
    items: list[dict] = field(default_factory=list)  # [{"sku", "quantity"}]
    skip_event: bool = False  # e.g. a cancelled fulfillment: nothing happened to the parcel
