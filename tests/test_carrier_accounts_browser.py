"""Alice connects Nordic Living's GLS account in Chromium, on a desktop and on a phone.

Screenshots go to test-artifacts/dashboard/ (git-ignored) and are looked at.
"""

import pytest

from tests.carrier_helpers import connect, shipped
from tests.test_dashboard_browser import ARTIFACTS, pytestmark, sign_in
from tests.test_dashboard_browser import browser as browser
from tracking.carriers.models import CarrierAccount

pytestmark = [*pytestmark, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="da-DK")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def test_owner_connects_gls_in_the_browser(page, live_server, merchant_a, alice):
    sign_in(page, live_server, "alice@nordic.example", "alice-password-1")
    page.click("a[href='/dashboard/carriers/']")
    page.fill("#id_gls-client_id", "gls-client-nordic")
    page.fill("#id_gls-client_secret", "gls-secret-nordic")
    page.click("#carrier-gls button[type=submit]")
    page.wait_for_selector("#carrier-gls .badge-active")
    assert CarrierAccount.objects.for_merchant(merchant_a).get().carrier == "gls"
    page.screenshot(path=str(ARTIFACTS / "carriers-desktop.png"), full_page=True)


def test_carriers_page_fits_a_phone(browser, live_server, merchant_a, alice):
    connect(merchant_a, "gls")
    shipped(merchant_a, "GLS")
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="de-DE")
    phone = context.new_page()
    sign_in(phone, live_server, "alice@nordic.example", "alice-password-1")
    phone.goto(f"{live_server.url}/dashboard/carriers/")
    assert phone.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    phone.screenshot(path=str(ARTIFACTS / "carriers-phone.png"), full_page=True)
    context.close()


def test_the_tracking_page_shows_the_scans_polled_from_gls(
    browser, live_server, merchant_a, settings
):
    from tests.carrier_helpers import carriers_faked
    from tests.fake_carriers import carrier_fixture
    from tracking.carriers.polling import carrier_tracker_poll

    with carriers_faked(settings) as gls:
        connect(merchant_a, "gls")
        shipment = shipped(merchant_a, "GLS")
        gls.script("60483186262", carrier_fixture("gls", "delivered"))
        assert carrier_tracker_poll(tracker_id=shipment.carrier_tracker.pk) == "done"
    url = f"{live_server.url}/t/{shipment.order.tracking_token}/"
    for width, lang in ((390, "da"), (1280, "de")):
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        page.goto(f"{url}?lang={lang}")
        assert page.locator(".timeline__message", has_text="The parcel has been delivered.").count()
        assert page.locator("a[href='https://gls-group.com/track/60483186262']").count()
        page.screenshot(
            path=str(ARTIFACTS / f"carriers-tracking-{lang}-{width}.png"), full_page=True
        )
        context.close()
