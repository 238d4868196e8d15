"""The dashboard in headless Chromium: each role signs in and does their work.

Screenshots go to test-artifacts/dashboard/ (git-ignored) and are looked at.
"""

import base64
import io
import os
import re
import shutil
from pathlib import Path

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from dashboard import metrics
from orders.models import Benefit, Product
from postpurchase.models import ApiKey, Branding, Membership
from tests.dashboard_world import place_order, ship

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "dashboard"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists() and not os.environ.get("CI"), reason="chromium not installed"
    ),
]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests
    # make happen between page actions, never concurrently. Only for these tests:
    # a leaked variable would fail `check --deploy` in later tests' subprocesses.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        yield from _launch(sync_playwright)
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def _launch(sync_playwright):
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=shutil.which("chromium") or CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def shot(page, name: str, *, full_page: bool = True):
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)


def sign_in(page, live_server, email: str, password: str):
    page.goto(f"{live_server.url}/dashboard/")
    assert "/login/" in page.url
    page.fill("#id_username", email)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/dashboard/")


@pytest.fixture
def shop(merchant_a, alice, anders, bob):
    """Nordic Living with a few real orders and a small catalogue."""
    anna = place_order(merchant_a, "1001", number="#1001")
    ship(merchant_a, anna, "label_created", "in_transit")
    place_order(
        merchant_a,
        "1002",
        number="#1002",
        customer={
            "email": "jonas@example.com",
            "phone": "+4520304050",
            "first_name": "Jonas",
            "last_name": "Madsen",
            "consent": {"email": True, "sms": False},
        },
    )
    Product.objects.create(
        merchant=merchant_a,
        sku="SOFA-1",
        name="Sofa Hygge 3-seater",
        category="sofas",
        price="7999.00",
        currency="DKK",
        best_seller_rank=1,
    )
    Product.objects.create(
        merchant=merchant_a,
        sku="PLAID-1",
        name="Wool plaid",
        category="textiles",
        price="499.00",
        currency="DKK",
        best_seller_rank=2,
    )
    Benefit.objects.create(merchant=merchant_a, locale="da", text="Håndlavet i Danmark")
    return {"anna": anna}


def test_sign_in_page_and_wrong_password(page, live_server, shop):
    page.goto(f"{live_server.url}/login/")
    shot(page, "01-sign-in")
    page.fill("#id_username", "alice@nordic.example")
    page.fill("#id_password", "wrong-password")
    page.click("button[type=submit]")
    assert page.locator(".errorlist").is_visible()
    shot(page, "01-sign-in-error")


def test_owner_edits_branding_and_watches_preview_change(page, live_server, shop, merchant_a):
    sign_in(page, live_server, "alice@nordic.example", "alice-password-1")
    shot(page, "02-overview-owner")
    page.click("text=Branding")
    frame = page.frame_locator("iframe[data-preview-frame]")
    frame.locator("body").wait_for()
    shot(page, "03-branding-before")

    page.fill("#id_banner_message_da", "Gratis fragt i hele november")
    page.locator("#id_primary_color").evaluate(
        "(el) => { el.value = '#0b6e4f'; el.dispatchEvent(new Event('input', {bubbles: true})); }"
    )
    # The preview reloads with the unsaved values: the banner text shows in the iframe.
    frame.locator("text=Gratis fragt i hele november").wait_for()
    shot(page, "04-branding-preview-updated")
    assert Branding.objects.get(merchant=merchant_a).banner_messages == {}

    # A light text colour triggers the contrast warning before saving.
    page.locator("#id_text_color").evaluate(
        "(el) => { el.value = '#eeeeee'; el.dispatchEvent(new Event('input', {bubbles: true})); }"
    )
    page.locator("[data-contrast-warnings] .alert-warning").first.wait_for()
    page.locator("#id_text_color").evaluate(
        "(el) => { el.value = '#1d1d1f'; el.dispatchEvent(new Event('input', {bubbles: true})); }"
    )

    # The SMS and email tabs show the real messages for the sample order.
    page.click("[data-preview-view=sms]")
    frame.locator("[data-preview-sms-body]").wait_for()
    shot(page, "05-branding-preview-sms")
    page.click("[data-preview-view=email]")
    frame.locator("[data-preview-subject]").wait_for()
    email_body = frame.frame_locator("iframe.mail-body").locator("body")
    assert "Hej Anna" in email_body.inner_text()
    shot(page, "06-branding-preview-email")
    page.select_option("select[name=locale]", "de")
    page.click("[data-preview-view=tracking]")
    page.select_option("select[name=state]", "delivered")
    frame.locator("text=Gratis fragt i hele november").wait_for()

    # Upload a logo: it is checked, resized and re-encoded as PNG.
    big = Image.new("RGB", (1600, 800), "#0b6e4f")
    buffer = io.BytesIO()
    big.save(buffer, format="JPEG")
    page.set_input_files(
        "#id_logo_upload",
        files=[{"name": "logo.jpg", "mimeType": "image/jpeg", "buffer": buffer.getvalue()}],
    )
    page.click("button.btn-primary:has-text('Save branding')")
    # The save re-encodes the logo with Pillow: on a busy 2-core machine that outlasts
    # Playwright's default 10 s.
    page.locator(".alert-success").wait_for(timeout=30_000)
    branding = Branding.objects.get(merchant=merchant_a)
    assert branding.banner_messages == {"da": "Gratis fragt i hele november"}
    assert branding.primary_color == "#0b6e4f"
    with Image.open(branding.logo.path) as saved:
        assert saved.format == "PNG"
        assert saved.width <= 600 and saved.height <= 200
    assert page.locator("#current-logo").is_visible()
    frame.locator("text=Gratis fragt i hele november").wait_for()
    shot(page, "07-branding-saved")


