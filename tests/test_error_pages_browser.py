"""Error pages in headless Chromium: styled, readable on a phone, nothing blocked by the CSP."""

import pytest

from tests.chromium import DESKTOP, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.urls("tests.error_test_urls")]


def _style_of(page, selector: str, prop: str) -> str:
    return page.evaluate(f"getComputedStyle(document.querySelector({selector!r})).{prop}")


@pytest.mark.parametrize(("viewport", "width"), [(PHONE, "phone"), (DESKTOP, "desktop")])
def test_404_in_german_is_styled_and_fits(live_server, open_page, viewport, width):
    tab = open_page(viewport, locale="de")
    response = tab.page.goto(f"{live_server.url}/no-such-page/")
    assert response.status == 404
    assert tab.page.locator("h1").inner_text() == "Diese Seite gibt es nicht"
    assert tab.page.locator("a.btn-primary").is_visible()
    assert _style_of(tab.page, ".auth-card", "maxWidth") == "400px"  # dashboard.css applied
    assert tab.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    tab.screenshot(f"error-404-de-{width}")
    assert tab.csp_violations() == []


def test_500_is_styled(live_server, open_page):
    tab = open_page(DESKTOP, locale="en")
    response = tab.page.goto(f"{live_server.url}/boom/")
    assert response.status == 500
    assert tab.page.locator("h1").inner_text() == "Something went wrong on our side"
    tab.screenshot("error-500-en-desktop")
    assert tab.csp_violations() == []


def test_404_on_a_tracking_link_is_styled_on_a_phone(live_server, open_page):
    tab = open_page(PHONE, locale="da")
    response = tab.page.goto(f"{live_server.url}/t/abc/no/such/")
    assert response.status == 404
    assert tab.page.locator("h1").inner_text() == "Vi kan ikke finde siden"
    assert _style_of(tab.page, ".hero", "borderTopLeftRadius") != "0px"  # tracking.css applied
    tab.screenshot("error-404-da-tracking-phone")
    assert tab.csp_violations() == []
