"""What every shop platform's payload is translated into before it is applied."""

import functools
from dataclasses import dataclass, field
from datetime import date, datetime


class PayloadError(ValueError):
    """A verified payload we cannot read; retrying it would fail the same way."""


def parses_payload(parse):
    """Make a payload parser refuse malformed input with PayloadError, never a TypeError.

    A field of the wrong type (a list where a dict was expected, a string quantity)
    would otherwise surface as an "unexpected" error that is retried in vain.
    """

    @functools.wraps(parse)
    def wrapped(*args, **kwargs):
        try:
            return parse(*args, **kwargs)
        except PayloadError:
            raise
        except (TypeError, AttributeError, KeyError, IndexError, ValueError) as exc:
            raise PayloadError(f"malformed payload: {type(exc).__name__}: {exc}") from exc

    return wrapped


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
