"""The order timeline folds repeated rows: a run of visits is one row, skipped messages one per reason.

Jonas bought from Nordic Living (merchant A, Alice owns it) without SMS consent and
keeps checking the tracking page; Bob (merchant B) sees nothing of it.
"""

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.dateparse import parse_datetime

from orders.dashboard.order_pages import order_timeline
from tests.dashboard_world import place_order, ship
from tracking.models import TrackingVisit

pytestmark = pytest.mark.django_db

START = parse_datetime("2026-11-21T08:00:00Z")  # the first scan; one every 6 hours


@pytest.fixture
def jonas(merchant_a):
    order = place_order(
        merchant_a,
        "4001",
        customer={
            "email": "jonas@example.com",
            "phone": "+4520304050",
            "first_name": "Jonas",
            "last_name": "Madsen",
            "consent": {"email": True, "sms": False},
        },
    )
    ship(merchant_a, order, "label_created", "in_transit", "out_for_delivery", "delivered")
    return order


def visit(merchant, order, at, source="direct", n=1):
    for i in range(n):
        TrackingVisit.objects.create(
            merchant=merchant,
            order=order,
            visited_at=at + dt.timedelta(minutes=i),
            client_hash=f"h{i}",
            source=source,
        )


def page(user, order) -> str:
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    return client.get(reverse("dashboard:order_detail", args=[order.pk])).content.decode()


def test_five_visits_in_a_row_are_one_row_with_the_last_time(merchant_a, alice, jonas):
    visit(merchant_a, jonas, START + dt.timedelta(hours=1), n=4)
    visit(merchant_a, jonas, START + dt.timedelta(hours=1, minutes=10), source="email")
    rows = [e for e in order_timeline(merchant=merchant_a, order=jonas) if e["type"] == "visit"]
    assert len(rows) == 1
    assert rows[0]["title"] == "Tracking page visited 5 times"
    assert rows[0]["at"] == START + dt.timedelta(hours=1, minutes=10)
    assert (
        "Opened directly ×4" in rows[0]["detail"] and "Opened from the email" in rows[0]["detail"]
    )
    html = page(alice, jonas)
    outside = re.sub(r"<details.*?</details>", "", html, flags=re.S)
    assert outside.count("Tracking page visited") == 1
    assert 'data-grouped="5"' in html
    # Only folded rows have a list to open.
    folded = [e for e in order_timeline(merchant=merchant_a, order=jonas) if e.get("parts")]
    assert html.count("<details") == len(folded)


def test_visits_on_each_side_of_a_scan_stay_apart(merchant_a, jonas):
    visit(merchant_a, jonas, START + dt.timedelta(hours=1), n=3)  # after label_created
    visit(merchant_a, jonas, START + dt.timedelta(hours=7), n=2)  # after in_transit
    visit(merchant_a, jonas, START + dt.timedelta(hours=8))  # a single visit stays as it is
    titles = [e["title"] for e in order_timeline(merchant=merchant_a, order=jonas)]
    assert "Tracking page visited 3 times" in titles
    assert "Tracking page visited 3 times" in titles[titles.index("In transit") - 2 :]
    visits = [t for t in titles if t.startswith("Tracking page visited")]
    assert visits == ["Tracking page visited 3 times", "Tracking page visited 3 times"]


def test_skipped_sms_updates_are_one_row_saying_why(merchant_a, alice, jonas):
    entries = order_timeline(merchant=merchant_a, order=jonas)
    sms = [e for e in entries if e.get("status") == "skipped" and "SMS" in e["title"]]
    assert [e["title"] for e in sms] == ["4 SMS skipped"]
    assert "The buyer did not agree to text messages." in sms[0]["detail"]
    assert [item["touchpoint"].channel for item in sms[0]["parts"]] == ["sms"] * 4
    html = page(alice, jonas)
    outside = re.sub(r"<details.*?</details>", "", html, flags=re.S)
    assert "Shipment update by SMS" not in outside
    assert len(re.findall(r"Shipment update by SMS", html)) == 4  # each one inside the fold


def test_merchant_b_cannot_open_the_timeline(bob, jonas):
    client = Client()
    client.force_login(bob)
    assert client.get(reverse("dashboard:order_detail", args=[jonas.pk])).status_code == 404
