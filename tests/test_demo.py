"""The demo merchant `make run` loads: believable, complete, and safe to load twice."""

import io
import re
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command

from demo import loader, shop
from demo import summary as demo_summary
from notifications.models import Touchpoint
from orders.models import Order, Product, Shipment, ShipmentEvent, ShipmentStatus
from postpurchase.models import ApiKey, Membership, Merchant
from postpurchase.services import api_key_authenticate

pytestmark = pytest.mark.django_db


def _counts(merchant):
    return {
        model.__name__: model.objects.for_merchant(merchant).count()
        for model in (Order, Shipment, ShipmentEvent, Touchpoint, Product, ApiKey, Membership)
    }


def test_demo_shop_has_every_shipment_state_an_unshipped_order_and_both_logins():
    loader.load_demo()
    merchant = Merchant.objects.get(slug=shop.SLUG)
    statuses = set(Shipment.objects.for_merchant(merchant).values_list("status", flat=True))
    assert statuses == set(ShipmentStatus.values)
    orders = Order.objects.for_merchant(merchant)
    assert orders.count() >= 12
    assert orders.filter(shipments__isnull=True).exists()
    assert set(orders.values_list("locale", flat=True)) == {"en", "da", "de"}
    assert merchant.timezone == "Europe/Copenhagen"
    assert merchant.default_locale == "da"
    assert merchant.branding.logo
    assert (
        Product.objects.for_merchant(merchant).filter(best_seller_rank__isnull=False).count() >= 8
    )


def test_loading_the_demo_twice_changes_nothing():
    loader.load_demo()
    merchant = Merchant.objects.get(slug=shop.SLUG)
    before = _counts(merchant)
    statuses = dict(Touchpoint.objects.for_merchant(merchant).values_list("pk", "status"))
    result = loader.load_demo()
    assert result["new_orders"] == 0
    assert result["api_key"] == ""
    assert _counts(merchant) == before
    assert dict(Touchpoint.objects.for_merchant(merchant).values_list("pk", "status")) == statuses


def test_only_recent_causes_are_left_to_send_when_the_demo_starts():
    loader.load_demo()
    merchant = Merchant.objects.get(slug=shop.SLUG)
    waiting = Touchpoint.objects.for_merchant(merchant).filter(
        status=Touchpoint.Status.SCHEDULED, channel__in=["email", "sms"]
    )
    # The order placed minutes ago and the parcel that just went out for delivery.
    assert {(t.order.external_id, t.kind) for t in waiting} == {
        ("10412", "congratulation"),
        ("10407", "shipment_update"),
    }
    old = Touchpoint.objects.for_merchant(merchant).filter(order__external_id="10381")
    # Sent at the time, or skipped by consent and the merchant's channel settings.
    assert {t.status for t in old if t.kind != "followup_call"} == {"sent", "skipped"}
    assert old.get(kind="congratulation").status == "sent"


def test_load_demo_command_prints_what_to_open_and_the_api_key_once(capsys, settings, tmp_path):
    settings.VAR_DIR = tmp_path  # where it leaves the new key for serve_all
    call_command("load_demo")
    first = capsys.readouterr().out
    assert "/dashboard/" in first and "/calls/" in first and "/api/docs/" in first
    assert shop.OWNER["email"] in first and shop.ACCOUNT_MANAGER["password"] in first
    assert "/t/" in first
    assert "pp_" in first
    call_command("load_demo")
    second = capsys.readouterr().out
    assert "nothing changed" in second
    assert "pp_" not in second


def test_merchant_logo_is_served_without_debug_and_nothing_else_in_media(client, merchant_a):
    from django.core.files.base import ContentFile

    branding = merchant_a.branding
    branding.logo.save("nordic.png", ContentFile(loader._logo_png()))
    response = client.get(branding.logo.url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert client.get("/media/exports/secret.json").status_code == 404
    assert client.get("/media/logos/../db.sqlite3").status_code == 404


def test_summary_links_a_tracking_page_per_shipment_state_and_the_lookup_page():
    loader.load_demo()
    summary = demo_summary.demo_summary(base_url="http://127.0.0.1:8000")
    for status in ShipmentStatus:
        assert f"    {status.label} " in summary, status.label
    assert "Not shipped yet" in summary
    assert "http://127.0.0.1:8000/t/nordic-living/" in summary
    links = re.findall(r"http://127\.0\.0\.1:8000/t/([^/\s]+)/", summary)
    tokens = set(
        Order.objects.unscoped(reason="test: every demo order's token").values_list(
            "tracking_token", flat=True
        )
    )
    assert len([link for link in links if link in tokens]) == len(ShipmentStatus) + 1


def test_each_tracking_link_in_the_summary_shows_its_state(client):
    loader.load_demo()
    merchant = Merchant.objects.get(slug=shop.SLUG)
    for label, order in demo_summary.tracking_links(merchant):
        if label == "Not shipped yet":
            assert not order.shipments.exists()
        else:
            assert label in {str(s.label) for s in ShipmentStatus}
            status = next(s for s in ShipmentStatus if s.label == label)
            assert order.shipments.filter(status=status).exists()
        assert client.get(urlsplit(order.tracking_url).path).status_code == 200


def test_summary_names_the_pages_and_logins_and_the_key_only_when_given():
    loader.load_demo()
    summary = demo_summary.demo_summary(base_url="http://127.0.0.1:8000", api_key="pp_just_made")
    for path in ("/dashboard/", "/login/", "/calls/", "/api/docs/"):
        assert f"http://127.0.0.1:8000{path}" in summary
    assert shop.OWNER["password"] in summary and shop.ACCOUNT_MANAGER["password"] in summary
    assert "pp_just_made" in summary
    assert "pp_just_made" not in demo_summary.demo_summary(base_url="http://127.0.0.1:8000")


def test_a_new_api_key_is_kept_for_serve_all_once_and_private(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    call_command("load_demo", stdout=io.StringIO())
    path = demo_summary.new_key_path()
    assert path.stat().st_mode & 0o077 == 0
    raw_key = demo_summary.new_key_take()
    assert api_key_authenticate(raw_key).merchant.slug == shop.SLUG
    assert not path.exists()
    assert demo_summary.new_key_take() == ""
