"""Polling carriers through karrio: Nordic Living's parcels move with no event from the shop.

The carriers are faked at the HTTP level (tests/fake_carriers.py, recorded responses in
tests/fixtures/carriers/); karrio's own request and parsing code runs on them.
"""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from notifications.models import Touchpoint
from orders.services import shipment_event_record
from tests.carrier_helpers import NUMBERS, carriers_faked, connect, shipped
from tests.fake_carriers import carrier_fixture
from tracking.carriers.models import CarrierAccount, CarrierTracker
from tracking.carriers.polling import carrier_tracker_claim, carrier_tracker_poll, poll_interval

pytestmark = [pytest.mark.services, pytest.mark.django_db]


@pytest.fixture
def carrier_api(settings):
    with carriers_faked(settings) as fake:
        yield fake


def poll(shipment) -> str:
    CarrierTracker.objects.for_merchant(shipment.merchant).filter(shipment=shipment).update(
        next_poll_at=timezone.now()
    )
    return carrier_tracker_poll(tracker_id=shipment.carrier_tracker.pk)


def history(shipment) -> list[tuple[str, str]]:
    return [
        (e.status, e.raw_status.split("/")[0])
        for e in shipment.events.order_by("occurred_at", "id")
    ]


# --- one recorded answer per carrier, through karrio's parser ---


def test_gls_scans_reach_the_shipment(merchant_a, carrier_api):
    connect(merchant_a, "gls")
    shipment = shipped(merchant_a, "GLS")
    carrier_api.script(NUMBERS["gls"], carrier_fixture("gls", "delivered"))
    assert poll(shipment) == "done"
    shipment.refresh_from_db()
    assert shipment.status == "delivered"
    assert history(shipment) == [
        ("label_created", "INTIAL.PREADVICE"),
        # GLS's "handed over" code is in no karrio table: kept raw with the status it had.
        ("label_created", "INTIAL.NORMAL"),
        ("in_transit", "INWAREHOUSE.NORMAL"),
        ("out_for_delivery", "INDELIVERY.NORMAL"),
        ("delivered", "DELIVERED.NORMAL"),
    ]
    delivered = shipment.events.get(status="delivered")
    assert delivered.location == "Aarhus, 8000, DK"
    # GLS's local clock, read in the merchant's time zone.
    local = timezone.localtime(delivered.occurred_at, ZoneInfo("Europe/Copenhagen"))
    assert local.strftime("%Y-%m-%d %H:%M") == "2026-11-24 13:17"


def test_dhl_scans_reach_the_shipment(merchant_a, carrier_api):
    connect(merchant_a, "dhl")
    shipment = shipped(merchant_a, "DHL")
    carrier_api.script(NUMBERS["dhl"], carrier_fixture("dhl", "delivered"))
    assert poll(shipment) == "done"
    shipment.refresh_from_db()
    assert (shipment.status, str(shipment.estimated_delivery)) == ("delivered", "2026-11-24")
    assert [s for s, _raw in history(shipment)] == [
        "label_created",  # DHL's "pre-transit" is in no karrio table: kept raw
        "in_transit",
        "in_transit",
        "delivered",
    ]


def test_ups_scans_reach_the_shipment(merchant_a, carrier_api):
    connect(merchant_a, "ups")
    shipment = shipped(merchant_a, "UPS")
    carrier_api.script(NUMBERS["ups"], carrier_fixture("ups", "delivered"))
    assert poll(shipment) == "done"
    shipment.refresh_from_db()
    assert shipment.status == "delivered"
    assert history(shipment) == [
        ("label_created", "MP"),
        ("in_transit", "DP"),
        ("in_transit", "OT"),
        ("delivered", "KB"),
    ]


def test_usps_scans_reach_the_shipment(merchant_a, carrier_api):
    connect(merchant_a, "usps")
    shipment = shipped(merchant_a, "USPS")
    carrier_api.script(NUMBERS["usps"], carrier_fixture("usps", "delivered"))
    assert poll(shipment) == "done"
    shipment.refresh_from_db()
    assert [s for s, _raw in history(shipment)] == [
        "in_transit",
        "in_transit",
        "out_for_delivery",
        "delivered",
    ]


