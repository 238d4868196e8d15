"""The tracking page in headless Chromium: every shipment state, three languages, two widths.

Screenshots go to test-artifacts/tracking/ (git-ignored) to be looked at.
"""

import os
from pathlib import Path

import pytest

from tests.tracking_helpers import (
    STATES,
    STORIES,
    add_event,
    add_shipment,
    catalogue,
    create_order,
    order_in_state,
)
from tracking.models import CrossSellClick, CrossSellRule, Rating, TrackingVisit
from tracking.services import visits_flush

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
    branding.banner_messages = {"en": "Free delivery on all orders over 500 kr. this winter"}
    branding.shop_links = [
        {"label": "Living room", "url": f"{live_server.url}/shop/p/living"},
        {"label": "Textiles", "url": f"{live_server.url}/shop/p/textiles"},
        {"label": "Sale", "url": f"{live_server.url}/shop/p/sale"},
    ]
    branding.save()
    products = catalogue(
        merchant_a, base_url=f"{live_server.url}/shop", image_base=f"{live_server.url}/shop/img"
    )
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
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    orders = {
        state: order_in_state(
            api_a, state=state, external_id=f"20{index:02d}", items=_items(live_server)
        )
        for index, state in enumerate(STATES)
    }
    phone, desktop = page_at(PHONE), page_at(DESKTOP)
    headlines = {}
    for index, (state, order) in enumerate(orders.items()):
        for lang_index, lang in enumerate(("en", "da", "de")):
            for name, page in (("phone", phone), ("desktop", desktop)):
                response = page.goto(f"{live_server.url}/t/{order.tracking_token}/?lang={lang}")
                assert response.status == 200
                full_page = lang_index == index % 3
                if full_page:  # lazy images below the fold load only when asked
                    page.evaluate(_LOAD_ALL_IMAGES_JS)
                seen = page.evaluate(_PAGE_FACTS_JS)
                assert seen["lang"] == lang
                assert seen["heading"]
                assert seen["shipments"] == 1
                assert seen["events"] == len(STORIES[state])
                assert seen["imagesLoaded"], f"{state} {lang} {name}: an image did not load"
                assert seen["fitsWidth"], f"{state} {lang} {name} scrolls sideways"
                headlines[(state, lang)] = seen["heading"]
                # Whole page once per state (languages take turns); the first screen otherwise.
                page.screenshot(
                    path=str(ARTIFACTS / f"{state}-{lang}-{name}.png"),
                    full_page=full_page,
                )
    # The three languages really differ (translated, not just labelled).
    assert len({headlines[("in_transit", lang)] for lang in ("en", "da", "de")}) == 3
    visits_flush()
    assert (
        TrackingVisit.objects.unscoped(reason="test: the rows the browser's visits wrote").count()
        == len(STATES) * 3 * 2
    )


@pytest.mark.services
def test_buyer_looks_up_the_order_rates_it_and_follows_a_cross_sell_slot(
    live_server, shop, api_a, page_at, transactional_db
):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    order = order_in_state(
        api_a, state="delivered", external_id="3001", items=_items(live_server), locale="da"
    )
    page = page_at(PHONE)

    # Lookup: a wrong email says nothing about the order; the postal code finds it.
    page.goto(f"{live_server.url}/t/nordic-living/?lang=de")
    page.get_by_label("Bestellnummer").fill("3001")
    page.get_by_label("E-Mail oder Postleitzahl").fill("wrong@example.com")
    page.get_by_role("button", name="Bestellung finden").click()
    assert page.get_by_role("alert").is_visible()
    page.screenshot(path=str(ARTIFACTS / "lookup-de-phone-error.png"), full_page=True)
    page.get_by_label("E-Mail oder Postleitzahl").fill("8000")
    page.get_by_role("button", name="Bestellung finden").click()
    page.wait_for_url(f"**/t/{order.tracking_token}/**")
    assert page.locator("html").get_attribute("lang") == "da"  # the order's own language
    visits_flush()
    assert (
        TrackingVisit.objects.unscoped(reason="test: the rows the browser's visits wrote")
        .get()
        .source
        == "lookup"
    )

    # One click on the fifth star, then an optional comment.
    page.get_by_role("button", name="5 stjerner").click()
    page.wait_for_selector(".rating__thanks")
    page.get_by_label("Vil du tilføje noget? (valgfrit)").fill("Sofaen er perfekt")
    page.get_by_role("button", name="Send").click()
    page.wait_for_selector(".rating__thanks")
    page.locator("#rating").screenshot(path=str(ARTIFACTS / "rating-da-phone.png"))
    rating = Rating.objects.unscoped(reason="test: the rows the browser's visits wrote").get(
        order=order
    )
    assert (rating.score, rating.comment) == (5, "Sofaen er perfekt")

    # The first slot is the upgrade rule; following it lands on the shop's product page.
    slots = page.locator(".product__link")
    assert slots.count() == 3
    assert page.locator(".product__name").first.inner_text() == "Sofa Hygge XL with chaise"
    slots.first.click()
    page.wait_for_url("**/shop/p/sofa-2**")
    assert page.locator("#product").inner_text() == "Product sofa-2"
    assert "utm_source=postpurchase" in page.url and "utm_content=slot_1" in page.url
    click = CrossSellClick.objects.unscoped(
        reason="test: the rows the browser's visits wrote"
    ).get()
    assert (click.order_id, click.product.sku, click.slot) == (order.pk, "SOFA-2", 1)


