"""Alice answers Anna's erasure request in the dashboard, in headless Chromium."""

import pytest

from orders.models import Customer
from tests.conftest import make_payload
from tests.test_dashboard_browser import (  # noqa: F401 - fixtures
    ARTIFACTS,
    browser,
    page,
    pytestmark,
    sign_in,
)


@pytest.mark.django_db(transaction=True)
def test_owner_finds_exports_and_erases_a_buyer(page, live_server, api_a, merchant_a, alice):  # noqa: F811
    api_a.post("/api/v1/orders/", make_payload("P1"), format="json")
    sign_in(page, live_server, "alice@nordic.example", "alice-password-1")
    page.goto(f"{live_server.url}/dashboard/privacy/")
    page.fill("input[name=email]", "anna@example.com")
    page.click("form.privacy-search button[type=submit]")
    page.wait_for_selector("table.privacy-results")
    page.screenshot(path=str(ARTIFACTS / "privacy-found.png"), full_page=True)
    for width, name in ((390, "privacy-found-phone"),):
        page.set_viewport_size({"width": width, "height": 844})
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    page.set_viewport_size({"width": 1440, "height": 900})
    with page.expect_download() as download:
        page.click("text=Download data (JSON)")
    assert download.value.suggested_filename.startswith("buyer-")
    page.check("input[name=confirm]")
    page.click("button.danger")
    page.wait_for_selector(".messages")
    page.screenshot(path=str(ARTIFACTS / "privacy-erased.png"), full_page=True)
    anna = Customer.objects.for_merchant(merchant_a).get(orders__external_id="P1")
    assert anna.erased_at is not None and anna.email == ""
