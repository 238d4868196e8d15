"""The demo catalogue's pictures are drawn by our code and served; a failed picture shows a placeholder."""

import io

import pytest
from PIL import Image

from demo import loader, shop
from orders.models import Order, Product
from postpurchase.models import Merchant
from tests.chromium import PHONE
from tests.processes import wait_for
from tests.tracking_helpers import catalogue, order_in_state
from tracking.models import CrossSellRule

pytestmark = pytest.mark.django_db


def _demo_products():
    loader.load_demo()
    merchant = Merchant.objects.get(slug=shop.SLUG)
    return list(Product.objects.for_merchant(merchant))


def test_every_demo_product_picture_is_served_by_the_app(client, settings):
    settings.PUBLIC_BASE_URL = "http://127.0.0.1:8000"  # make run's
    products = _demo_products()
    assert len(products) == len(shop.PRODUCTS)
    for product in products:
        assert product.image_url.startswith(f"{settings.PUBLIC_BASE_URL}/demo/products/")
        response = client.get(product.image_url.removeprefix(settings.PUBLIC_BASE_URL))
        assert response.status_code == 200, product.sku
        assert response["Content-Type"] == "image/png"
        assert Image.open(io.BytesIO(response.content)).size == (400, 300)


def test_an_unknown_demo_picture_is_404(client):
    assert client.get("/demo/products/not-a-product.png").status_code == 404


@pytest.mark.browser
def test_demo_tracking_page_shows_the_drawn_pictures_on_a_german_phone(
    live_server, open_page, settings, transactional_db
):
    settings.PUBLIC_BASE_URL = live_server.url
    loader.load_demo()
    merchant = Merchant.objects.get(slug=shop.SLUG)
    order = Order.objects.for_merchant(merchant).get(external_id="10410")  # German, two parcels
    tab = open_page(PHONE, locale="de")
    tab.page.goto(order.tracking_url)
    pictures = tab.page.locator(".item__image, .product__media img")
    assert pictures.count() >= 3
    for index in range(pictures.count()):  # lazy pictures load when scrolled to
        pictures.nth(index).scroll_into_view_if_needed()
    wait_for(lambda: pictures.evaluate_all("imgs => imgs.every(img => img.complete)"))
    tab.page.evaluate(
        "document.querySelectorAll('.products').forEach(row => { row.scrollLeft = 0 })"
    )
    widths = pictures.evaluate_all("imgs => imgs.map(img => img.naturalWidth)")
    assert all(width > 0 for width in widths), widths
    tab.screenshot("tracking-demo-de-phone")
    assert tab.csp_violations() == []


@pytest.mark.browser
def test_a_picture_that_fails_shows_the_placeholder(
    live_server, open_page, api_a, merchant_a, transactional_db
):
    products = catalogue(merchant_a, image_base=f"{live_server.url}/no-such-pictures")
    CrossSellRule.objects.create(
        merchant=merchant_a, kind="complement", trigger_sku="SOFA-1", product=products["CUSH-1"]
    )
    order = order_in_state(api_a, state="in_transit", external_id="IMG-1", locale="en")
    tab = open_page(PHONE)
    tab.page.goto(f"{live_server.url}/t/{order.tracking_token}/")
    media = tab.page.locator(".product__media").first
    image = media.locator("img")
    image.wait_for(state="attached")
    wait_for(lambda: image.evaluate("img => img.complete"))
    assert image.evaluate("img => img.naturalWidth") == 0  # it failed to load
    # A broken <img> draws its ::after: the placeholder, over the browser's broken-image icon.
    cover = image.evaluate("img => getComputedStyle(img, '::after').backgroundImage")
    assert cover.startswith('url("data:image/svg+xml')
    assert media.bounding_box()["height"] > 100  # the frame keeps its size
    tab.screenshot("tracking-placeholder-en-phone")
    assert tab.csp_violations() == []