@pytest.mark.services
def test_split_order_unshipped_order_and_low_contrast_branding(
    live_server, shop, api_a, merchant_a, page_at, transactional_db
):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    items = _items(live_server)
    waiting = create_order(api_a, external_id="3004", items=items, locale="en")
    split = create_order(api_a, external_id="3005", items=items, locale="en")
    first = add_shipment(
        api_a, split, carrier="PostNord", number="00370712345678901234", items=[{"sku": "LAMP-1"}]
    )
    second = add_shipment(
        api_a, split, carrier="DAO", number="DAO123456789", items=[{"sku": "SOFA-1"}]
    )
    for hours, status in ((50, "label_created"), (30, "in_transit"), (5, "delivered")):
        add_event(api_a, first, status, hours_ago=hours, location="Copenhagen")
    for hours in range(40, 0, -4):
        add_event(
            api_a,
            second,
            "in_transit",
            hours_ago=hours,
            location=f"Hub {hours}",
            message="Scanned at the hub",
        )
    for name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        page = page_at(viewport)
        page.goto(f"{live_server.url}/t/{waiting.tracking_token}/")
        page.evaluate(_LOAD_ALL_IMAGES_JS)
        assert page.locator("h1").inner_text() == "We're getting your order ready"
        page.screenshot(path=str(ARTIFACTS / f"not_shipped-en-{name}.png"), full_page=True)
        page.goto(f"{live_server.url}/t/{split.tracking_token}/")
        assert page.locator(".shipment").count() == 2
        # Older scans fold away without JavaScript; opening them shows every one.
        page.locator(".timeline__more summary").click()
        page.evaluate(_LOAD_ALL_IMAGES_JS)
        assert page.locator(".shipment").nth(1).locator(".timeline__event").count() == 10
        assert _no_horizontal_scroll(page)
        page.screenshot(path=str(ARTIFACTS / f"split-en-{name}.png"), full_page=True)

    branding = merchant_a.branding
    branding.primary_color = "#ffe066"  # pale yellow: unreadable as text on white
    branding.accent_color = "#fff3b0"
    branding.background_color = "#ffffff"
    branding.text_color = "#bbbbbb"
    branding.font = "serif"
    branding.save()
    page = page_at(DESKTOP)
    page.goto(f"{live_server.url}/t/{split.tracking_token}/")
    page.evaluate(_LOAD_ALL_IMAGES_JS)
    page.screenshot(path=str(ARTIFACTS / "low-contrast-branding-desktop.png"), full_page=True)
    for selector in (".hero__title", ".link-arrow", ".product__reason", ".timeline__meta"):
        assert page.evaluate(_CONTRAST_JS, selector) >= 4.5, selector
    assert "Georgia" in page.evaluate("getComputedStyle(document.body).fontFamily")


_LOAD_ALL_IMAGES_JS = """async () => {
  for (const img of document.images) img.loading = "eager";
  await Promise.all([...document.images].map((img) => img.decode().catch(() => null)));
}"""

_PAGE_FACTS_JS = """() => ({
  lang: document.documentElement.lang,
  heading: document.querySelector("h1").innerText,
  shipments: document.querySelectorAll(".shipment").length,
  events: document.querySelectorAll(".timeline__event").length,
  imagesLoaded: [...document.images].every((img) => !img.complete || img.naturalWidth > 0),
  fitsWidth: document.documentElement.scrollWidth <= window.innerWidth + 1,
})"""

