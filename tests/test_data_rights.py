"""Anna asks Nordic Living what it holds about her, then asks to be forgotten."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.test import Client, override_settings
from django.utils import timezone

from notifications.models import Touchpoint
from orders.models import Customer, Order
from orders.privacy import customers_erase_expired
from postpurchase.models import AuditLogEntry
from tests.conftest import make_payload
from tracking.models import Rating, TrackingVisit

pytestmark = pytest.mark.django_db


@pytest.fixture
def anna(api_a, merchant_a):
    """Anna Holm bought a sofa and a lamp; the sofa shipped and she rated it."""
    sofa = api_a.post("/api/v1/orders/", make_payload("S1"), format="json").json()
    lamp = make_payload("L1")
    lamp["items"][0].update(sku="LAMP-1", name="Lamp", unit_price="299.00")
    lamp["total"] = "299.00"
    api_a.post("/api/v1/orders/", lamp, format="json")
    shipment = api_a.post(
        f"/api/v1/orders/{sofa['id']}/shipments/",
        {"carrier": "gls", "tracking_number": "GLS123"},
        format="json",
    ).json()
    api_a.post(
        f"/api/v1/shipments/{shipment['id']}/events/",
        {"status": "in_transit", "occurred_at": "2026-11-21T09:00:00Z", "location": "Aarhus"},
        format="json",
    )
    order = Order.objects.for_merchant(merchant_a).get(pk=sofa["id"])
    Rating.objects.create(merchant=merchant_a, order=order, score=5, comment="Lovely, Anna H.")
    TrackingVisit.objects.create(merchant=merchant_a, order=order, client_hash="abc123")
    return Customer.objects.for_merchant(merchant_a).get(email="anna@example.com")


def test_lookup_by_email_finds_the_buyer(api_a, anna):
    body = api_a.post(
        "/api/v1/customers/lookup/", {"email": "Anna@Example.com"}, format="json"
    ).json()
    assert body["customers"] == [{"id": anna.pk, "orders": 2, "erased_at": None}]


def test_lookup_needs_email_or_phone(api_a, anna):
    response = api_a.post("/api/v1/customers/lookup/", {}, format="json")
    assert response.status_code == 400
    assert "email" in response.json()["errors"]


def test_export_holds_everything_about_anna(api_a, anna):
    response = api_a.get(f"/api/v1/customers/{anna.pk}/export/")
    assert response.status_code == 200
    data = response.json()
    assert data["customer"]["email"] == "anna@example.com"
    assert data["customer"]["phone"] == "+4520123456"
    assert data["customer"]["consent"] == {"email": True, "sms": True, "call": True}
    assert {o["external_id"] for o in data["orders"]} == {"S1", "L1"}
    sofa = next(o for o in data["orders"] if o["external_id"] == "S1")
    assert sofa["shipping_address"]["line1"] == "Strandvejen 12"
    assert sofa["shipments"][0]["events"][0]["location"] == "Aarhus"
    assert {t["kind"] for t in sofa["touchpoints"]} >= {"congratulation", "followup_call"}
    assert sofa["rating"] == {"score": 5, "comment": "Lovely, Anna H."}
    assert len(sofa["tracking_page_visits"]) == 1
    assert data["follow_up_calls"], "the follow-up calls planned for her orders"


def test_erase_anonymises_anna_and_keeps_the_figures(api_a, merchant_a, anna):
    orders = Order.objects.for_merchant(merchant_a)
    total_before = orders.aggregate(t=Sum("total"))["t"]
    response = api_a.post(f"/api/v1/customers/{anna.pk}/erase/", format="json")
    assert response.status_code == 200
    assert response.json()["erased_at"] is not None
    anna.refresh_from_db()
    assert (anna.email, anna.phone, anna.first_name, anna.last_name) == ("", "", "", "")
    assert not (anna.consent_email or anna.consent_sms or anna.consent_call)
    assert anna.erased_at is not None
    # Aggregates stay: orders, totals, rating scores, visit counts.
    assert orders.count() == 2
    assert orders.aggregate(t=Sum("total"))["t"] == total_before == Decimal("1598.00")
    assert set(orders.values_list("shipping_line1", flat=True)) == {""}
    assert set(orders.values_list("shipping_country", flat=True)) == {"DK"}
    rating = Rating.objects.for_merchant(merchant_a).get()
    assert (rating.score, rating.comment) == (5, "")
    assert TrackingVisit.objects.for_merchant(merchant_a).get().client_hash == ""
    assert set(Touchpoint.objects.for_merchant(merchant_a).values_list("recipient", flat=True)) == {
        ""
    }
    # Nothing more reaches her.
    assert not Touchpoint.objects.for_merchant(merchant_a).filter(status="scheduled").exists()
    entry = AuditLogEntry.objects.for_merchant(merchant_a).get(action="customer.erased")
    assert entry.target == f"customer:{anna.pk}"
    assert entry.details["orders"] == 2
    assert entry.details["via"].startswith("api-key:")


def test_erased_buyer_export_holds_no_personal_data(api_a, merchant_a, anna):
    from followups.models import FollowUpCall

    FollowUpCall.objects.for_merchant(merchant_a).update(
        notes="Anna Holm wants the Strandvejen door"
    )
    api_a.post(f"/api/v1/customers/{anna.pk}/erase/", format="json")
    text = api_a.get(f"/api/v1/customers/{anna.pk}/export/").content.decode()
    for personal in ("anna@example.com", "+4520123456", "Holm", "Strandvejen", "Lovely"):
        assert personal not in text


def test_erasing_twice_changes_nothing_more(api_a, merchant_a, anna):
    first = api_a.post(f"/api/v1/customers/{anna.pk}/erase/", format="json").json()
    second = api_a.post(f"/api/v1/customers/{anna.pk}/erase/", format="json").json()
    assert first["erased_at"] == second["erased_at"]
    assert (
        AuditLogEntry.objects.for_merchant(merchant_a).filter(action="customer.erased").count() == 1
    )


def test_erase_by_email(api_a, merchant_a, anna):
    response = api_a.post("/api/v1/customers/erase/", {"email": "anna@example.com"}, format="json")
    assert response.status_code == 200
    assert [c["id"] for c in response.json()["customers"]] == [anna.pk]
    anna.refresh_from_db()
    assert anna.erased_at is not None


def test_bob_cannot_export_or_erase_anna(api_b, anna):
    assert api_b.get(f"/api/v1/customers/{anna.pk}/export/").status_code == 404
    assert api_b.post(f"/api/v1/customers/{anna.pk}/erase/", format="json").status_code == 404
    found = api_b.post("/api/v1/customers/lookup/", {"email": "anna@example.com"}, format="json")
    assert found.json() == {"customers": []}
    api_b.post("/api/v1/customers/erase/", {"email": "anna@example.com"}, format="json")
    anna.refresh_from_db()
    assert anna.erased_at is None


@override_settings(BUYER_RETENTION_DAYS=365)
def test_retention_erases_buyers_whose_last_order_is_old(api_a, merchant_a, anna):
    old = make_payload("OLD", placed_at="2020-01-10T10:00:00Z")
    old["customer"].update(email="olga@example.com", first_name="Olga")
    api_a.post("/api/v1/orders/", old, format="json")
    Order.objects.for_merchant(merchant_a).filter(external_id__in=["S1", "L1"]).update(
        placed_at=timezone.now() - dt.timedelta(days=30)
    )
    assert customers_erase_expired() == 1
    olga = Order.objects.for_merchant(merchant_a).get(external_id="OLD").customer
    assert olga.erased_at is not None and olga.email == ""
    anna.refresh_from_db()
    assert anna.erased_at is None
    assert customers_erase_expired() == 0  # erased buyers are not erased again


@override_settings(BUYER_RETENTION_DAYS=0)
def test_retention_zero_keeps_everyone(api_a, anna):
    Order.objects.for_merchant(anna.merchant).update(
        placed_at=timezone.now() - dt.timedelta(days=5000)
    )
    assert customers_erase_expired() == 0


def test_retention_runs_daily_from_beat(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["erase-expired-customers"]
    assert entry["task"] == "orders.tasks.erase_expired_customers"


# --- the dashboard screen ---------------------------------------------------------


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_alice_finds_exports_and_erases_anna_from_the_dashboard(alice, merchant_a, anna):
    client = _signed_in(alice)
    page = client.get("/dashboard/privacy/", {"email": "anna@example.com"})
    assert page.status_code == 200
    assert "Anna Holm" in page.content.decode()
    export = client.get(f"/dashboard/privacy/customers/{anna.pk}/export/")
    assert export["Content-Disposition"].startswith("attachment")
    assert export.json()["customer"]["email"] == "anna@example.com"
    unconfirmed = client.post(f"/dashboard/privacy/customers/{anna.pk}/erase/")
    assert unconfirmed.status_code == 302
    anna.refresh_from_db()
    assert anna.erased_at is None
    client.post(f"/dashboard/privacy/customers/{anna.pk}/erase/", {"confirm": "yes"})
    anna.refresh_from_db()
    assert anna.erased_at is not None
    entry = AuditLogEntry.objects.for_merchant(merchant_a).get(action="customer.erased")
    assert entry.actor == alice


def test_account_manager_cannot_erase(anders, anna):
    client = _signed_in(anders)
    assert client.get("/dashboard/privacy/").status_code == 403
    response = client.post(f"/dashboard/privacy/customers/{anna.pk}/erase/", {"confirm": "yes"})
    assert response.status_code == 403
    anna.refresh_from_db()
    assert anna.erased_at is None


def test_erase_form_needs_csrf_token(alice, anna):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post(f"/dashboard/privacy/customers/{anna.pk}/erase/", {"confirm": "yes"})
    assert response.status_code == 403
    anna.refresh_from_db()
    assert anna.erased_at is None
