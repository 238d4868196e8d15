"""Alice writes a message template in Chromium: the preview follows her typing and a
click on a variable puts it where her cursor is. Screenshots go to SCREENSHOT_DIR
(default /tmp/pp-screenshots) at 1280 and 390 px, in English and German.
"""

import os
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from notifications.models import MessageTemplate
from tests.test_dashboard_browser import browser as browser
from tests.test_dashboard_browser import pytestmark, sign_in
from tests.test_dashboard_browser import shop as shop

pytestmark = [*pytestmark, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("SCREENSHOT_DIR", "/tmp/pp-screenshots")) / "template-editor"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def open_page(browser, *, viewport=DESKTOP, locale="en-GB", javascript=True):
    context = browser.new_context(viewport=viewport, locale=locale, java_script_enabled=javascript)
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors = []
    # Script errors and CSP blocks; Chromium also logs the preview's deliberate 400s.
    page.on(
        "console",
        lambda m: (
            errors.append(m.text) if m.type == "error" and "status of 400" not in m.text else None
        ),
    )
    page.on("pageerror", lambda e: errors.append(str(e)))
    return context, page, errors


def editor_url(live_server, **query) -> str:
    params = "&".join(f"{k}={v}" for k, v in query.items())
    return f"{live_server.url}{reverse('dashboard:message_template_add')}?{params}"


def shot(page, name: str):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_typing_in_the_editor_updates_the_preview(browser, live_server, shop):
    context, page, errors = open_page(browser)
    sign_in(page, live_server, "alice@nordic.example", "alice-password-1")
    page.goto(editor_url(live_server, kind="shipment_update", channel="sms", locale="da"))
    bubble = page.locator("[data-preview-sms-body]")
    assert "ordre #1042 er på vej" in bubble.inner_text()  # the standard wording, filled in
    assert page.locator("[data-nojs-preview]").count() == 0

    page.fill("#id_body", "Hej {{ customer_first_name }}, {{ carrier }} kommer i morgen.")
    expect(page.locator("[data-preview-sms-body]")).to_have_text("Hej Anna, GLS kommer i morgen.")
    expect(page.locator("[data-preview-sms-count]")).to_have_text("30 characters · 1 SMS")
    assert not MessageTemplate.objects.for_merchant(shop["anna"].merchant).exists()
    assert errors == []
    context.close()


def test_without_javascript_the_preview_button_shows_the_draft(browser, live_server, shop):
    context, page, _errors = open_page(browser, javascript=False)
    sign_in(page, live_server, "alice@nordic.example", "alice-password-1")
    page.goto(editor_url(live_server, kind="congratulation", channel="sms", locale="da"))
    page.fill("#id_body", "Hej {{ customer_first_name }}, tak for din ordre.")
    page.click("[data-nojs-preview]")
    expect(page.locator("[data-preview-sms-body]")).to_have_text("Hej Anna, tak for din ordre.")
    assert page.locator("#id_body").input_value() == (
        "Hej {{ customer_first_name }}, tak for din ordre."
    )
    assert not MessageTemplate.objects.for_merchant(shop["anna"].merchant).exists()
    context.close()


def test_clicking_a_variable_inserts_it_at_the_cursor(browser, live_server, shop):
    context, page, errors = open_page(browser)
    sign_in(page, live_server, "alice@nordic.example", "alice-password-1")
    page.goto(editor_url(live_server, kind="congratulation", channel="sms", locale="da"))
    page.fill("#id_body", "Tak ! Ordre på vej.")
    page.locator("#id_body").evaluate("(el) => { el.focus(); el.setSelectionRange(4, 4); }")
    page.click("[data-insert-variable=customer_first_name]:visible")
    body = page.locator("#id_body")
    assert body.input_value() == "Tak {{ customer_first_name }}! Ordre på vej."
    # The cursor stays right after the inserted variable, so typing goes on from there.
    assert body.evaluate("(el) => el.selectionStart") == len("Tak {{ customer_first_name }}")
    expect(page.locator("[data-preview-sms-body]")).to_have_text("Tak Anna! Ordre på vej.")
    assert errors == []
    context.close()


def test_variables_follow_the_kind_chosen(browser, live_server, shop):
    context, page, _errors = open_page(browser)
    sign_in(page, live_server, "alice@nordic.example", "alice-password-1")
    page.goto(editor_url(live_server, kind="congratulation", channel="sms", locale="da"))
    assert page.locator("[data-insert-variable=expected_delivery]").is_visible()
    assert page.locator("[data-insert-variable=status_label]").is_hidden()
    page.select_option("#id_kind", "shipment_update")
    assert page.locator("[data-insert-variable=status_label]").is_visible()
    assert page.locator("[data-insert-variable=expected_delivery]").is_hidden()
    context.close()


def test_email_preview_shows_the_branded_email_and_template_errors_inline(
    browser, live_server, shop
):
    context, page, errors = open_page(browser)
    sign_in(page, live_server, "alice@nordic.example", "alice-password-1")
    page.goto(editor_url(live_server, kind="congratulation", channel="email", locale="de"))
    page.fill("#id_subject", "Danke, {{ customer_first_name }}!")
    expect(page.locator("[data-preview-subject]")).to_have_text("Danke, Lena!")
    mail_body = page.frame_locator("[data-preview-email-body]").locator("body")
    assert "Herzlichen Glückwunsch" in mail_body.inner_text()

    page.fill("#id_body", "Hallo {% if customer_first_name %}")
    problems = page.locator("[data-preview-errors]")
    problems.wait_for()
    assert "Template syntax error" in problems.inner_text()
    assert errors == []  # a 400 answer is shown, not thrown
    context.close()


@pytest.mark.parametrize("language", ["en", "de"])
def test_editor_screenshots_on_desktop_and_phone(browser, live_server, shop, language):
    for width, viewport in (("1280", DESKTOP), ("390", PHONE)):
        context, page, errors = open_page(browser, viewport=viewport, locale=language)
        sign_in(page, live_server, "alice@nordic.example", "alice-password-1")
        page.goto(editor_url(live_server, kind="shipment_update", channel="email", locale="da"))
        mail = page.frame_locator("[data-preview-email-body]").locator("body")
        expect(mail).to_contain_text("Nordic Living")
        # Chromium paints a sandboxed frame once it has been on screen.
        page.locator("[data-preview-content]").scroll_into_view_if_needed()
        shot(page, f"email-{language}-{width}")
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
        page.goto(editor_url(live_server, kind="congratulation", channel="sms", locale=language))
        page.locator("[data-preview-sms-body]").wait_for()
        shot(page, f"sms-{language}-{width}")
        page.fill("#id_body", "{{ customer_first_name|bogus }}")
        page.locator("[data-preview-errors]").wait_for()
        shot(page, f"error-{language}-{width}")
        assert errors == []
        context.close()


def test_enter_in_the_subject_still_saves_the_template(browser, live_server, shop):
    context, page, _errors = open_page(browser)
    sign_in(page, live_server, "alice@nordic.example", "alice-password-1")
    page.goto(editor_url(live_server, kind="congratulation", channel="email", locale="da"))
    page.fill("#id_subject", "Tusind tak, {{ customer_first_name }}!")
    page.press("#id_subject", "Enter")
    page.wait_for_url("**/message-templates/*/")
    saved = MessageTemplate.objects.for_merchant(shop["anna"].merchant).get()
    assert saved.subject == "Tusind tak, {{ customer_first_name }}!"
    context.close()
