"""Order lookup on the merchant's page, and cross-sell clicks that earn attributed revenue.

Anna ordered at Nordic Living (merchant A); Bergmann Möbel (merchant B) is next door.
"""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from orders.models import Order, Product
from tests.tracking_helpers import catalogue, create_order
from tracking.models import CrossSellClick, CrossSellRule
from tracking.selectors import crosssell_recommendations, crosssell_stats
from tracking.views import LOOKUP_LIMIT

pytestmark = [pytest.mark.django_db]

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/133.0"


def lookup(client, slug, number, contact, **extra):
    return client.post(
        f"/t/{slug}/", {"number": number, "contact": contact}, HTTP_USER_AGENT=BROWSER, **extra
    )


def test_lookup_page_is_branded_and_has_a_labelled_form(client, merchant_a):
    response = client.get("/t/nordic-living/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Nordic Living" in html
    assert '<label for="id_number">' in html and '<label for="id_contact">' in html
    assert "csrfmiddlewaretoken" in html
    assert "noindex" in response["X-Robots-Tag"]


@pytest.mark.parametrize(
    "number, contact",
    [("#1001", "anna@example.com"), ("1001", "ANNA@example.com "), ("1001", "8000")],
)
def test_lookup_with_number_and_email_or_postal_code_lands_on_the_page(
    client, api_a, merchant_a, number, contact
):
    order = create_order(api_a, external_id="1001")
    response = lookup(client, "nordic-living", number, contact)
    assert response.status_code == 302
    assert response["Location"].startswith(f"/t/{order.tracking_token}/?src=lookup")


def test_wrong_combinations_reveal_nothing(client, api_a, merchant_a):
    create_order(api_a, external_id="1001")
    wrong_email = lookup(client, "nordic-living", "1001", "someone@example.com")
    no_such_order = lookup(client, "nordic-living", "9999", "anna@example.com")
    assert wrong_email.status_code == no_such_order.status_code == 400
    strip = lambda r: r.content.decode().replace("1001", "N").replace("9999", "N")  # noqa: E731
    token_free = [
        "\n".join(line for line in strip(r).splitlines() if "csrfmiddlewaretoken" not in line)
        for r in (wrong_email, no_such_order)
    ]
    assert token_free[0].replace("someone@example.com", "X") == token_free[1].replace(
        "anna@example.com", "X"
    )


def test_merchant_b_lookup_cannot_find_merchant_a_orders(client, api_a, merchant_b):
    create_order(api_a, external_id="1001")
    assert lookup(client, "bergmann", "1001", "anna@example.com").status_code == 400


def test_lookup_is_rate_limited_per_client(client, api_a, merchant_a):
    create_order(api_a, external_id="1001")
    for _ in range(LOOKUP_LIMIT):
        assert lookup(client, "nordic-living", "1", "guess@example.com").status_code == 400
    blocked = lookup(client, "nordic-living", "1001", "anna@example.com")
    assert blocked.status_code == 429
    assert int(blocked["Retry-After"]) > 0
    # Another client is not affected.
    other = lookup(Client(), "nordic-living", "1001", "anna@example.com", REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 302


def test_lookup_needs_the_csrf_token(api_a, merchant_a):
    create_order(api_a, external_id="1001")
    strict = Client(enforce_csrf_checks=True)
    assert lookup(strict, "nordic-living", "1001", "anna@example.com").status_code == 403


def _click_url(order, product, slot=1):
    return f"/t/{order.tracking_token}/go/{product.pk}/{slot}/"


def test_click_is_recorded_and_sends_the_buyer_to_the_product_with_attribution(
    client, api_a, merchant_a
):
    products = catalogue(merchant_a)
    order = create_order(api_a, external_id="1001")
    response = client.get(_click_url(order, products["THROW-1"], 2), HTTP_USER_AGENT=BROWSER)
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == "https://shop.example.com/p/throw-1"
    query = parse_qs(target.query)
    assert query["utm_source"] == ["postpurchase"]
    assert query["utm_content"] == ["slot_2"]
    assert query["ref"] == ["catalogue"]  # the product URL's own parameters survive
    click = CrossSellClick.objects.for_merchant(merchant_a).get()
    assert (click.order_id, click.product_id, click.slot) == (order.pk, products["THROW-1"].pk, 2)


def test_click_redirect_is_not_an_open_redirect(client, api_a, api_b, merchant_a, merchant_b):
    catalogue(merchant_a)
    order = create_order(api_a, external_id="1001")
    b_product = Product.objects.create(
        merchant=merchant_b, sku="B-1", name="Stuhl", url="https://bergmann.example/stuhl"
    )
    evil = Product.objects.create(
        merchant=merchant_a, sku="EVIL", name="Evil", url="https://shop.example.com/x"
    )
    Product.objects.for_merchant(merchant_a).filter(pk=evil.pk).update(url="javascript:alert(1)")
    for url in (
        _click_url(order, b_product),  # another merchant's product
        _click_url(order, evil),  # a stored URL that is not a web link
        f"/t/{order.tracking_token}/go/999999/1/",
        f"/t/not-a-token/go/{b_product.pk}/1/",
    ):
        response = client.get(url + "?next=https://evil.example/", HTTP_USER_AGENT=BROWSER)
        assert response.status_code == 404, url
    assert not CrossSellClick.objects.for_merchant(merchant_a).exists()
    assert not CrossSellClick.objects.for_merchant(merchant_b).exists()


def test_bought_items_are_never_recommended(api_a, merchant_a):
    products = catalogue(merchant_a)
    # Anna bought the throw last month; today the sofa.
    create_order(
        api_a,
        external_id="0900",
        items=[{"sku": "THROW-1", "name": "Alpaca throw", "quantity": 1, "unit_price": "899.00"}],
    )
    order = create_order(api_a, external_id="1001")
    # A careless rule recommends the sofa itself to sofa buyers.
    CrossSellRule.objects.create(
        merchant=merchant_a, trigger_category="sofas", product=products["SOFA-1"]
    )
    recommended = crosssell_recommendations(order=order, items=list(order.items.all()), limit=6)
    skus = [r.product.sku for r in recommended]
    assert "SOFA-1" not in skus and "THROW-1" not in skus
    assert skus  # still something to show: the other best sellers
    assert len(skus) == len(set(skus))


def test_slots_are_limited_by_the_merchant_setting(client, api_a, merchant_a):
    from tracking.models import TrackingSettings

    catalogue(merchant_a)
    TrackingSettings.objects.create(merchant=merchant_a, crosssell_slots=2)
    order = create_order(api_a, external_id="1001")
    html = client.get(f"/t/{order.tracking_token}/").content.decode()
    assert html.count('class="product"') == 2


def test_later_order_with_a_clicked_product_is_attributed_revenue(client, api_a, merchant_a):
    products = catalogue(merchant_a)
    order = create_order(api_a, external_id="1001")
    client.get(_click_url(order, products["THROW-1"]), HTTP_USER_AGENT=BROWSER)
    client.get(_click_url(order, products["LAMP-1"]), HTTP_USER_AGENT=BROWSER)
    later = (timezone.now() + timedelta(days=3)).isoformat()
    create_order(
        api_a,
        external_id="1100",
        placed_at=later,
        items=[
            {"sku": "THROW-1", "name": "Alpaca throw", "quantity": 2, "unit_price": "899.00"},
            {"sku": "CARE-1", "name": "Care kit", "quantity": 1, "unit_price": "199.00"},
        ],
    )
    # Someone else's order of the same throw earns nothing.
    other = create_order(
        api_a,
        external_id="1101",
        placed_at=later,
        items=[{"sku": "THROW-1", "name": "Alpaca throw", "quantity": 1, "unit_price": "899.00"}],
    )
    Order.objects.for_merchant(merchant_a).filter(pk=other.pk).update(
        customer=_another_customer(merchant_a)
    )
    since, until = timezone.now() - timedelta(days=1), timezone.now() + timedelta(days=1)
    stats = crosssell_stats(merchant=merchant_a, since=since, until=until)
    assert stats.clicks == 2
    assert stats.attributed_orders == 1
    assert str(stats.attributed_revenue) == "1798.00"


def _another_customer(merchant):
    from orders.models import Customer

    return Customer.objects.create(merchant=merchant, email="bo@example.com")