def test_fedex_scans_reach_the_shipment(merchant_a, carrier_api):
    connect(merchant_a, "fedex")
    shipment = shipped(merchant_a, "FedEx")
    carrier_api.script(NUMBERS["fedex"], carrier_fixture("fedex", "delivered"))
    assert poll(shipment) == "done"
    shipment.refresh_from_db()
    assert history(shipment) == [
        ("label_created", "OC"),
        ("in_transit", "PU"),
        ("in_transit", "AR"),
        ("out_for_delivery", "OD"),
        ("delivered", "DL"),
    ]


# --- the poller ---


def test_a_shipment_of_a_carrier_karrio_cannot_ask_gets_no_tracker(merchant_a):
    shipment = shipped(merchant_a, "PostNord", tracking_number="00370712345678901234")
    assert not CarrierTracker.objects.for_merchant(merchant_a).filter(shipment=shipment).exists()


def test_no_account_no_request(merchant_a, carrier_api):
    from tracking.carriers.polling import carrier_trackers_poll_due

    shipped(merchant_a, "GLS")
    assert carrier_trackers_poll_due() == {}
    assert carrier_api.tracking_requests() == []


def test_connecting_an_account_polls_parcels_shipped_before(merchant_a, carrier_api):
    from tracking.carriers.polling import carrier_trackers_poll_due

    shipment = shipped(merchant_a, "GLS")
    connect(merchant_a, "gls")
    carrier_api.script(NUMBERS["gls"], carrier_fixture("gls", "in_transit"))
    assert carrier_trackers_poll_due() == {"polled": 1}
    shipment.refresh_from_db()
    assert shipment.status == "in_transit"


def test_same_history_again_records_nothing_and_notifies_no_one(merchant_a, carrier_api):
    connect(merchant_a, "gls")
    shipment = shipped(merchant_a, "GLS")
    carrier_api.script(NUMBERS["gls"], carrier_fixture("gls", "in_transit"))
    poll(shipment)
    events = shipment.events.count()
    updates = Touchpoint.objects.for_merchant(merchant_a).filter(kind="shipment_update").count()
    assert poll(shipment) == "polled"
    assert shipment.events.count() == events
    assert (
        Touchpoint.objects.for_merchant(merchant_a).filter(kind="shipment_update").count()
        == updates
    )


def test_a_status_change_from_polling_plans_the_buyers_update(merchant_a, carrier_api):
    connect(merchant_a, "gls")
    shipment = shipped(merchant_a, "GLS")
    carrier_api.script(NUMBERS["gls"], carrier_fixture("gls", "in_transit"))
    poll(shipment)
    assert Touchpoint.objects.for_merchant(merchant_a).filter(kind="shipment_update").exists()


def test_older_scans_from_the_carrier_do_not_move_a_newer_api_status(merchant_a, carrier_api):
    connect(merchant_a, "gls")
    shipment = shipped(merchant_a, "GLS")
    shipment_event_record(
        merchant=merchant_a,
        shipment=shipment,
        data={"status": "out_for_delivery", "occurred_at": timezone.now()},
    )
    carrier_api.script(NUMBERS["gls"], carrier_fixture("gls", "in_transit"))
    poll(shipment)
    shipment.refresh_from_db()
    assert shipment.status == "out_for_delivery"
    assert shipment.events.filter(status="in_transit").exists()


def test_delivered_parcel_is_never_asked_again(merchant_a, carrier_api):
    connect(merchant_a, "gls")
    shipment = shipped(merchant_a, "GLS")
    carrier_api.script(NUMBERS["gls"], carrier_fixture("gls", "delivered"))
    poll(shipment)
    shipment.carrier_tracker.refresh_from_db()
    assert shipment.carrier_tracker.next_poll_at is None
    from tracking.carriers.polling import carrier_trackers_poll_due

    carrier_trackers_poll_due()
    assert carrier_api.tracking_requests() == [NUMBERS["gls"]]


def test_out_for_delivery_is_asked_about_sooner_than_in_transit(settings):
    assert poll_interval("out_for_delivery") < poll_interval("in_transit")
    assert poll_interval("out_for_delivery") == timedelta(
        seconds=settings.CARRIER_POLL_OUT_FOR_DELIVERY_SECONDS
    )


def test_next_poll_follows_the_parcels_status(merchant_a, carrier_api, settings):
    connect(merchant_a, "gls")
    shipment = shipped(merchant_a, "GLS")
    carrier_api.script(NUMBERS["gls"], carrier_fixture("gls", "in_transit"))
    before = timezone.now()
    poll(shipment)
    tracker = CarrierTracker.objects.for_merchant(merchant_a).get(shipment=shipment)
    wait = tracker.next_poll_at - before
    assert timedelta(seconds=settings.CARRIER_POLL_IN_TRANSIT_SECONDS) <= wait
    assert wait < timedelta(seconds=settings.CARRIER_POLL_IN_TRANSIT_SECONDS + 60)


