"""Stored webhook bodies hold buyers' details: erasure blanks them, retention expires them."""

import datetime as dt
import json

import pytest
from django.utils import timezone

from notifications.webhooks_out.models import WebhookDelivery
from notifications.webhooks_out.privacy import webhook_logs_expire
from notifications.webhooks_out.services import webhook_endpoint_create
from orders.integrations.models import CsvImport, InboundDelivery
from orders.integrations.privacy import integration_logs_expire
from orders.integrations.services import integration_connect
from orders.models import Customer, Order
from tests.integrations_helpers import apply_pending, fixture
from tests.test_integrations_shopify import ORDER_ID, SECRET_A, post
from tracking.services import rating_submit

pytestmark = [pytest.mark.services, pytest.mark.django_db]


@pytest.fixture
def mette(client, merchant_a):
    """Mette ordered through Nordic Living's Shopify store and rated the order."""
    integration_connect(merchant=merchant_a, platform="shopify", secret=SECRET_A)
    assert post(client, "orders/create", fixture("shopify", "orders_create")).status_code == 200
    apply_pending()
    order = Order.objects.for_merchant(merchant_a).get(external_id=ORDER_ID)
    webhook_endpoint_create(
        merchant=merchant_a, url="https://erp.example.com/hook", events=["rating.received"]
    )
    rating_submit(merchant=merchant_a, order=order, score=2, comment="Mette, Vesterbro: late")
    return order.customer


def _stored_text(merchant) -> str:
    rows = [
        *InboundDelivery.objects.for_merchant(merchant).values_list("payload", flat=True),
        *WebhookDelivery.objects.for_merchant(merchant).values_list("payload", flat=True),
    ]
    return json.dumps(rows)


def test_export_includes_the_stored_webhook_bodies(api_a, mette):
    body = api_a.get(f"/api/v1/customers/{mette.pk}/export/").json()
    assert [row["topic"] for row in body["shop_webhooks"]] == ["orders/create"]
    assert body["shop_webhooks"][0]["payload"]["email"] == mette.email
    assert body["webhook_events"][0]["data"]["comment"] == "Mette, Vesterbro: late"


def test_erasure_blanks_the_buyers_webhook_bodies_and_no_one_elses(api_a, merchant_a, mette):
    other = InboundDelivery.objects.create(
        merchant=merchant_a,
        source="shopify",
        topic="orders/create",
        delivery_key="other",
        payload={"email": "someone.else@example.com"},
        order_external_id="999",
        status="done",
    )
    assert mette.email in _stored_text(merchant_a)

    assert api_a.post(f"/api/v1/customers/{mette.pk}/erase/").status_code == 200

    text = _stored_text(merchant_a)
    assert mette.email and mette.email not in text
    assert "Vesterbro" not in text
    assert not Customer.objects.for_merchant(merchant_a).filter(email=mette.email).exists()
    other.refresh_from_db()
    assert other.payload == {"email": "someone.else@example.com"}
    # The event itself stays (the merchant's log), only the buyer's words are gone.
    event = WebhookDelivery.objects.for_merchant(merchant_a).get()
    assert event.payload["data"]["score"] == 2 and event.payload["data"]["comment"] == ""


def test_a_pending_update_for_an_erased_buyer_is_never_applied(client, api_a, merchant_a, mette):
    update = fixture("shopify", "orders_create")
    update["updated_at"] = "2030-01-01T00:00:00+00:00"
    post(client, "orders/updated", update)  # stored, not applied yet
    api_a.post(f"/api/v1/customers/{mette.pk}/erase/")
    apply_pending()

    pending = InboundDelivery.objects.for_merchant(merchant_a).get(topic="orders/updated")
    assert (pending.status, pending.payload) == ("ignored", {"erased": True})
    mette.refresh_from_db()
    assert mette.email == "" and mette.erased_at is not None


def test_finished_logs_expire_after_the_retention_period(merchant_a, mette, settings):
    settings.DELIVERY_LOG_RETENTION_DAYS = 30
    waiting = InboundDelivery.objects.create(
        merchant=merchant_a,
        source="shopify",
        topic="fulfillments/create",
        delivery_key="waiting",
        payload={},
        order_external_id="404",
        status="waiting",
    )
    csv = CsvImport.objects.create(merchant=merchant_a, filename="o.csv", content="a,b", sha256="x")
    InboundDelivery.objects.unscoped(reason="test: ages every merchant's log rows").update(
        received_at=timezone.now() - dt.timedelta(days=31)
    )
    CsvImport.objects.unscoped(reason="test: ages every merchant's log rows").update(
        created_at=timezone.now() - dt.timedelta(days=31)
    )
    WebhookDelivery.objects.unscoped(reason="test: ages every merchant's log rows").update(
        status="delivered"
    )
    old_enough = timezone.now() + dt.timedelta(days=29)

    assert webhook_logs_expire(now=old_enough) == 0  # 29 days: kept
    assert webhook_logs_expire(now=timezone.now() + dt.timedelta(days=31), batch=1) == 1
    assert not WebhookDelivery.objects.unscoped(
        reason="test: ages every merchant's log rows"
    ).exists()

    assert integration_logs_expire(batch=1) == 2  # the applied order delivery and the CSV file
    assert list(
        InboundDelivery.objects.unscoped(reason="test: ages every merchant's log rows").all()
    ) == [waiting]  # still to be applied
    csv.refresh_from_db()
    assert csv.content == "" and csv.filename == "o.csv"


def test_expiry_runs_daily_from_beat(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "orders.integrations.tasks.expire_integration_logs" in tasks
    assert "notifications.webhooks_out.tasks.expire_webhook_logs" in tasks