def image_file(name: str, fmt: str, size, colour: str) -> dict:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format=fmt)
    return {"name": name, "mimeType": f"image/{fmt.lower()}", "buffer": buffer.getvalue()}


def wait_for_logo(logo, prefix: str) -> int:
    """Wait until `logo` (an img) shows a src starting with `prefix`; its decoded width."""
    from playwright.sync_api import expect

    expect(logo).to_have_attribute("src", re.compile("^" + re.escape(prefix)))
    return logo.evaluate("(img) => img.decode().then(() => img.naturalWidth)")


def test_owner_sees_a_chosen_logo_in_the_previews_before_saving(
    page, live_server, shop, merchant_a, alice
):
    from playwright.sync_api import expect

    from dashboard.services import branding_update

    old = image_file("old.png", "PNG", (300, 100), "#b03030")
    branding_update(
        merchant=merchant_a,
        actor=alice,
        values={},
        logo_upload=SimpleUploadedFile("old.png", old["buffer"], "image/png"),
    )
    saved_logo = Branding.objects.get(merchant=merchant_a).logo.name
    sign_in(page, live_server, "alice@nordic.example", "alice-password-1")
    page.click("text=Branding")
    frame = page.frame_locator("iframe[data-preview-frame]")
    tracking_logo = frame.locator("img.brand__logo")
    wait_for_logo(tracking_logo, "/media/logos/")

    # A large JPEG: checked, resized to 400x200 and shown inline before saving.
    page.set_input_files(
        "#id_logo_upload", files=[image_file("new.jpg", "JPEG", (1600, 800), "#0b6e4f")]
    )
    assert wait_for_logo(tracking_logo, "data:image/png;base64,") == 400
    assert Branding.objects.get(merchant=merchant_a).logo.name == saved_logo
    shot(page, "21-branding-chosen-logo-preview", full_page=False)

    page.click("[data-preview-view=email]")
    email_logo = frame.frame_locator("iframe.mail-body").locator("img").first
    assert wait_for_logo(email_logo, "data:image/png;base64,") == 400
    shot(page, "22-branding-chosen-logo-email", full_page=False)
    page.click("[data-preview-view=tracking]")

    # Files that saving would refuse: the field says why and the preview keeps the saved logo.
    for bad, message in (
        (
            {"name": "logo.png", "mimeType": "image/png", "buffer": b"not an image"},
            "not an image we can read",
        ),
        (
            {
                "name": "big.png",
                "mimeType": "image/png",
                "buffer": b"\x89PNG\r\n\x1a\n" + b"0" * (2 * 1024 * 1024 + 1),
            },
            "larger than 2 MB",
        ),
    ):
        page.set_input_files("#id_logo_upload", files=[bad])
        page.locator(".field.has-error .errorlist", has_text=message).wait_for()
        wait_for_logo(tracking_logo, "/media/logos/")
    expect(page.locator("[data-preview-status]")).to_have_text("")
    shot(page, "23-branding-logo-refused", full_page=False)
    assert Branding.objects.get(merchant=merchant_a).logo.name == saved_logo

    # A good file again clears the error; saving stores exactly what the preview showed.
    page.set_input_files(
        "#id_logo_upload", files=[image_file("new.jpg", "JPEG", (1600, 800), "#0b6e4f")]
    )
    wait_for_logo(tracking_logo, "data:image/png;base64,")
    assert page.locator(".field.has-error").count() == 0
    shown = tracking_logo.get_attribute("src")
    assert Branding.objects.get(merchant=merchant_a).logo.name == saved_logo
    page.click("button.btn-primary:has-text('Save branding')")
    page.locator(".alert-success").wait_for()
    branding = Branding.objects.get(merchant=merchant_a)
    assert branding.logo.name != saved_logo
    with open(branding.logo.path, "rb") as stored:
        assert base64.b64encode(stored.read()).decode() == shown.split(",", 1)[1]
    wait_for_logo(tracking_logo, "/media/logos/")


