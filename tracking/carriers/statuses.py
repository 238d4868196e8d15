"""The one table from EasyPost tracker statuses to our normalized shipment statuses.

A status word not in the table maps to None: the event is stored with its raw word
and the shipment's current status, so an unknown word never moves a shipment nor
tells a buyer anything untrue. It is never dropped.
"""

from orders.models import ShipmentStatus

EASYPOST_STATUS = {
    "pre_transit": ShipmentStatus.LABEL_CREATED,
    "in_transit": ShipmentStatus.IN_TRANSIT,
    "out_for_delivery": ShipmentStatus.OUT_FOR_DELIVERY,
    "available_for_pickup": ShipmentStatus.AVAILABLE_FOR_PICKUP,
    "delivered": ShipmentStatus.DELIVERED,
    "return_to_sender": ShipmentStatus.RETURNED_TO_SENDER,
    "failure": ShipmentStatus.EXCEPTION,
    "cancelled": ShipmentStatus.EXCEPTION,
    # "unknown" (no scan yet) and "error" (the tracker, not the parcel) say nothing
    # about where the parcel is: they keep the current status.
    "unknown": None,
    "error": None,
}

# While in transit, EasyPost's status_detail tells a delay or a problem apart.
EASYPOST_IN_TRANSIT_DETAIL = {
    "delayed": ShipmentStatus.DELAYED,
    "weather_delay": ShipmentStatus.DELAYED,
    "delivery_exception": ShipmentStatus.EXCEPTION,
    "transit_exception": ShipmentStatus.EXCEPTION,
    "damaged": ShipmentStatus.EXCEPTION,
    "lost": ShipmentStatus.EXCEPTION,
    "held": ShipmentStatus.EXCEPTION,
    "missorted": ShipmentStatus.DELAYED,
    "arrived_at_pickup_location": ShipmentStatus.AVAILABLE_FOR_PICKUP,
    "return": ShipmentStatus.RETURNED_TO_SENDER,
}


def easypost_status(status: str | None, detail: str | None = None) -> str | None:
    """Our status for an EasyPost (status, status_detail), or None when it is not news."""
    if status == "in_transit" and detail in EASYPOST_IN_TRANSIT_DETAIL:
        return EASYPOST_IN_TRANSIT_DETAIL[detail]
    return EASYPOST_STATUS.get(status or "")


# karrio's unified TrackerStatus names (karrio.core.units.TrackingStatus), which every
# karrio carrier extension maps its own codes onto, to ours. Same rule as above: a name
# not here maps to None and the scan is stored raw with the shipment's current status.
KARRIO_STATUS = {
    "pending": ShipmentStatus.LABEL_CREATED,
    "picked_up": ShipmentStatus.IN_TRANSIT,
    "in_transit": ShipmentStatus.IN_TRANSIT,
    "out_for_delivery": ShipmentStatus.OUT_FOR_DELIVERY,
    "ready_for_pickup": ShipmentStatus.AVAILABLE_FOR_PICKUP,
    "delivery_failed": ShipmentStatus.ATTEMPT_FAILED,
    "delivery_delayed": ShipmentStatus.DELAYED,
    # Held (customs, address check) or cancelled: the parcel will not arrive as planned
    # without someone acting, as with EasyPost's "held" and "cancelled".
    "on_hold": ShipmentStatus.EXCEPTION,
    "cancelled": ShipmentStatus.EXCEPTION,
    "delivered": ShipmentStatus.DELIVERED,
    "return_to_sender": ShipmentStatus.RETURNED_TO_SENDER,
    # No scan the carrier could classify: says nothing about where the parcel is.
    "unknown": None,
}


def karrio_status(status: str | None) -> str | None:
    """Our status for a karrio TrackerStatus name, or None when it is not news."""
    return KARRIO_STATUS.get(status or "")
