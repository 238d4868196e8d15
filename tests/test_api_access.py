"""Who may call the API: a valid key of the merchant that owns the object, nobody else.

Unknown or revoked key: 401 on every endpoint. Another merchant's object: 404,
the same answer as for an id that does not exist, and nothing changes.
"""

import time

import pytest
from django.utils import timezone

from orders.models import Order, Shipment, ShipmentEvent
from postpurchase.models import ApiKey
from postpurchase.services import api_key_create, api_key_revoke

pytestmark = pytest.mark.django_db

EVENT = {"status": "in_transit", "occurred_at": "2026-11-22T08:00:00Z"}


@pytest.fixture
def world(api_a, order_payload):
    """Anna's order at Nordic Living (merchant A), shipped, with one event."""
    order_id = api_a.post("/api/v1/orders/", order_payload, format="json").json()["id"]
    shipment_id = api_a.post(
        f"/api/v1/orders/{order_id}/shipments/",
        {"carrier": "GLS", "tracking_number": "GLS1"},
        format="json",
    ).json()["id"]
    api_a.post(f"/api/v1/shipments/{shipment_id}/events/", EVENT, format="json")
    return {"order": order_id, "shipment": shipment_id}


def _endpoints(world, order_payload):
    order, shipment = world["order"], world["shipment"]
    return [
        ("get", "/api/v1/orders/", None),
        ("post", "/api/v1/orders/", order_payload),
        ("post", "/api/v1/orders/batch/", {"orders": [order_payload]}),
        ("get", f"/api/v1/orders/{order}/", None),
        ("post", f"/api/v1/orders/{order}/shipments/", {"carrier": "GLS", "tracking_number": "2"}),
        ("post", f"/api/v1/shipments/{shipment}/events/", EVENT),
    ]


def _call(client, method, url, body):
    if method == "get":
        return client.get(url)
    return client.post(url, body, format="json")


def _snapshot(merchant):
    return (
        list(Order.objects.for_merchant(merchant).values_list("pk", "total", "updated_at")),
        Shipment.objects.for_merchant(merchant).count(),
        ShipmentEvent.objects.for_merchant(merchant).count(),
    )


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer pp_0123456789_not-a-real-key",
        "Bearer pp_short_x",
        "Bearer",
        "Bearer two words",
        "Basic YWxpY2U6c2VjcmV0",
        "Bearer \u00e6\u00f8\u00e5",
    ],
    ids=["missing", "unknown", "malformed", "empty", "two-words", "basic", "non-ascii"],
)
def test_missing_or_unknown_key_is_401_on_every_endpoint(
    client, world, merchant_a, order_payload, authorization
):
    from rest_framework.test import APIClient

    client = APIClient()
    if authorization:
        client.credentials(HTTP_AUTHORIZATION=authorization)
    before = _snapshot(merchant_a)
    for method, url, body in _endpoints(world, order_payload):
        response = _call(client, method, url, body)
        assert response.status_code == 401, (method, url, response.content)
        assert set(response.json()) == {"errors"}
    assert _snapshot(merchant_a) == before


def test_a_signed_in_dashboard_session_is_no_api_credential(
    alice, world, merchant_a, order_payload
):
    from django.test import Client

    browser = Client()
    browser.force_login(alice)  # the shop's owner, signed in to the dashboard
    before = _snapshot(merchant_a)
    for method, url, body in _endpoints(world, order_payload):
        if method == "get":
            response = browser.get(url)
        else:
            response = browser.post(url, body, content_type="application/json")
        assert response.status_code == 401, (method, url, response.content)
    assert _snapshot(merchant_a) == before


def test_revoked_key_is_401_on_every_endpoint_and_other_keys_keep_working(
    api_a, world, merchant_a, order_payload
):
    _, spare = api_key_create(merchant=merchant_a, name="spare")
    key = ApiKey.objects.for_merchant(merchant_a).get(name="test")
    api_key_revoke(merchant=merchant_a, key_id=key.pk)
    before = _snapshot(merchant_a)
    for method, url, body in _endpoints(world, order_payload):
        assert _call(api_a, method, url, body).status_code == 401, (method, url)
    assert _snapshot(merchant_a) == before
    api_a.credentials(HTTP_AUTHORIZATION=f"Bearer {spare}")
    assert api_a.get("/api/v1/orders/").status_code == 200