def test_owner_invites_account_manager_who_sets_password_and_signs_in(
    page, live_server, shop, merchant_a
):
    sign_in(page, live_server, "alice@nordic.example", "alice-password-1")
    page.click("nav >> text=Team")
    page.fill("#id_email", "mads@nordic.example")
    page.fill("#id_full_name", "Mads Jensen")
    page.select_option("#id_role", "account_manager")
    page.click("text=Send invitation")
    page.locator(".alert-success").wait_for()
    shot(page, "08-team-invited")
    membership = Membership.objects.for_merchant(merchant_a).get(user__email="mads@nordic.example")
    assert membership.role == "account_manager"
    assert len(mail.outbox) == 1
    link = next(line for line in mail.outbox[0].body.splitlines() if "/password-reset/" in line)

    page.click("button[title='Sign out']")
    page.goto(link.replace("http://testserver", live_server.url))
    page.fill("#id_new_password1", "a-long-new-password-9")
    page.fill("#id_new_password2", "a-long-new-password-9")
    shot(page, "09-set-password")
    page.click("button[type=submit]")
    page.locator("text=Password saved").wait_for()
    sign_in(page, live_server, "mads@nordic.example", "a-long-new-password-9")
    # Account managers see orders and the call queue, not settings.
    assert page.locator("nav >> text=Orders").is_visible()
    assert page.locator("nav >> text=Call queue").is_visible()
    assert page.locator("nav >> text=Branding").count() == 0
    shot(page, "10-overview-account-manager")
    response = page.goto(f"{live_server.url}/dashboard/branding/")
    assert response.status == 403


def test_owner_creates_and_revokes_api_key(page, live_server, shop, merchant_a):
    sign_in(page, live_server, "alice@nordic.example", "alice-password-1")
    page.click("nav >> text=API keys")
    page.fill("#id_name", "Shopify production")
    page.click("text=Create key")
    raw = page.locator("[data-secret]").inner_text()
    assert raw.startswith("pp_")
    shot(page, "11-api-key-created")
    key = ApiKey.objects.for_merchant(merchant_a).get(name="Shopify production")
    assert raw not in key.hashed_key
    page.on("dialog", lambda dialog: dialog.accept())
    page.locator("tr", has_text="Shopify production").locator("text=Revoke").click()
    page.locator(".alert-success").wait_for()
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert page.locator("[data-secret]").count() == 0
    shot(page, "12-api-key-revoked")
    page.click("nav >> text=Audit log")
    assert page.locator("td[title='api_key.revoked']", has_text="API key revoked").is_visible()
    assert page.locator("td[title='api_key.created']", has_text="API key created").is_visible()
    shot(page, "12b-audit-log")


def test_account_manager_opens_order_timeline_and_adds_note(page, live_server, shop):
    sign_in(page, live_server, "anders@nordic.example", "anders-password-1")
    page.click("nav >> text=Orders")
    page.fill("input[name=q]", "anna")
    page.click("button:has-text('Search')")
    assert page.locator("text=#1001").is_visible()
    assert page.locator("text=#1002").count() == 0
    shot(page, "13-orders-search")
    page.click("text=#1001")
    page.locator("[data-timeline]").wait_for()
    assert page.locator("[data-entry-type=shipment]").count() == 2
    page.fill("#id_text", "Ringede til Anna, sofaen kommer fredag.")
    page.click("text=Add note")
    page.locator("[data-entry-type=note]").wait_for()
    shot(page, "14-order-timeline")


