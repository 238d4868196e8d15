"""/api/docs/ in headless Chromium: Swagger UI starts under the strict CSP and lists the API."""

import pytest

pytestmark = pytest.mark.browser


def test_docs_page_lists_the_operations_without_csp_violations(live_server, open_page):
    tab = open_page()
    tab.page.goto(f"{live_server.url}/api/docs/")
    operation = tab.page.locator(".opblock-post", has_text="/api/v1/orders/").first
    operation.wait_for()
    assert "POST" in operation.inner_text()
    tab.screenshot("api-docs-desktop")
    assert tab.csp_violations() == []