def test_key_of_an_inactive_merchant_is_401(api_a, merchant_a):
    merchant_a.is_active = False
    merchant_a.save()
    assert api_a.get("/api/v1/orders/").status_code == 401


def test_a_key_in_use_stops_working_at_once_when_revoked_or_its_merchant_deactivated(
    api_a, merchant_a
):
    # Each request here finds the key remembered by the one before (postpurchase/services.py).
    assert api_a.get("/api/v1/orders/").status_code == 200
    merchant_a.is_active = False
    merchant_a.save()
    assert api_a.get("/api/v1/orders/").status_code == 401
    merchant_a.is_active = True
    merchant_a.save()
    assert api_a.get("/api/v1/orders/").status_code == 200
    api_key_revoke(merchant=merchant_a, key_id=ApiKey.objects.for_merchant(merchant_a).get().pk)
    assert api_a.get("/api/v1/orders/").status_code == 401


def test_a_revocation_in_another_process_takes_effect_within_the_key_cache_time(
    api_a, merchant_a, monkeypatch, settings
):
    assert api_a.get("/api/v1/orders/").status_code == 200
    # Another process revokes the key: no signal reaches this one, which still has it.
    ApiKey.objects.unscoped(reason="test: revokes A's keys behind the API's back").filter(
        merchant=merchant_a
    ).update(revoked_at=timezone.now())
    assert api_a.get("/api/v1/orders/").status_code == 200
    later = time.monotonic() + settings.API_KEY_CACHE_SECONDS + 0.1
    monkeypatch.setattr("postpurchase.services.time.monotonic", lambda: later)
    assert api_a.get("/api/v1/orders/").status_code == 401


def test_a_remembered_key_gives_each_request_a_merchant_of_its_own(merchant_a):
    from postpurchase.services import api_key_authenticate

    _, raw = api_key_create(merchant=merchant_a, name="shared")
    first = api_key_authenticate(raw)  # read and remembered
    second, third = api_key_authenticate(raw), api_key_authenticate(raw)  # remembered
    second.merchant.business_days.append(99)  # a request changing its copy
    second.merchant.name = "Changed"
    assert third.merchant.business_days == first.merchant.business_days
    assert api_key_authenticate(raw).merchant.name == merchant_a.name
    assert second.merchant is not third.merchant


def test_using_a_key_records_when_it_was_last_used(api_a, merchant_a):
    key = ApiKey.objects.for_merchant(merchant_a).get()
    assert key.last_used_at is None
    api_a.get("/api/v1/orders/")
    key.refresh_from_db()
    assert timezone.now() - key.last_used_at < timezone.timedelta(seconds=5)


def test_other_merchants_objects_are_404_on_every_endpoint(api_b, world, merchant_a, order_payload):
    before = _snapshot(merchant_a)
    order, shipment = world["order"], world["shipment"]
    probes = [
        ("get", f"/api/v1/orders/{order}/", None),
        ("post", f"/api/v1/orders/{order}/shipments/", {"carrier": "GLS", "tracking_number": "2"}),
        ("post", f"/api/v1/shipments/{shipment}/events/", EVENT),
    ]
    for method, url, body in probes:
        response = _call(api_b, method, url, body)
        assert response.status_code == 404, (method, url)
        assert set(response.json()) == {"errors"}
        # Indistinguishable from an id that does not exist at all.
        missing = url.replace(f"/{order}/", "/987654/").replace(f"/{shipment}/", "/987654/")
        assert _call(api_b, method, missing, body).json() == response.json()
    assert api_b.get("/api/v1/orders/").json()["count"] == 0
    assert _snapshot(merchant_a) == before


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/orders/99999999999999999999/",
        "/api/v1/orders/99999999999999999999/shipments/",
        "/api/v1/shipments/99999999999999999999/events/",
    ],
)
def test_ids_beyond_the_database_range_are_404(api_a, url):
    response = api_a.get(url) if url.endswith("99/") else api_a.post(url, {}, format="json")
    assert response.status_code == 404


def test_revoking_another_merchants_key_is_404_and_leaves_it_working(api_a, merchant_a, merchant_b):
    from django.http import Http404

    key = ApiKey.objects.for_merchant(merchant_a).get()
    with pytest.raises(Http404):
        api_key_revoke(merchant=merchant_b, key_id=key.pk)
    assert api_a.get("/api/v1/orders/").status_code == 200
