"""The orders list: the real status of each order, its parcels, filters, and why one needs attention.

Nordic Living (merchant A, Alice owns it) has orders in every state; Bob owns Bergmann (B).
"""

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.dashboard_world import place_order, ship

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(merchant_a):
    orders = {
        "unshipped": place_order(merchant_a, "2001"),
        "on_the_way": place_order(merchant_a, "2002"),
        "delivered": place_order(merchant_a, "2003"),
        "returned": place_order(merchant_a, "2004"),
        "failed": place_order(merchant_a, "2005"),
        "cancelled": place_order(merchant_a, "2006"),
    }
    ship(merchant_a, orders["on_the_way"], "label_created", "in_transit")
    ship(merchant_a, orders["delivered"], "in_transit", "delivered")
    ship(merchant_a, orders["returned"], "in_transit", "returned_to_sender")
    ship(merchant_a, orders["failed"], "in_transit", "attempt_failed")
    cancelled = orders["cancelled"]
    cancelled.cancelled_at = timezone.now()
    cancelled.save()
    return orders


def page_of(user, query="") -> str:
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    response = client.get(reverse("dashboard:orders") + query)
    assert response.status_code == 200
    return response.content.decode()


def rows(html: str) -> dict[str, str]:
    """Each listed order's number and its row's HTML."""
    return dict(re.findall(r'<tr data-order="([^"]+)">(.*?)</tr>', html, re.S))


def status_of(row: str) -> str:
    return re.search(r'data-status="([^"]+)"', row).group(1)


def test_each_order_shows_what_it_is_now_not_open_for_all(alice, shop):
    listed = rows(page_of(alice))
    assert {number: status_of(row) for number, row in listed.items()} == {
        "#2001": "not_shipped",
        "#2002": "shipped",
        "#2003": "delivered",
        "#2004": "returned",
        "#2005": "shipped",
        "#2006": "cancelled",
    }
    assert ">Open<" not in page_of(alice)


def test_the_shipment_status_column_shows_each_parcel(alice, merchant_a, shop):
    ship(merchant_a, shop["delivered"], "label_created")  # a second parcel, not sent yet
    row = rows(page_of(alice))["#2003"]
    assert re.findall(r'data-shipment-status="([^"]+)"', row) == ["delivered", "label_created"]
    assert status_of(row) == "partly_delivered"
    assert "Partly delivered" in row


@pytest.mark.parametrize(
    "query, expected",
    [
        ("?status=not_shipped", {"#2001"}),
        ("?status=shipped", {"#2002", "#2005"}),
        ("?status=delivered", {"#2003"}),
        ("?status=returned", {"#2004"}),
        ("?status=cancelled", {"#2006"}),
        ("?shipment=attempt_failed", {"#2005"}),
        ("?shipment=in_transit", {"#2002"}),
        ("?attention=on", {"#2004", "#2005"}),
        ("?status=shipped&attention=on", {"#2005"}),
    ],
)
def test_filters_narrow_the_list(alice, shop, query, expected):
    assert set(rows(page_of(alice, query))) == expected


def test_needs_attention_says_why(alice, merchant_a, shop):
    from tracking.services import rating_submit

    rating_submit(merchant=merchant_a, order=shop["delivered"], score=2, comment="Scratched")
    listed = rows(page_of(alice, "?attention=on"))
    assert "Delivery attempt failed" in listed["#2005"].split("data-attention")[1]
    assert "Rated the order 2 of 5" in listed["#2003"]
    home = Client(headers={"accept-language": "en"})
    home.force_login(alice)
    overview = home.get(reverse("dashboard:home")).content.decode()
    assert "data-attention" in overview and "Rated the order 2 of 5" in overview


def test_another_merchant_sees_none_of_the_orders_whatever_the_filter(bob, shop):
    for query in ("", "?attention=on", "?status=delivered", "?shipment=attempt_failed"):
        assert rows(page_of(bob, query)) == {}


def test_a_page_link_keeps_the_filters(alice, merchant_a, shop):
    for n in range(30):
        place_order(merchant_a, f"3{n:03}")
    html = page_of(alice, "?status=not_shipped")
    assert "status=not_shipped&amp;page=2" in html
