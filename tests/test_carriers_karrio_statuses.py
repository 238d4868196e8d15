"""The one table from karrio's tracker statuses to the contract's normalized set."""

import pytest
from karrio.core.units import TrackingStatus

from orders.models import ShipmentStatus
from tracking.carriers.statuses import KARRIO_STATUS, karrio_status


def test_every_karrio_status_has_a_row():
    # A status karrio adds in an upgrade fails here until someone decides what it means.
    assert set(KARRIO_STATUS) == {status.name for status in TrackingStatus}


def test_every_mapped_status_is_in_the_normalized_set():
    assert {s for s in KARRIO_STATUS.values() if s} <= set(ShipmentStatus.values)


@pytest.mark.parametrize(
    "karrio_name, ours",
    [
        ("pending", "label_created"),
        ("picked_up", "in_transit"),
        ("in_transit", "in_transit"),
        ("out_for_delivery", "out_for_delivery"),
        ("ready_for_pickup", "available_for_pickup"),
        ("delivery_failed", "attempt_failed"),
        ("delivery_delayed", "delayed"),
        ("on_hold", "exception"),
        ("cancelled", "exception"),
        ("delivered", "delivered"),
        ("return_to_sender", "returned_to_sender"),
    ],
)
def test_karrio_status_maps_to_ours(karrio_name, ours):
    assert karrio_status(karrio_name) == ours


@pytest.mark.parametrize("name", ["unknown", "something_new", "", None])
def test_unknown_or_unclassified_status_is_not_news(name):
    assert karrio_status(name) is None
