"""CSV import: Alice brings Nordic Living's orders from a spreadsheet.

The file mixes good orders, bad rows and a duplicated row; the good ones are
imported, the bad ones reported by line, and the same file twice creates nothing new.
"""

import shutil
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from orders import csv_import
from orders.integrations.models import CsvImport
from orders.models import Order, Shipment, ShipmentEvent
from orders.serializers import OrderInput
from orders.services import order_upsert
from tests.conftest import make_payload
from tests.integrations_helpers import FIXTURES

pytestmark = [pytest.mark.services, pytest.mark.django_db]

MIXED = (FIXTURES / "csv" / "orders_mixed.csv").read_text()


@pytest.fixture
def existing_order(merchant_a):
    data = OrderInput(data=make_payload("1001"))
    data.is_valid(raise_exception=True)
    return order_upsert(merchant=merchant_a, data=data.validated_data).order


def _by_line(preview):
    return {row.number: row for row in preview.rows}


def test_preview_reports_each_row_and_changes_nothing(merchant_a, existing_order):
    preview = csv_import.preview(merchant=merchant_a, content=MIXED)
    rows = _by_line(preview)
    assert {n: r.action for n, r in rows.items()} == {
        2: "create",
        3: "create",
        4: "create",
        5: "error",
        6: "error",
        7: "duplicate",
        8: "error",
        9: "exists",
        10: "error",
    }
    assert any("quantity" in m for m in rows[5].errors)
    assert any("currency" in m for m in rows[6].errors)
    assert "Same as row 4" in rows[7].errors[0]
    assert any("shipment_status" in m for m in rows[8].errors)
    assert any("order_id" in m for m in rows[10].errors)
    assert preview.orders_to_create == 2
    assert Order.objects.for_merchant(merchant_a).count() == 1


def test_import_brings_in_good_rows_and_the_same_file_again_creates_nothing(
    merchant_a, existing_order
):
    summary, _ = csv_import.run_import(merchant=merchant_a, content=MIXED)
    assert summary.as_dict() == {
        "orders_created": 2,
        "orders_existing": 1,
        "shipments_created": 2,
        "events_recorded": 2,
        "rows_with_errors": 4,
        "rows_skipped": 1,
    }
    karen = Order.objects.for_merchant(merchant_a).get(external_id="2001")
    assert [i.sku for i in karen.items.all()] == ["SOFA-HYGGE-3-SAND", "CUSHION-FJORD-MOSS"]
    assert karen.customer.consent_email and not karen.customer.consent_sms
    assert karen.placed_at.isoformat() == "2026-11-18T09:15:00+00:00"  # Copenhagen time
    shipment = karen.shipments.get()
    assert (shipment.status, str(shipment.estimated_delivery)) == ("in_transit", "2026-11-21")
    assert karen.touchpoints.filter(kind="congratulation").count() == 1
    assert existing_order.shipments.get().status == "delivered"
    assert (
        not Order.objects.for_merchant(merchant_a)
        .filter(external_id__in=["2003", "2004", "2005"])
        .exists()
    )

    counts = (
        Order.objects.for_merchant(merchant_a).count(),
        Shipment.objects.for_merchant(merchant_a).count(),
        ShipmentEvent.objects.for_merchant(merchant_a).count(),
        karen.touchpoints.count(),
    )
    again, _ = csv_import.run_import(merchant=merchant_a, content=MIXED)
    assert (again.orders_created, again.shipments_created, again.events_recorded) == (0, 0, 0)
    assert again.orders_existing == 3
    assert counts == (
        Order.objects.for_merchant(merchant_a).count(),
        Shipment.objects.for_merchant(merchant_a).count(),
        ShipmentEvent.objects.for_merchant(merchant_a).count(),
        karen.touchpoints.count(),
    )


def test_excel_semicolon_file_in_windows_1252_with_decimal_commas(merchant_a):
    text = (
        "order_id;order_number;placed_at;currency;total;email;first_name;item_name;quantity;unit_price\n"
        "3001;#3001;2026-11-18 10:00;DKK;1299,50;soeren@example.com;Søren;Stol Åkande;1;1299,50\n"
    )
    content = csv_import.decode_upload(text.encode("cp1252"))
    summary, _ = csv_import.run_import(merchant=merchant_a, content=content)
    assert summary.orders_created == 1
    order = Order.objects.for_merchant(merchant_a).get(external_id="3001")
    assert str(order.total) == "1299.50"
    assert order.customer.first_name == "Søren"
    assert order.items.get().name == "Stol Åkande"


def test_file_without_order_id_column_is_refused_whole(merchant_a):
    with pytest.raises(csv_import.CsvFileError):
        csv_import.preview(merchant=merchant_a, content="number,total\n1,2\n")


