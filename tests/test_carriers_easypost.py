"""EasyPost tracker feed: GLS scans of Mette's sofa reach her shipment at Nordic Living."""

import copy
import json
from datetime import UTC, datetime

import pytest

from orders.integrations.models import InboundDelivery
from orders.integrations.services import integration_connect
from orders.models import Shipment
from orders.services import order_upsert, shipment_create
from tests.conftest import make_payload
from tests.integrations_helpers import apply_pending, fixture
from tracking.carriers import easypost
from tracking.carriers.statuses import easypost_status

pytestmark = [pytest.mark.services, pytest.mark.django_db]

SECRET_A = "easypost-webhook-secret-nordic-ÆØÅ"
SECRET_B = "easypost-webhook-secret-bergmann"
TRACKING = "00340434161094042557"


@pytest.fixture
def feed_a(merchant_a):
    return integration_connect(merchant=merchant_a, platform="easypost", secret=SECRET_A)


def _shipment(merchant, external_id="1042", carrier="GLS", tracking=TRACKING):
    from orders.serializers import OrderInput

    data = OrderInput(data=make_payload(external_id))
    data.is_valid(raise_exception=True)
    order = order_upsert(merchant=merchant, data=data.validated_data).order
    return shipment_create(
        merchant=merchant, order=order, data={"carrier": carrier, "tracking_number": tracking}
    )


@pytest.fixture
def shipment_a(merchant_a):
    return _shipment(merchant_a)


def post(client, event, *, slug="nordic-living", secret=SECRET_A, signature=None):
    body = json.dumps(event).encode()
    headers = {}
    if signature is not False:
        headers["HTTP_X_HMAC_SIGNATURE"] = (
            easypost.sign(body, secret) if signature is None else signature
        )
    return client.post(
        f"/integrations/easypost/{slug}/", body, content_type="application/json", **headers
    )


def test_tracker_update_records_every_scan_and_moves_the_shipment(
    client, merchant_a, feed_a, shipment_a
):
    response = post(client, fixture("easypost", "tracker_updated"))
    assert response.status_code == 200
    assert apply_pending() == ["done"]
    shipment_a.refresh_from_db()
    assert shipment_a.status == "in_transit"
    assert str(shipment_a.estimated_delivery) == "2026-11-24"
    events = list(shipment_a.events.order_by("occurred_at").values_list("status", "raw_status"))
    assert events == [
        ("label_created", "pre_transit/label_created"),
        ("in_transit", "in_transit/arrived_at_facility"),
    ]
    assert shipment_a.events.get(status="in_transit").location == "Brøndby, 2605, DK"


def test_signature_uses_the_documented_scheme():
    body = b'{"id": "evt_1"}'
    header = easypost.sign(body, "s3cret")
    assert header.startswith("hmac-sha256-hex=") and len(header) == 16 + 64
    assert easypost.signature_valid(body, header, "s3cret")
    assert not easypost.signature_valid(body + b" ", header, "s3cret")


@pytest.mark.parametrize(
    "signature",
    [False, "", "hmac-sha256-hex=00", "sha256=abc"],
    ids=["missing", "empty", "short", "other"],
)
def test_bad_signature_is_401_and_nothing_is_stored(
    client, merchant_a, feed_a, shipment_a, signature
):
    response = post(client, fixture("easypost", "tracker_updated"), signature=signature)
    assert response.status_code == 401
    assert not InboundDelivery.objects.for_merchant(merchant_a).exists()


def test_merchant_b_secret_cannot_post_into_merchant_a(client, merchant_a, merchant_b, feed_a):
    integration_connect(merchant=merchant_b, platform="easypost", secret=SECRET_B)
    response = post(client, fixture("easypost", "tracker_updated"), secret=SECRET_B)
    assert response.status_code == 401
    assert not InboundDelivery.objects.for_merchant(merchant_a).exists()


def test_tracking_number_of_merchant_b_is_not_matched_into_merchant_a(
    client, merchant_a, merchant_b, feed_a
):
    other = _shipment(merchant_b)  # Bergmann ships with the same number by coincidence
    post(client, fixture("easypost", "tracker_updated"))
    apply_pending()
    other.refresh_from_db()
    assert other.status == "label_created" and not other.events.exists()
    delivery = InboundDelivery.objects.for_merchant(merchant_a).get()
    assert delivery.status == "pending" and "no shipment" in delivery.error


def test_replayed_event_changes_nothing(client, merchant_a, feed_a, shipment_a):
    event = fixture("easypost", "tracker_updated")
    post(client, event)
    assert post(client, event).json() == {"status": "duplicate"}
    again = copy.deepcopy(event)
    again["id"] = "evt_second_delivery_same_history"
    post(client, again)
    apply_pending()
    assert shipment_a.events.count() == 2


def test_unknown_status_is_stored_raw_and_keeps_the_current_status(
    client, merchant_a, feed_a, shipment_a
):
    post(client, fixture("easypost", "tracker_updated"))
    apply_pending()
    event = fixture("easypost", "tracker_updated")
    event["id"] = "evt_with_new_word"
    event["result"]["tracking_details"].append(
        {
            "object": "TrackingDetail",
            "message": "Parcel scanned by drone",
            "status": "hovering",
            "status_detail": None,
            "datetime": "2026-11-22T07:00:00Z",
            "tracking_location": None,
        }
    )
    post(client, event)
    apply_pending()
    post(client, event | {"id": "evt_again"})
    apply_pending()
    shipment_a.refresh_from_db()
    assert shipment_a.status == "in_transit"
    kept = shipment_a.events.get(raw_status="hovering")
    assert kept.status == "in_transit"
    assert kept.occurred_at == datetime(2026, 11, 22, 7, 0, tzinfo=UTC)


def test_carrier_name_matches_case_insensitively(client, merchant_a, feed_a):
    shipment = _shipment(merchant_a, carrier="gls")
    post(client, fixture("easypost", "tracker_updated"))
    apply_pending()
    shipment.refresh_from_db()
    assert shipment.status == "in_transit"


@pytest.mark.parametrize(
    ("status", "detail", "expected"),
    [
        ("pre_transit", None, "label_created"),
        ("in_transit", "arrived_at_facility", "in_transit"),
        ("in_transit", "weather_delay", "delayed"),
        ("in_transit", "delayed", "delayed"),
        ("in_transit", "lost", "exception"),
        ("in_transit", "arrived_at_pickup_location", "available_for_pickup"),
        ("out_for_delivery", None, "out_for_delivery"),
        ("available_for_pickup", None, "available_for_pickup"),
        ("delivered", "arrived_at_destination", "delivered"),
        ("return_to_sender", "return", "returned_to_sender"),
        ("failure", "delivery_exception", "exception"),
        ("cancelled", None, "exception"),
        ("unknown", None, None),
        ("error", None, None),
        ("something_new", None, None),
    ],
)
def test_each_easypost_status_maps_to_ours(status, detail, expected):
    assert easypost_status(status, detail) == expected


def test_shipment_unknown_yet_is_retried_not_lost(client, merchant_a, feed_a):
    post(client, fixture("easypost", "tracker_updated"))
    apply_pending()
    delivery = InboundDelivery.objects.for_merchant(merchant_a).get()
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert delivery.due_at > delivery.received_at
    _shipment(merchant_a)
    InboundDelivery.objects.for_merchant(merchant_a).update(due_at=delivery.received_at)
    assert apply_pending() == ["done"]
    assert Shipment.objects.for_merchant(merchant_a).get().status == "in_transit"
