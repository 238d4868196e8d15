"""Which earlier customer an order's buyer is: one rule, the same on every ingest path.

The rule (orders.services.buyer_key): by email, case and surrounding spaces ignored; a
buyer without email by phone, however it is written, and only among customers without
email; of several matches the oldest. Each test posts a first order, then the second
order three ways: its own POST (on PostgreSQL the one-statement lookup, on SQLite the
ORM), a batch of its own (the bulk read) and in one batch after the first (one by one).
"""

import pytest

from orders.models import Customer, Order
from orders.services import buyer_key
from tests.conftest import make_payload

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

PATHS = ["post", "batch", "same_batch"]


def _ingest(api, merchant, first: dict, second: dict, path: str) -> tuple[Customer, Customer]:
    """Post `first`, then `second` by `path`; the buyers of the two orders."""
    if path == "same_batch":
        response = api.post("/api/v1/orders/batch/", {"orders": [first, second]}, format="json")
        assert response.status_code == 200, response.content
        assert [r["status"] for r in response.json()["results"]] == [201, 201]
    else:
        assert api.post("/api/v1/orders/", first, format="json").status_code == 201
        if path == "post":
            assert api.post("/api/v1/orders/", second, format="json").status_code == 201
        else:
            response = api.post("/api/v1/orders/batch/", {"orders": [second]}, format="json")
            assert response.json()["results"][0]["status"] == 201, response.content
    return tuple(
        Order.objects.for_merchant(merchant)
        .select_related("customer")
        .get(external_id=payload["external_id"])
        .customer
        for payload in (first, second)
    )


def _buyer(external_id: str, **customer) -> dict:
    payload = make_payload(external_id)
    payload["customer"] = {"consent": {"email": True, "sms": True}, **customer}
    return payload


@pytest.mark.parametrize("path", PATHS)
def test_the_same_email_in_other_case_and_spacing_is_the_same_buyer(api_a, merchant_a, path):
    first = _buyer("1", email="anna@example.com", first_name="Anna")
    second = _buyer("2", email="  Anna@EXAMPLE.com ", last_name="Holm")
    buyers = _ingest(api_a, merchant_a, first, second, path)
    assert buyers[0] == buyers[1]
    assert (buyers[1].first_name, buyers[1].last_name) == ("Anna", "Holm")
    assert Customer.objects.for_merchant(merchant_a).count() == 1


@pytest.mark.parametrize("path", PATHS)
def test_a_buyer_without_email_is_the_one_with_that_phone_however_written(api_a, merchant_a, path):
    first = _buyer("1", phone="+4520123456")
    second = _buyer("2", phone=" +45 20 12 34 56")
    buyers = _ingest(api_a, merchant_a, first, second, path)
    assert buyers[0] == buyers[1]
    assert buyers[1].phone == "+4520123456"


@pytest.mark.parametrize("path", PATHS)
def test_a_phone_alone_never_matches_a_customer_who_has_an_email(api_a, merchant_a, path):
    first = _buyer("1", email="anna@example.com", phone="+4520123456")
    second = _buyer("2", phone="+4520123456")
    buyers = _ingest(api_a, merchant_a, first, second, path)
    assert buyers[0] != buyers[1]
    assert buyers[1].email == ""


@pytest.mark.parametrize("path", PATHS)
def test_an_email_is_matched_by_email_even_when_its_phone_has_a_customer(api_a, merchant_a, path):
    first = _buyer("1", phone="+4520123456")
    second = _buyer("2", email="mette@example.com", phone="+4520123456")
    buyers = _ingest(api_a, merchant_a, first, second, path)
    assert buyers[0] != buyers[1]
    assert buyers[1].email == "mette@example.com"


@pytest.mark.parametrize("path", ["post", "batch"])
def test_of_two_customers_with_the_email_the_oldest_is_the_buyer(api_a, merchant_a, path):
    oldest, newer = (
        Customer.objects.create(merchant=merchant_a, email="anna@example.com", first_name=name)
        for name in ("Oldest", "Newer")
    )
    payload = _buyer("1", email="anna@example.com")
    if path == "post":
        response = api_a.post("/api/v1/orders/", payload, format="json")
    else:
        response = api_a.post("/api/v1/orders/batch/", {"orders": [payload]}, format="json")
    assert response.status_code in (200, 201), response.content
    order = Order.objects.for_merchant(merchant_a).get(external_id="1")
    assert order.customer_id == oldest.pk != newer.pk


@pytest.mark.parametrize("path", PATHS)
def test_a_buyer_of_another_merchant_is_never_matched(api_a, api_b, merchant_a, merchant_b, path):
    api_b.post("/api/v1/orders/", _buyer("b1", email="anna@example.com"), format="json")
    theirs = Customer.objects.for_merchant(merchant_b).get()
    buyers = _ingest(
        api_a,
        merchant_a,
        _buyer("1", email="anna@example.com"),
        _buyer("2", email="anna@example.com"),
        path,
    )
    assert buyers[0] == buyers[1] != theirs


def test_the_key_is_the_email_else_the_phone_else_none():
    assert buyer_key({"email": "a@x.dk", "phone": "+4520123456"}) == ("email", "a@x.dk")
    assert buyer_key({"email": "", "phone": "+4520123456"}) == ("phone", "+4520123456")
    assert buyer_key({"email": "", "phone": ""}) is None