def test_a_tracker_is_claimed_by_one_worker_only(merchant_a):
    connect(merchant_a, "gls")
    shipment = shipped(merchant_a, "GLS")
    now = timezone.now()
    assert carrier_tracker_claim(tracker_id=shipment.carrier_tracker.pk, now=now)
    assert not carrier_tracker_claim(tracker_id=shipment.carrier_tracker.pk, now=now)
    assert carrier_tracker_poll(tracker_id=shipment.carrier_tracker.pk) == "taken"


def test_carrier_outage_pauses_the_account_with_doubling_delays(merchant_a, settings):
    from tracking.carriers.polling import carrier_trackers_poll_due

    settings.CARRIER_API_BASE_URL = "http://127.0.0.1:9"  # nothing listens: refused
    account = connect(merchant_a, "gls")
    first = shipped(merchant_a, "GLS", external_id="1", tracking_number="60483186262")
    shipped(merchant_a, "GLS", external_id="2", tracking_number="60483186263")
    # The first failure pauses the account: the second parcel is not asked in vain.
    assert carrier_trackers_poll_due() == {"carrier error": 1, "paused": 1}
    account.refresh_from_db()
    assert account.failures == 1 and account.paused_until > timezone.now()
    assert "URLError" in account.last_error or "Connection" in account.last_error
    first.carrier_tracker.refresh_from_db()
    assert first.carrier_tracker.next_poll_at >= account.paused_until

    # The pause is over; the carrier is still down.
    CarrierAccount.objects.for_merchant(merchant_a).update(paused_until=timezone.now())
    CarrierTracker.objects.for_merchant(merchant_a).update(next_poll_at=timezone.now())
    carrier_trackers_poll_due()
    account.refresh_from_db()
    assert account.failures == 2
    assert account.paused_until - timezone.now() > timedelta(seconds=100)


def test_a_parcel_the_carrier_does_not_know_yet_is_asked_again_later(merchant_a, carrier_api):
    account = connect(merchant_a, "gls")
    shipment = shipped(merchant_a, "GLS")
    carrier_api.script(NUMBERS["gls"], (404, carrier_fixture("gls", "not_found")))
    assert poll(shipment) == "not found"
    shipment.carrier_tracker.refresh_from_db()
    assert shipment.carrier_tracker.next_poll_at > timezone.now()
    assert shipment.carrier_tracker.last_error == "Resource Not Found"
    account.refresh_from_db()
    assert account.paused_until is None  # the carrier answered: not an outage


def test_merchant_b_account_never_polls_merchant_a_parcels(merchant_a, merchant_b, carrier_api):
    from tracking.carriers.polling import carrier_trackers_poll_due

    connect(merchant_b, "gls")
    shipment = shipped(merchant_a, "GLS")
    carrier_api.script(NUMBERS["gls"], carrier_fixture("gls", "in_transit"))
    assert carrier_trackers_poll_due() == {}
    shipment.refresh_from_db()
    assert shipment.status == "label_created"


def test_credentials_are_stored_encrypted(merchant_a):
    account = connect(merchant_a, "gls")
    stored = CarrierAccount.objects.for_merchant(merchant_a).get(pk=account.pk)
    assert "gls-secret-nordic" not in stored.credentials_encrypted
    assert stored.credentials["client_secret"] == "gls-secret-nordic"
    assert "gls-secret-nordic" not in repr(stored)


@pytest.mark.parametrize("name", ["DHL Express", "dhl-paket", "GLS Denmark", "FedEx Ground"])
def test_a_service_name_of_a_polled_carrier_is_polled_at_that_carrier(merchant_a, name):
    shipment = shipped(merchant_a, name, tracking_number="X-1")
    assert shipment.carrier_tracker.carrier == name.split()[0].split("-")[0].lower()


def test_removing_the_account_mid_pass_asks_nobody(merchant_a, carrier_api):
    account = connect(merchant_a, "gls")
    shipment = shipped(merchant_a, "GLS")
    from tracking.carriers.services_accounts import carrier_account_remove

    carrier_account_remove(merchant=merchant_a, account_id=account.pk)
    assert poll(shipment) == "no account"
    assert carrier_api.tracking_requests() == []
