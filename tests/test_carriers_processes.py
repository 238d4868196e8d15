"""Done when (#14): a parcel Nordic Living sent with only its GLS tracking number reaches
`delivered` on the tracking page, and its buyer gets the updates, with no event from the
shop: a real Celery worker and beat poll GLS (faked at the HTTP level on 127.0.0.1)."""

import re

import pytest

from notifications.models import Touchpoint
from orders.models import Shipment
from tests.carrier_helpers import connect
from tests.fake_carriers import carrier_fixture, fake_carriers
from tests.fake_providers import fake_postmark, worker_env
from tests.processes import celery_beat, celery_worker, wait_for

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

GLS_NUMBER = "60483186262"


def test_a_gls_parcel_is_delivered_on_the_page_with_no_event_from_the_shop(
    api_a, client, merchant_a, order_payload, tmp_path, no_sms_quiet_hours
):
    connect(merchant_a, "gls")
    order = api_a.post("/api/v1/orders/", order_payload, format="json").json()
    response = api_a.post(
        f"/api/v1/orders/{order['id']}/shipments/", {"tracking_number": GLS_NUMBER}, format="json"
    )
    assert response.status_code == 201
    shipment = Shipment.objects.for_merchant(merchant_a).get(pk=response.json()["id"])
    assert shipment.carrier == "GLS"

    with fake_postmark() as esp, fake_carriers() as gls:
        # The first poll finds the parcel in transit, the next one delivered.
        gls.script(
            GLS_NUMBER, carrier_fixture("gls", "in_transit"), carrier_fixture("gls", "delivered")
        )
        env = worker_env(
            esp,
            CARRIER_API_BASE_URL=gls.url,
            CARRIER_POLL_TICK_SECONDS="0.5",
            # Long enough for the in-transit update to leave before the next poll finds
            # the parcel delivered (a newer status supersedes an update not yet sent).
            CARRIER_POLL_IN_TRANSIT_SECONDS="3",
            CARRIER_POLL_OUT_FOR_DELIVERY_SECONDS="1",
            TOUCHPOINT_TICK_SECONDS="0.5",
        )
        with (
            celery_worker(tmp_path / "worker.log", env=env),
            celery_beat(tmp_path / "beat.log", schedule_file=tmp_path / "beat-schedule", env=env),
        ):

            def delivered():
                shipment.refresh_from_db()
                return shipment.status == "delivered"

            wait_for(delivered, timeout=60, interval=0.2)
            updates = Touchpoint.objects.for_merchant(merchant_a).filter(
                kind="shipment_update", channel="email"
            )

            def emails_settled():
                # Each status change planned an update; one that a newer one overtook
                # before it left is skipped, every other one is handed to the ESP.
                every_channel = Touchpoint.objects.for_merchant(merchant_a).filter(
                    kind="shipment_update"
                )
                return not every_channel.filter(status="scheduled").exists() and all(
                    esp.accepted.get(tp.callback_code) for tp in updates.filter(status="sent")
                )

            wait_for(emails_settled, timeout=30, interval=0.2)

    assert gls.tracking_requests("gls") == [GLS_NUMBER, GLS_NUMBER]  # stopped once delivered
    shipment.carrier_tracker.refresh_from_db()
    assert shipment.carrier_tracker.next_poll_at is None
    # The buyer (Danish) was told it was on its way, then that it arrived.
    sent = updates.filter(status="sent").order_by("id")
    subjects = [esp.accepted[tp.callback_code][0]["Subject"] for tp in sent]
    print("shipment update subjects:", subjects)
    assert len(subjects) >= 2 and "leveret" in subjects[-1].lower(), subjects
    assert all(len(esp.accepted[tp.callback_code]) == 1 for tp in sent)  # each sent once
    # By SMS too (the label-created note goes by email only).
    sms = Touchpoint.objects.for_merchant(merchant_a).filter(kind="shipment_update", channel="sms")
    assert sms.filter(status="sent").count() >= 2
    assert not sms.filter(status="scheduled").exists()
    page = client.get(re.sub(r"^https?://[^/]+", "", order["tracking_url"])).content.decode()
    assert "Leveret" in page
    assert "The parcel has been delivered." in page  # GLS's own words on the timeline
    assert "https://gls-group.com/track/60483186262" in page
