"""The bulk batch path gives exactly what posting the same orders one by one gives.

Nordic Living gets the orders one POST at a time; its twin shop, Nordic Living
Outlet (same time zone, same language), gets the very same orders as one batch.
Their orders, customers, items and touchpoints must end up the same.
"""

import copy

import pytest

from notifications.models import Touchpoint
from orders.models import Customer, Order
from postpurchase.services import merchant_create
from tests.conftest import _api_client, make_payload


@pytest.fixture
def outlet(db, merchant_a):
    return merchant_create(
        name="Nordic Living Outlet",
        slug="nordic-living-outlet",
        timezone_name=merchant_a.timezone,
        owner_email="alice@outlet.example",
        locale=merchant_a.default_locale,
    )


def scenario() -> tuple[dict, list[dict]]:
    """An order posted before, and a batch that exercises every upsert rule."""
    earlier = make_payload("500")
    earlier["customer"]["email"] = "karen@example.com"
    orders = [make_payload(str(n)) for n in range(1, 6)]
    for n, order in enumerate(orders):
        order["customer"]["email"] = f"buyer{n}@example.com"
        order["items"] = order["items"] * (n % 3 + 1)
    # Karen's earlier order again with a new total: 200, updated, no second congratulation.
    again = copy.deepcopy(earlier)
    again["total"] = "1500.00"
    again["customer"]["first_name"] = "Karen Marie"
    # The same new order twice in one batch: the second is an update of the first.
    twice = make_payload("600", total="10.00")
    twice_again = make_payload("600", total="20.00")
    # Two orders by one new customer: one customer, updated by the later order.
    one_buyer = make_payload("700")
    one_buyer["customer"]["email"] = "jens@example.com"
    one_buyer_later = make_payload("701")
    one_buyer_later["customer"]["email"] = "jens@example.com"
    one_buyer_later["customer"]["last_name"] = "Jensen"
    one_buyer_later["customer"]["consent"] = {"email": False, "sms": True}
    # A buyer known only by phone, without consent to email.
    by_phone = make_payload("800")
    by_phone["customer"] = {"phone": "+4540404040", "first_name": "Mette"}
    bad = make_payload("900", currency="kroner")
    return earlier, [
        *orders,
        again,
        twice,
        bad,
        twice_again,
        one_buyer,
        one_buyer_later,
        by_phone,
    ]


def snapshot(merchant) -> dict:
    orders = {}
    for order in (
        Order.objects.for_merchant(merchant)
        .select_related("customer")
        .prefetch_related("items", "touchpoints")
    ):
        c = order.customer
        orders[order.external_id] = {
            "fields": (
                order.number,
                order.placed_at,
                str(order.total),
                order.currency,
                order.locale,
                order.shipping_city,
                order.shipping_country,
            ),
            "customer": (
                c.email,
                c.phone,
                c.first_name,
                c.last_name,
                c.locale,
                c.consent_email,
                c.consent_sms,
                c.consent_call,
            ),
            "items": [
                (i.position, i.sku, i.name, i.quantity, str(i.unit_price))
                for i in order.items.all()
            ],
            "touchpoints": sorted(
                (t.kind, t.channel, t.cause, t.status, t.error, t.due_at.date())
                for t in order.touchpoints.all()
            ),
        }
    return {
        "orders": orders,
        "customers": Customer.objects.for_merchant(merchant).count(),
    }


def test_batch_gives_the_same_orders_customers_and_touchpoints_as_single_posts(merchant_a, outlet):
    api_nordic, api_outlet = _api_client(merchant_a), _api_client(outlet)
    earlier, batch = scenario()
    assert api_nordic.post("/api/v1/orders/", earlier, format="json").status_code == 201
    assert api_outlet.post("/api/v1/orders/", earlier, format="json").status_code == 201

    singles = [
        api_nordic.post("/api/v1/orders/", payload, format="json").status_code for payload in batch
    ]
    response = api_outlet.post("/api/v1/orders/batch/", {"orders": batch}, format="json")

    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == singles
    assert singles == [201] * 5 + [200, 201, 400, 200, 201, 201, 201]
    assert results[7]["errors"]["currency"]
    assert snapshot(outlet) == snapshot(merchant_a)


def test_batch_result_ids_and_tracking_urls_point_at_the_saved_orders(api_a, merchant_a):
    batch = [make_payload("a1"), make_payload("a2"), make_payload("a1", total="5.00")]

    results = api_a.post("/api/v1/orders/batch/", {"orders": batch}, format="json").json()[
        "results"
    ]

    saved = Order.objects.for_merchant(merchant_a).get(external_id="a1")
    assert results[0]["id"] == results[2]["id"] == saved.pk
    assert results[0]["tracking_url"] == saved.tracking_url
    assert str(saved.total) == "5.00"
    congratulations = Touchpoint.objects.for_merchant(merchant_a).filter(
        order=saved, kind=Touchpoint.Kind.CONGRATULATION
    )
    assert congratulations.count() == 1


def test_batch_repost_of_known_orders_plans_no_second_congratulation(api_a, merchant_a):
    batch = [make_payload(f"r{n}") for n in range(4)]
    api_a.post("/api/v1/orders/batch/", {"orders": batch}, format="json")

    again = api_a.post("/api/v1/orders/batch/", {"orders": batch}, format="json").json()

    assert [r["status"] for r in again["results"]] == [200] * 4
    assert (
        Touchpoint.objects.for_merchant(merchant_a)
        .filter(kind=Touchpoint.Kind.CONGRATULATION)
        .count()
        == 4
    )