def test_same_order_ids_at_another_merchant_are_separate(merchant_a, merchant_b, existing_order):
    csv_import.run_import(merchant=merchant_b, content=MIXED)
    assert Order.objects.for_merchant(merchant_b).filter(external_id="2001").exists()
    # 1001 is Nordic Living's: at Bergmann it is unknown, so its shipment-only row is an error.
    assert not Order.objects.for_merchant(merchant_b).filter(external_id="1001").exists()
    assert not existing_order.shipments.exists()


def _upload(client, content=MIXED, name="orders.csv"):
    return client.post(
        "/dashboard/import/",
        {"file": SimpleUploadedFile(name, content.encode(), content_type="text/csv")},
    )


def test_screen_uploads_previews_and_imports_once(client, alice, merchant_a, existing_order):
    client.force_login(alice)
    response = _upload(client)
    assert response.status_code == 302
    record = CsvImport.objects.for_merchant(merchant_a).get()
    page = client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert "Same as row 4" in html and "shipment_status" in html
    assert Order.objects.for_merchant(merchant_a).count() == 1

    client.post(response["Location"])
    client.post(response["Location"])  # a double click imports once
    record.refresh_from_db()
    assert record.status == "imported"
    assert record.summary["orders_created"] == 2
    assert Order.objects.for_merchant(merchant_a).count() == 3

    second = _upload(client)
    html = client.get(second["Location"]).content.decode()
    assert "Importing it again creates nothing new" in html


def test_screen_shows_a_file_error(client, alice):
    client.force_login(alice)
    response = _upload(client, content="a,b\n1,2\n")
    assert response.status_code == 400
    assert "Missing column" in response.content.decode()


def test_bob_cannot_see_or_import_alices_file(client, alice, bob, merchant_a):
    client.force_login(alice)
    location = _upload(client)["Location"]
    client.force_login(bob)
    assert client.get(location).status_code == 404
    assert client.post(location).status_code == 404
    assert CsvImport.objects.for_merchant(merchant_a).get().status == "previewed"
    assert not Order.objects.for_merchant(merchant_a).exists()


def test_account_manager_cannot_import(client, anders):
    client.force_login(anders)
    assert client.get("/dashboard/import/").status_code == 403


def test_signed_out_visitor_is_sent_to_sign_in(client):
    assert client.get("/dashboard/import/").status_code == 302


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_import_screen_in_chromium(live_server, alice, merchant_a, tmp_path):
    import os

    if not Path("/usr/bin/chromium").exists():
        if os.environ.get("CI"):
            pytest.fail("chromium missing in CI")
        pytest.skip("chromium not installed")
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from playwright.sync_api import sync_playwright

    session = SessionStore()
    session[SESSION_KEY] = str(alice.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = alice.get_session_auth_hash()
    session.create()
    csv_path = tmp_path / "orders.csv"
    shutil.copy(FIXTURES / "csv" / "orders_mixed.csv", csv_path)
    artifacts = Path("test-artifacts")
    artifacts.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        for name, width in (("desktop", 1280), ("phone", 390)):
            context = browser.new_context(viewport={"width": width, "height": 900})
            context.add_cookies(
                [{"name": "sessionid", "value": session.session_key, "url": live_server.url}]
            )
            page = context.new_page()
            page.goto(f"{live_server.url}/dashboard/import/")
            page.screenshot(path=str(artifacts / f"import-upload-{name}.png"), full_page=True)
            page.set_input_files("#id_file", str(csv_path))
            page.click("text=Upload and preview")
            page.wait_for_selector("text=rows with errors", timeout=90_000)
            page.screenshot(path=str(artifacts / f"import-preview-{name}.png"), full_page=True)
            if name == "desktop":
                page.click("text=Import the good rows")
                page.wait_for_selector("text=orders created", timeout=90_000)
                page.screenshot(path=str(artifacts / "import-done-desktop.png"), full_page=True)
                page.goto(f"{live_server.url}/dashboard/integrations/")
                page.screenshot(
                    path=str(artifacts / "incoming-webhooks-desktop.png"), full_page=True
                )
                page.goto(f"{live_server.url}/dashboard/webhooks/")
                page.fill("#id_url", "https://hooks.example.com/postpurchase")
                page.click("text=Add endpoint")
                page.wait_for_selector("#new-secret", timeout=90_000)
                page.screenshot(path=str(artifacts / "webhooks-desktop.png"), full_page=True)
            context.close()
        browser.close()
    assert Order.objects.for_merchant(merchant_a).count() == 2


def test_import_screen_speaks_danish_and_german(client, alice):
    client.force_login(alice)
    assert (
        "Importér ordrer og forsendelser"
        in client.get("/dashboard/import/", HTTP_ACCEPT_LANGUAGE="da").content.decode()
    )
    response = _upload(client, content="a,b\n1,2\n")
    assert response.status_code == 400
    german = client.post(
        "/dashboard/import/",
        {"file": SimpleUploadedFile("x.csv", b"a,b\n1,2\n", content_type="text/csv")},
        HTTP_ACCEPT_LANGUAGE="de",
    ).content.decode()
    assert "Spalte fehlt: order_id." in german