def test_owner_edits_danish_sms_template_and_sends_test(page, live_server, shop, merchant_a):
    from notifications import sms
    from notifications.models import MessageTemplate

    sign_in(page, live_server, "alice@nordic.example", "alice-password-1")
    page.click("nav >> text=Message templates")
    shot(page, "15-templates-list")
    page.click("a:has-text('SMS · DA') >> nth=0")  # congratulation SMS in Danish
    body = page.locator("#id_body")
    assert "{{ tracking_url }}" in body.input_value()  # starts from the standard wording
    body.fill("Hej {{ customer_first_name }}! Tak for din ordre {{ unknown_thing }}")
    page.click("text=Save template")
    assert page.locator(".errorlist").first.is_visible()  # unknown variable refused
    shot(page, "16-template-invalid")
    body.fill(
        "Hej {{ customer_first_name }}! Tak for din ordre {{ order_number }} hos {{ shop_name }}. "
        "Følg den her: {{ tracking_url }}"
    )
    page.click("text=Save template")
    page.locator(".alert-success").wait_for()
    template = MessageTemplate.objects.for_merchant(merchant_a).get(channel="sms", locale="da")
    assert template.kind == "congratulation" and "Følg den her" in template.body
    page.fill("#id_phone", "+4520304050")
    page.click("[data-send-test]")
    page.locator(".alert-success:has-text('Test sent')").wait_for()
    assert len(sms.outbox) == 1
    sent = sms.outbox[0]
    assert sent.to == "+4520304050"
    assert sent.body.startswith("[TEST] Hej Anna! Tak for din ordre #1042 hos Nordic Living.")
    shot(page, "17-template-test-sent")


def test_owner_adds_cross_sell_rule(page, live_server, shop, merchant_a):
    from tracking.models import CrossSellRule

    sign_in(page, live_server, "alice@nordic.example", "alice-password-1")
    page.click("nav >> text=Cross-sell rules")
    page.click("text=Add rule")
    page.select_option("#id_product", label="Wool plaid")
    page.fill("#id_trigger_sku", "SOFA-1")
    page.click("text=Save")
    page.locator(".alert-success").wait_for()
    rule = CrossSellRule.objects.for_merchant(merchant_a).get()
    assert rule.product.sku == "PLAID-1" and rule.trigger_sku == "SOFA-1"
    assert page.locator("td:has-text('Wool plaid')").is_visible()
    shot(page, "18-cross-sell-rules")


def test_owner_reads_metrics_drawn_from_real_data(
    page, live_server, shop, merchant_a, alice, anders
):
    from tests.test_dashboard_metrics import FIRST, LAST, expected, make_history
    from tracking.models import TrackingVisit

    facts = make_history(merchant_a, seed=7, staff=[alice, anders, None])
    anna = shop["anna"]
    for _ in range(3):
        TrackingVisit.objects.create(merchant=merchant_a, order=anna, client_hash="x")
    sign_in(page, live_server, "alice@nordic.example", "alice-password-1")
    page.click("nav >> text=Metrics")
    page.select_option("select[name=days]", "90")
    page.wait_for_url("**/metrics/?days=90")
    page.goto(f"{live_server.url}/dashboard/metrics/?start={FIRST}&end={LAST}")
    assert page.locator("svg[data-chart]").count() >= 8
    period = metrics.period_between(merchant=merchant_a, first=FIRST, last=LAST)
    want = expected(facts, period.start, period.end)
    card = page.locator("[data-metric='Orders placed'] .stat-value")
    assert card.inner_text() == str(want["orders"])
    assert page.locator("svg[data-chart=orders] path[data-series=current]").count() == 1
    due = page.locator("svg[data-chart=calls] g[data-bar='Due']").get_attribute("data-value")
    assert due == str(want["calls_due"])
    assert page.locator("[data-calls-by-manager] tbody tr").count() == len(want["calls_by_manager"])
    shot(page, "19-metrics")
    with page.expect_download() as download:
        page.click("text=Export CSV")
    assert download.value.suggested_filename == f"metrics-{FIRST}-{LAST}.csv"


def test_phone_width_order_page(browser, live_server, shop):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    sign_in(page, live_server, "anders@nordic.example", "anders-password-1")
    page.goto(f"{live_server.url}/dashboard/orders/{shop['anna'].pk}/")
    page.locator("[data-timeline]").wait_for()
    shot(page, "20-order-phone")
    context.close()


