"""The dashboard on a 390 px phone in Chromium: the menu folds away, nothing overflows the page.

Alice owns Nordic Living (A); Anders is its account manager. Screenshots go to
test-artifacts/dashboard/ (git-ignored) and are looked at.
"""

import pytest
from django.urls import reverse

from tests.followups_factories import call_of, make_due_now
from tests.test_dashboard_browser import ARTIFACTS, pytestmark, sign_in
from tests.test_dashboard_browser import browser as browser
from tests.test_dashboard_browser import shop as shop

pytestmark = [*pytestmark, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}

OWNER_PAGES = [
    "dashboard:home",
    "dashboard:orders",
    "dashboard:metrics",
    "dashboard:branding",
    "dashboard:settings",
    "dashboard:team",
    "dashboard:api_keys",
    "dashboard:audit_log",
    "dashboard:products",
    "dashboard:message_templates",
    "dashboard:notification_settings",
    "integrations-dashboard:connections",
    "webhooks-out:endpoints",
]


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, locale="da-DK")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def test_no_dashboard_page_is_wider_than_a_phone(phone, live_server, shop, anders):
    make_due_now(call_of(shop["anna"]))
    sign_in(phone, live_server, "alice@nordic.example", "alice-password-1")
    urls = [reverse(name) for name in OWNER_PAGES]
    urls += [reverse("dashboard:order_detail", args=[shop["anna"].pk]), "/calls/?who=all"]
    too_wide = {}
    for url in urls:
        phone.goto(f"{live_server.url}{url}")
        phone.wait_for_load_state("networkidle")
        if overflow(phone) > 0:
            too_wide[url] = overflow(phone)
    phone.goto(f"{live_server.url}/calls/?who=all")
    phone.screenshot(path=str(ARTIFACTS / "phone-call-queue.png"), full_page=True)
    assert too_wide == {}


def test_the_phone_menu_is_folded_and_opens_with_its_toggle(phone, live_server, shop):
    sign_in(phone, live_server, "alice@nordic.example", "alice-password-1")
    nav = phone.locator(".sidebar-nav")
    toggle = phone.locator("[data-nav-toggle]")
    assert not nav.is_visible()
    # The page starts near the top of the screen, not under 19 menu links.
    assert phone.locator("main h1").bounding_box()["y"] < 120
    phone.screenshot(path=str(ARTIFACTS / "phone-home.png"), full_page=True)
    assert toggle.get_attribute("aria-expanded") == "false"
    toggle.click()
    assert nav.is_visible() and toggle.get_attribute("aria-expanded") == "true"
    phone.screenshot(path=str(ARTIFACTS / "phone-menu-open.png"))
    phone.locator(".sidebar-nav a[href='/dashboard/orders/']").click()
    phone.wait_for_url(f"{live_server.url}/dashboard/orders/")
    assert not phone.locator(".sidebar-nav").is_visible()
    # Under the strict CSP: no inline script does this, only the static dashboard.js.
    assert phone.evaluate("[...document.scripts].filter((s) => !s.src).length") == 0


def test_the_phone_menu_opens_without_javascript(browser, live_server, shop):
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, live_server, "alice@nordic.example", "alice-password-1")
        assert not page.locator(".sidebar-nav").is_visible()
        page.locator("[data-nav-toggle]").click()
        assert page.locator(".sidebar-nav").is_visible()
    finally:
        context.close()


def test_on_a_desktop_the_menu_is_always_shown(browser, live_server, shop):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        sign_in(page, live_server, "alice@nordic.example", "alice-password-1")
        assert page.locator(".sidebar-nav").is_visible()
        assert not page.locator("[data-nav-toggle]").is_visible()
    finally:
        context.close()
