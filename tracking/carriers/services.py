"""Applying a carrier feed's tracker update to the merchant's shipment."""

from orders.models import Shipment, ShipmentEvent
from orders.services import shipment_event_record
from postpurchase.models import Merchant
from tracking.carriers.easypost import TrackerUpdate


class ShipmentNotFoundYet(LookupError):
    """The feed knows a parcel we have not heard of yet; retried with backoff."""


def shipment_for_tracking(*, merchant: Merchant, carrier: str, tracking_number: str) -> Shipment:
    """The merchant's shipment with this carrier and tracking number.

    Carrier names differ in case between shops and feeds ("GLS", "gls"); when the
    carrier does not match, the tracking number alone decides only if it is unique.
    """
    shipments = Shipment.objects.for_merchant(merchant).filter(tracking_number=tracking_number)
    exact = shipments.filter(carrier__iexact=carrier).order_by("id").first()
    if exact is not None:
        return exact
    candidates = list(shipments[:2])
    if len(candidates) == 1:
        return candidates[0]
    raise ShipmentNotFoundYet(f"no shipment {carrier} {tracking_number}")


def tracker_update_apply(*, merchant: Merchant, update: TrackerUpdate) -> Shipment:
    shipment = shipment_for_tracking(
        merchant=merchant, carrier=update.carrier, tracking_number=update.tracking_code
    )
    return tracker_events_apply(merchant=merchant, shipment=shipment, update=update)


def tracker_events_apply(
    *, merchant: Merchant, shipment: Shipment, update: TrackerUpdate
) -> Shipment:
    """Record a feed's or a poll's scans of a known shipment, as API events are recorded."""
    if update.estimated_delivery and shipment.estimated_delivery != update.estimated_delivery:
        shipment.estimated_delivery = update.estimated_delivery
        shipment.save(update_fields=["estimated_delivery", "updated_at"])
    events = ShipmentEvent.objects.for_merchant(merchant).filter(shipment=shipment)
    for event in sorted(update.events, key=lambda e: e.occurred_at):
        # Each update repeats the whole history; a scan already stored is skipped here
        # so that one kept raw (with the status of its day) is not stored again.
        if events.filter(occurred_at=event.occurred_at, raw_status=event.raw_status).exists():
            continue
        if event.status is None:
            shipment.refresh_from_db(fields=["status"])
        shipment_event_record(
            merchant=merchant,
            shipment=shipment,
            data={
                "status": event.status or shipment.status,
                "occurred_at": event.occurred_at,
                "raw_status": event.raw_status,
                "message": event.message,
                "location": event.location,
            },
        )
    return shipment
