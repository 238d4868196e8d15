"""Anna answers a failed delivery in Chromium, in English, Danish and German, on a phone.

Screenshots go to test-artifacts/dashboard/ (git-ignored) and are looked at.
"""

import datetime as dt

import pytest
from django.utils import timezone, translation

from tests.dashboard_world import place_order, ship
from tests.test_dashboard_browser import ARTIFACTS, pytestmark
from tests.test_dashboard_browser import browser as browser
from tracking.delivery.models import DeliveryInstruction

pytestmark = [*pytestmark, pytest.mark.django_db(transaction=True)]

BUTTON = {
    "en": "Choose how to get it",
    "da": "Vælg, hvordan du får den",
    "de": "Wählen Sie, wie Sie es bekommen",
}
CHOICE = {"en": "Deliver it again", "da": "Lever den igen", "de": "Erneut zustellen"}
THANKS = {
    "en": "Thank you, we have passed it on",
    "da": "Tak, vi har givet det videre",
    "de": "Danke, wir haben es weitergegeben",
}


@pytest.mark.parametrize("lang", ["en", "da", "de"])
def test_a_buyer_asks_for_a_new_day_in_her_language(browser, live_server, merchant_a, lang):
    order = place_order(merchant_a, f"77-{lang}")
    ship(merchant_a, order, "label_created", "in_transit", "attempt_failed")
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{live_server.url}/t/{order.tracking_token}/?lang={lang}")
    page.screenshot(path=str(ARTIFACTS / f"delivery-tracking-{lang}.png"), full_page=True)
    page.get_by_role("link", name=BUTTON[lang]).click()
    page.get_by_label(CHOICE[lang]).check()
    day = timezone.localdate(timezone=merchant_a.tzinfo) + dt.timedelta(days=2)
    page.fill("input[type=date]", day.isoformat())
    page.screenshot(path=str(ARTIFACTS / f"delivery-answer-{lang}.png"), full_page=True)
    page.click("button[type=submit]")
    page.get_by_role("heading", name=THANKS[lang]).wait_for()
    page.screenshot(path=str(ARTIFACTS / f"delivery-answered-{lang}.png"), full_page=True)
    context.close()
    stored = DeliveryInstruction.objects.for_merchant(merchant_a).get(order=order)
    assert (stored.choice, stored.delivery_date) == ("redeliver", day)


def test_the_owner_reads_the_answers_on_a_desktop_and_a_phone(
    browser, live_server, merchant_a, alice
):
    from tests.test_dashboard_browser import sign_in
    from tracking.delivery.services import delivery_instruction_record

    order = place_order(merchant_a, "78")
    shipment = ship(merchant_a, order, "label_created", "attempt_failed")
    delivery_instruction_record(
        merchant=merchant_a,
        order=order,
        shipment=shipment,
        data={
            "choice": "instruction",
            "address_line1": "Strandvejen 12",
            "postal_code": "8000",
            "city": "Aarhus",
            "phone": "+4520123456",
            "note": "Stil den i carporten",
        },
    )
    for width in (1280, 390):
        context = browser.new_context(viewport={"width": width, "height": 900}, locale="da-DK")
        page = context.new_page()
        sign_in(page, live_server, "alice@nordic.example", "alice-password-1")
        page.goto(f"{live_server.url}/dashboard/deliveries/")
        assert page.get_by_text("Stil den i carporten").count() == 1
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
        page.screenshot(path=str(ARTIFACTS / f"deliveries-dashboard-{width}.png"), full_page=True)
        context.close()


def test_the_metrics_page_shows_what_answers_did(browser, live_server, merchant_a, alice):
    from tests.test_dashboard_browser import sign_in

    order = place_order(merchant_a, "79", placed_at=timezone.now().isoformat())
    ship(merchant_a, order, "label_created", "attempt_failed")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="de-DE")
    page = context.new_page()
    sign_in(page, live_server, "alice@nordic.example", "alice-password-1")
    page.goto(f"{live_server.url}/dashboard/metrics/")
    section = page.locator("[data-failed-deliveries]")
    assert section.get_by_text("Gescheiterte Zustellungen").count() >= 1
    section.screenshot(path=str(ARTIFACTS / "deliveries-metrics-de.png"))
    context.close()


@pytest.mark.parametrize("locale", ["en", "da", "de"])
def test_the_missed_delivery_email_leads_to_the_answer_page(browser, merchant_a, locale):
    from notifications.messages import build_email
    from notifications.models import Touchpoint

    order = place_order(merchant_a, f"80-{locale}", locale=locale)
    ship(merchant_a, order, "label_created", "attempt_failed")
    touchpoint = Touchpoint.objects.for_merchant(merchant_a).get(
        order=order, kind="shipment_update", channel="email", payload__status="attempt_failed"
    )
    with translation.override(locale):  # as the sender does
        email = build_email(touchpoint)
    context = browser.new_context(viewport={"width": 390, "height": 900})
    page = context.new_page()
    page.set_content(email.html)
    assert page.locator(f"a[href='{order.tracking_url}delivery/']").count() == 1
    page.screenshot(path=str(ARTIFACTS / f"delivery-email-{locale}.png"), full_page=True)
    context.close()
