"""The tracking page in headless Chromium: every shipment state, three languages, two widths.

Screenshots go to test-artifacts/tracking/ (git-ignored) to be looked at.
"""

import os
import shutil
from pathlib import Path

import pytest

from tests.tracking_helpers import (
    STATES,
    catalogue,
    order_in_state,
)
from tracking.models import CrossSellRule, TrackingVisit

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "tracking"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/140.0.0.0 Safari/537.36"
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.urls("tests.tracking_test_urls"),
]


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("chromium is missing on CI")
        pytest.skip("chromium not installed")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop on this thread; Django's ORM calls in
    # the test body are still synchronous, so tell Django that is intended.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
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
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page_at(browser):
    contexts = []

    def open_page(viewport):
        context = browser.new_context(viewport=viewport, user_agent=USER_AGENT)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def shop(live_server, merchant_a):
    """Merchant A's branding and catalogue, with product pages and pictures on the live server."""
    merchant_a.website_url = f"{live_server.url}/shop/p/home"
    merchant_a.support_email = "hej@nordicliving.example"
    merchant_a.support_phone = "+45 70 20 30 40"
    merchant_a.save()
    branding = merchant_a.branding
    branding.primary_color = "#24483e"
    branding.accent_color = "#c8793c"
    branding.background_color = "#f5f1ea"
    branding.text_color = "#1f2421"
    branding.banner_message = "Free delivery on all orders over 500 kr. this winter"
    branding.shop_links = [
        {"label": "Living room", "url": f"{live_server.url}/shop/p/living"},
        {"label": "Textiles", "url": f"{live_server.url}/shop/p/textiles"},
        {"label": "Sale", "url": f"{live_server.url}/shop/p/sale"},
    ]
    branding.save()
    products = catalogue(
        merchant_a, base_url=f"{live_server.url}/shop", image_base=f"{live_server.url}/shop/img"
    )
    for sku in ("products are ordered by these rules",):
        assert sku
    CrossSellRule.objects.create(
        merchant=merchant_a, kind="complement", trigger_sku="SOFA-1", product=products["CUSH-1"]
    )
    CrossSellRule.objects.create(
        merchant=merchant_a, kind="upgrade", trigger_sku="SOFA-1", product=products["SOFA-2"]
    )
    CrossSellRule.objects.create(
        merchant=merchant_a, kind="complement", trigger_category="sofas", product=products["CARE-1"]
    )
    from orders.models import Benefit, Testimonial

    for locale, texts in {
        "en": [
            "Cold-foam cushions keep their shape for years",
            "Covers come off and go in the wash",
            "10-year frame guarantee",
        ],
        "da": [
            "Koldskumshynder holder formen i mange år",
            "Betrækket kan tages af og vaskes",
            "10 års garanti på stellet",
        ],
        "de": [
            "Kaltschaumpolster bleiben jahrelang in Form",
            "Bezüge abnehmbar und waschbar",
            "10 Jahre Garantie auf das Gestell",
        ],
    }.items():
        for position, text in enumerate(texts):
            Benefit.objects.create(merchant=merchant_a, locale=locale, text=text, position=position)
    for locale, (quote, quote2) in {
        "en": (
            "The sofa is even better than in the pictures. Delivery was smooth.",
            "Third piece from Nordic Living and still in love.",
        ),
        "da": (
            "Sofaen er endnu bedre end på billederne. Leveringen gik glat.",
            "Tredje møbel fra Nordic Living, og vi er stadig vilde med det.",
        ),
        "de": (
            "Das Sofa ist noch schöner als auf den Fotos. Die Lieferung lief reibungslos.",
            "Schon unser drittes Möbel von Nordic Living.",
        ),
    }.items():
        Testimonial.objects.create(
            merchant=merchant_a,
            locale=locale,
            author_name="Mette",
            author_detail="Aarhus",
            quote=quote,
            rating=5,
        )
        Testimonial.objects.create(
            merchant=merchant_a,
            locale=locale,
            author_name="Jonas",
            author_detail="Odense",
            quote=quote2,
            rating=4,
        )
    return products


def _items(live_server):
    return [
        {
            "sku": "SOFA-1",
            "name": "Sofa Hygge 3-seater",
            "quantity": 1,
            "unit_price": "8999.00",
            "image_url": f"{live_server.url}/shop/img/sofa-1.svg",
            "product_url": f"{live_server.url}/shop/p/sofa-1",
        },
        {
            "sku": "LAMP-1",
            "name": "Floor lamp Lys",
            "quantity": 2,
            "unit_price": "1499.00",
            "image_url": f"{live_server.url}/shop/img/lamp-1.svg",
            "product_url": f"{live_server.url}/shop/p/lamp-1",
        },
    ]


def _no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.services
def test_every_state_renders_in_three_languages_at_phone_and_desktop(
    live_server, shop, api_a, page_at, transactional_db
):
    if ARTIFACTS.exists():
        shutil.rmtree(ARTIFACTS)
    ARTIFACTS.mkdir(parents=True)
    orders = {
        state: order_in_state(
            api_a, state=state, external_id=f"20{index:02d}", items=_items(live_server)
        )
        for index, state in enumerate(STATES)
    }
    phone, desktop = page_at(PHONE), page_at(DESKTOP)
    headlines = {}
    for state, order in orders.items():
        for lang in ("en", "da", "de"):
            for name, page in (("phone", phone), ("desktop", desktop)):
                response = page.goto(f"{live_server.url}/t/{order.tracking_token}/?lang={lang}")
                assert response.status == 200
                assert page.locator("html").get_attribute("lang") == lang
                heading = page.locator("h1").inner_text()
                assert heading
                headlines[(state, lang)] = heading
                assert page.locator(".shipment").count() == 1
                assert page.locator(".timeline__event").count() >= 1
                assert _no_horizontal_scroll(page), f"{state} {lang} {name} scrolls sideways"
                page.screenshot(path=str(ARTIFACTS / f"{state}-{lang}-{name}.png"), full_page=True)
    # The three languages really differ (translated, not just labelled).
    assert headlines[("in_transit", "en")] != headlines[("in_transit", "de")]
    assert TrackingVisit.objects.unscoped().count() == len(STATES) * 3 * 2