_CONTRAST_JS = """(selector) => {
  const el = document.querySelector(selector);
  const parse = (c) => c.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
    .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
  let bgEl = el; let bg = getComputedStyle(bgEl).backgroundColor;
  while (bg === 'rgba(0, 0, 0, 0)' && bgEl.parentElement) { bgEl = bgEl.parentElement; bg = getComputedStyle(bgEl).backgroundColor; }
  const a = lum(parse(getComputedStyle(el).color)), b = lum(parse(bg));
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""


@pytest.mark.services
def test_demo_orders_render_in_every_state(live_server, page_at, settings, transactional_db):
    """The orders `make run` loads: each page works at phone width, the logo included."""
    from demo import loader
    from orders.models import Order

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    # The demo's product pictures are drawn by the app at PUBLIC_BASE_URL, as in make run.
    settings.PUBLIC_BASE_URL = live_server.url
    result = loader.load_demo()
    orders = list(Order.objects.for_merchant(result["merchant"]).prefetch_related("shipments"))
    statuses = {s.status for order in orders for s in order.shipments.all()}
    assert statuses >= {"label_created", "in_transit", "delivered"}
    page = page_at(PHONE)
    for order in orders:
        response = page.goto(f"{live_server.url}/t/{order.tracking_token}/")
        assert response.status == 200, order.number
        page.evaluate(_LOAD_ALL_IMAGES_JS)
        seen = page.evaluate(_PAGE_FACTS_JS)
        assert seen["heading"] and seen["fitsWidth"], order.number
        assert seen["imagesLoaded"], f"{order.number}: an image did not load"
        assert page.locator(".brand__logo").is_visible()
        number = order.number.strip("#")
        page.screenshot(path=str(ARTIFACTS / f"demo-{number}-phone.png"))


_STEPS_JS = """() => [...document.querySelectorAll('.hero .steps__step')].map(li => {
  const label = li.querySelector('.steps__label').getBoundingClientRect();
  const box = li.getBoundingClientRect();
  return {label: li.querySelector('.steps__label').textContent, state: li.className,
          dot: getComputedStyle(li.querySelector('.steps__dot')).backgroundColor,
          fits: label.left >= box.left - 1 && label.right <= box.right + 1};
})"""


@pytest.mark.services
def test_pickup_parcel_shows_pickup_steps_in_german_on_a_phone(
    live_server, shop, api_a, page_at, transactional_db
):
    """#17.11: a parcel at the pickup point does not tick "out for delivery", in the bar as drawn."""
    order = order_in_state(
        api_a, state="available_for_pickup", external_id="2101", items=_items(live_server)
    )
    page = page_at(PHONE)
    page.goto(f"{live_server.url}/t/{order.tracking_token}/?lang=de")
    steps = page.evaluate(_STEPS_JS)
    assert [s["label"] for s in steps] == [
        "Bestellt",
        "Verpackt",
        "Versandt",
        "Abholbereit",
        "Abgeholt",
    ]
    assert [s["state"].split("--")[-1] for s in steps] == [
        "done",
        "done",
        "done",
        "current",
        "upcoming",
    ]
    # The current step's dot is an open ring, not the filled tick of a step done.
    assert steps[3]["dot"] != steps[2]["dot"]
    assert all(s["fits"] for s in steps), steps
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "pickup-steps-de-phone.png"))


@pytest.mark.services
def test_carrier_words_are_drawn_smaller_and_muted_under_the_status(
    live_server, shop, api_a, page_at, transactional_db
):
    """#17.3: a German buyer reads our German status; the carrier's English is a quiet second line."""
    order = order_in_state(api_a, state="in_transit", external_id="2102", items=_items(live_server))
    page = page_at(PHONE)
    page.goto(f"{live_server.url}/t/{order.tracking_token}/?lang=de")
    latest = page.locator(".timeline__event--latest")
    assert latest.locator(".timeline__label").inner_text() == "Unterwegs"
    # Screen readers hear it introduced as the carrier's note; the eye sees the words alone.
    assert latest.locator(".timeline__message").inner_text().endswith("\nParcel sorted at the hub")
    style = """el => { const s = getComputedStyle(el);
        return {size: parseFloat(s.fontSize), color: s.color}; }"""
    label = latest.locator(".timeline__label").evaluate(style)
    note = latest.locator(".timeline__message").evaluate(style)
    meta = latest.locator(".timeline__meta").evaluate(style)
    assert note["size"] < label["size"]
    assert note["color"] == meta["color"] != label["color"]