# The owner's main screens, each in Danish and in German: long German compounds
# ("Benachrichtigungseinstellungen") are what overflow first.
MAIN_SCREENS = [
    ("overview", "/dashboard/"),
    ("orders", "/dashboard/orders/"),
    ("order", "/dashboard/orders/{anna}/"),
    ("calls", "/calls/"),
    ("metrics", "/dashboard/metrics/"),
    ("templates", "/dashboard/message-templates/"),
    ("template-new", "/dashboard/message-templates/new/"),
    ("notifications", "/dashboard/notifications/"),
    ("products", "/dashboard/products/"),
    ("product-new", "/dashboard/products/new/"),
    ("benefits", "/dashboard/benefits/"),
    ("cross-sell", "/dashboard/cross-sell/"),
    ("branding", "/dashboard/branding/"),
    ("settings", "/dashboard/settings/"),
    ("call-rules", "/calls/settings/"),
    ("team", "/dashboard/team/"),
    ("api-keys", "/dashboard/api-keys/"),
    ("integrations", "/dashboard/integrations/"),
    ("import", "/dashboard/import/"),
    ("webhooks", "/dashboard/webhooks/"),
    ("privacy", "/dashboard/privacy/"),
    ("audit", "/dashboard/audit/"),
]
IN_THEIR_LANGUAGE = {"da": ("Ordrer", "Indstillinger"), "de": ("Bestellungen", "Einstellungen")}

# Text that sticks out of its box: the page scrolling sideways, a table that needs a
# scrollbar at desktop width, or a label, button or heading wider than its container;
# and charts drawn at coordinates written in the viewer's number format.
OVERFLOWS = """(tablesMayScroll) => {
  const found = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > doc.clientWidth + 1) found.push(`page ${doc.scrollWidth}px > ${doc.clientWidth}px`);
  for (const wrap of tablesMayScroll ? [] : document.querySelectorAll('.table-wrap')) {
    if (wrap.scrollWidth > wrap.clientWidth + 1) found.push(`table ${wrap.scrollWidth}px > ${wrap.clientWidth}px: ${wrap.innerText.slice(0, 60)}`);
  }
  const boxes = '.card, .sidebar, .page-header, .phone, .stat';
  const texts = 'nav a, .btn, .badge, .pill, label, .stat-label, h1, h2, h3, .legend, select, .tabs a';
  for (const el of document.querySelectorAll(texts)) {
    const box = el.parentElement && el.parentElement.closest(boxes);
    if (!box || !el.getClientRects().length) continue;
    const r = el.getBoundingClientRect(), b = box.getBoundingClientRect();
    const clipped = el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1;
    if (r.right > b.right + 1 || r.left < b.left - 1 || clipped) found.push(`${el.tagName.toLowerCase()}.${el.className}: ${el.innerText.trim().slice(0, 60)}`);
  }
  const local = ['x', 'y', 'cx', 'cy', 'dx', 'width', 'height'].map((a) => `svg [${a}*=","]`).join(', ');
  for (const el of document.querySelectorAll(local)) found.push(`svg ${el.tagName} drawn at a "12,5" coordinate`);
  return found;
}"""


@pytest.mark.parametrize("lang", ["da", "de"])
def test_owner_sees_every_main_screen_in_their_language_without_overflow(
    browser, live_server, shop, lang
):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale=lang)
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, live_server, "alice@nordic.example", "alice-password-1")
    problems = {}
    for name, path in MAIN_SCREENS:
        page.goto(live_server.url + path.format(anna=shop["anna"].pk))
        assert page.locator("html").get_attribute("lang") == lang, name
        nav = page.locator("nav.sidebar-nav").text_content()
        assert all(word in nav for word in IN_THEIR_LANGUAGE[lang]), name
        if found := page.evaluate(OVERFLOWS, False):
            problems[name] = found
        shot(page, f"30-{lang}-{name}")
    context.close()
    assert not problems, problems


def test_german_screens_fit_a_phone(browser, live_server, shop):
    """At 390 px wide tables may scroll sideways (by design); nothing else may stick out."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="de")
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, live_server, "alice@nordic.example", "alice-password-1")
    problems = {}
    for name in ("overview", "order", "metrics", "notifications", "settings", "template-new"):
        path = dict(MAIN_SCREENS)[name]
        page.goto(live_server.url + path.format(anna=shop["anna"].pk))
        if found := page.evaluate(OVERFLOWS, True):
            problems[name] = found
        shot(page, f"31-de-phone-{name}")
    context.close()
    assert not problems, problems
