"""Merchant texts in the buyer's language (#17.3) and prices in the buyer's currency (#17.4).

Nordic Living (merchant A, default language Danish) sells to Danish, German and
English buyers: the banner, the menu and the product names each come per language,
with the fallback buyer's language → Danish → any; a price shows only in the
currency the buyer pays in. Carrier scans show our translated status first and the
carrier's own words (often English) as a small second line.
"""

import csv
import io
from decimal import Decimal

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from notifications.models import Touchpoint
from notifications.sending import touchpoint_send
from orders.models import Product
from postpurchase.models import Branding
from tests.tracking_helpers import catalogue, order_in_state
from tracking.models import CrossSellRule

pytestmark = [pytest.mark.django_db]

BANNERS = {"da": "Fri fragt i hele december", "de": "Kostenloser Versand im Dezember"}
LINKS = [
    {
        "label": "Sofaer",
        "labels": {"da": "Sofaer", "de": "Sofas", "en": "Sofas EN"},
        "url": "https://shop.example.com/sofas",
    },
    {"label": "Plejeguide", "labels": {"da": "Plejeguide"}, "url": "https://shop.example.com/care"},
]


def page(client, order, query="") -> str:
    return client.get(f"/t/{order.tracking_token}/{query}").content.decode()


def slot_of(html: str, name: str) -> str:
    """The cross-sell slot showing `name`."""
    at = html.index(f'<span class="product__name">{name}</span>')
    return html[html.rindex('<li class="product">', 0, at) : html.index("</li>", at)]


@pytest.fixture
def branded(merchant_a):
    branding = merchant_a.branding
    branding.banner_messages = BANNERS
    branding.shop_links = LINKS
    branding.save()
    return branding


@pytest.fixture
def cushion(merchant_a):
    """A cushion offered with every sofa, priced in kroner and euros, named in German."""
    products = catalogue(merchant_a)
    cushion = products["CUSH-1"]
    cushion.names = {"de": "Wollkissen, moosgrün"}
    cushion.prices = {"EUR": "46.95"}
    cushion.save()
    CrossSellRule.objects.create(
        merchant=merchant_a, kind="complement", trigger_sku="SOFA-1", product=cushion
    )
    return cushion


# --- #17.3 banner, menu, product names, carrier text ---------------------------------


def test_a_german_buyer_reads_the_german_banner_not_the_danish_one(client, api_a, branded):
    order = order_in_state(api_a, state="in_transit", external_id="3101", locale="de")
    html = page(client, order)
    assert BANNERS["de"] in html
    assert BANNERS["da"] not in html


def test_the_banner_switches_with_the_page_language(client, api_a, branded):
    order = order_in_state(api_a, state="in_transit", external_id="3102", locale="de")
    assert BANNERS["da"] in page(client, order, "?lang=da")
    assert BANNERS["de"] in page(client, order, "?lang=de")  # cached per language


def test_a_language_without_a_banner_gets_the_default_languages(client, api_a, branded):
    order = order_in_state(api_a, state="in_transit", external_id="3103", locale="en")
    assert BANNERS["da"] in page(client, order)


def test_without_the_default_language_any_banner_is_better_than_none(client, api_a, merchant_a):
    Branding.objects.filter(merchant=merchant_a).update(banner_messages={"de": "Nur Deutsch"})
    order = order_in_state(api_a, state="in_transit", external_id="3104", locale="en")
    assert "Nur Deutsch" in page(client, order)


def test_shop_menu_labels_follow_the_buyers_language(client, api_a, branded):
    order = order_in_state(api_a, state="in_transit", external_id="3105", locale="de")
    html = page(client, order)
    assert ">Sofas<" in html and ">Sofaer<" not in html
    assert ">Plejeguide<" in html  # no German label: the Danish default


def test_the_congratulation_email_speaks_the_buyers_language(api_a, merchant_a, branded):
    order = order_in_state(api_a, state="in_transit", external_id="3106", locale="de")
    congratulation = order.touchpoints.get(kind=Touchpoint.Kind.CONGRATULATION)
    mail.outbox.clear()
    assert touchpoint_send(touchpoint_id=congratulation.pk) == "sent"
    (email,) = mail.outbox
    html = email.alternatives[0][0]
    assert BANNERS["de"] in html and BANNERS["da"] not in html
    assert ">Sofas<" in html and ">Sofaer<" not in html


def test_cross_sell_names_a_product_in_the_buyers_language(client, api_a, cushion):
    order = order_in_state(api_a, state="in_transit", external_id="3107", locale="de")
    html = page(client, order)
    assert "Wollkissen, moosgrün" in html
    assert "Wool cushion, moss green" not in html
    danish = order_in_state(api_a, state="in_transit", external_id="3108", locale="da")
    assert "Wool cushion, moss green" in page(client, danish)  # no Danish name: `name`


def test_carrier_words_are_a_second_line_under_the_translated_status(client, api_a):
    order = order_in_state(api_a, state="in_transit", external_id="3109", locale="de")
    html = page(client, order)
    label = '<p class="timeline__label">Unterwegs</p>'
    assert label in html
    after = html[html.index(label) :]
    assert after.index('class="timeline__message"') < after.index("Parcel sorted at the hub")
    assert after.index("Parcel sorted at the hub") < after.index("timeline__meta")


def test_carrier_words_that_only_repeat_the_status_are_left_out(client, api_a):
    order = order_in_state(api_a, state="delivered", external_id="3110", locale="de")
    shipment = order.shipments.get()
    shipment.events.filter(status="delivered").update(message="DELIVERED")
    shipment.save()  # the page renders afresh
    html = page(client, order)
    assert '<p class="timeline__label">Zugestellt</p>' in html
    assert ">DELIVERED<" not in html


# --- #17.3 the dashboard's branding form ------------------------------------------------


def _owner(alice) -> Client:
    client = Client()
    client.force_login(alice)
    return client


BRANDING_POST = {
    "primary_color": "#1f3a5f",
    "accent_color": "#e07a5f",
    "background_color": "#f7f5f2",
    "text_color": "#1d1d1f",
    "font": "system",
}


def test_branding_form_saves_a_banner_and_link_texts_per_language(merchant_a, alice):
    response = _owner(alice).post(
        reverse("dashboard:branding"),
        {
            **BRANDING_POST,
            "banner_message_da": "Fri fragt",
            "banner_message_de": "Kostenloser Versand",
            "banner_message_en": "",
            "link_0_label": "Sofaer",
            "link_0_label_de": "Sofas",
            "link_0_label_en": "",
            "link_0_url": "https://shop.example.com/sofas",
        },
    )
    assert response.status_code == 302
    branding = Branding.objects.get(merchant=merchant_a)
    assert branding.banner_messages == {"da": "Fri fragt", "de": "Kostenloser Versand"}
    assert branding.shop_links == [
        {
            "label": "Sofaer",
            "labels": {"da": "Sofaer", "de": "Sofas"},
            "url": "https://shop.example.com/sofas",
        }
    ]


def test_branding_form_shows_the_default_language_first(merchant_a, alice):
    html = _owner(alice).get(reverse("dashboard:branding")).content.decode()
    order = [html.index(f'name="banner_message_{code}"') for code in ("da", "en", "de")]
    assert order == sorted(order)
    assert "Banner message (Deutsch)" in html


def test_a_too_long_banner_is_refused_with_its_field_named(merchant_a, alice):
    response = _owner(alice).post(
        reverse("dashboard:branding"), {**BRANDING_POST, "banner_message_de": "x" * 201}
    )
    assert response.status_code == 400
    assert "banner_message_de" in response.content.decode()
    assert Branding.objects.get(merchant=merchant_a).banner_messages == {}


# --- #17.4 prices in the buyer's currency --------------------------------------------------


def test_cross_sell_shows_the_price_in_the_orders_currency(client, api_a, cushion):
    order = order_in_state(api_a, state="in_transit", external_id="3201", locale="de")
    order.currency = "EUR"
    order.save()
    html = page(client, order)
    assert "46,95\u00a0€" in html
    assert "349,00" not in html  # the kroner price never shows as a euro one


def test_cross_sell_hides_a_price_the_merchant_gave_no_currency_for(client, api_a, cushion):
    order = order_in_state(api_a, state="in_transit", external_id="3202", locale="en")
    order.currency = "GBP"
    order.save()
    html = page(client, order)
    assert "product__price" not in slot_of(html, "Wool cushion, moss green")


def test_cross_sell_shows_the_main_price_to_buyers_paying_in_its_currency(client, api_a, cushion):
    order = order_in_state(api_a, state="in_transit", external_id="3203", locale="da")
    assert "349,00\u00a0kr." in page(client, order)


def test_a_product_without_a_currency_shows_no_price(client, api_a, cushion):
    cushion.currency, cushion.prices = "", {}
    cushion.save()
    order = order_in_state(api_a, state="in_transit", external_id="3204", locale="da")
    assert "product__price" not in slot_of(page(client, order), "Wool cushion, moss green")


# --- #17.3/#17.4 the product form and its CSV ------------------------------------------------


PRODUCT_POST = {
    "sku": "LAMP-9",
    "name": "Gulvlampe Lys",
    "category": "lighting",
    "tags": "",
    "price": "1499.00",
    "currency": "DKK",
    "image_url": "",
    "url": "https://shop.example.com/lamp",
    "best_seller_rank": "",
    "is_active": "on",
}


def test_product_form_saves_names_and_prices_per_language_and_currency(merchant_a, alice):
    response = _owner(alice).post(
        reverse("dashboard:product_add"),
        {
            **PRODUCT_POST,
            "name_de": "Stehleuchte Lys",
            "name_en": "Floor lamp Lys",
            "other_prices": "EUR 199.95\ngbp 179,50",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    lamp = Product.objects.for_merchant(merchant_a).get(sku="LAMP-9")
    assert lamp.names == {"en": "Floor lamp Lys", "de": "Stehleuchte Lys"}
    assert lamp.prices == {"EUR": "199.95", "GBP": "179.50"}
    assert lamp.price_in("EUR") == Decimal("199.95")


def test_product_form_refuses_a_price_line_it_cannot_read(merchant_a, alice):
    response = _owner(alice).post(
        reverse("dashboard:product_add"), {**PRODUCT_POST, "other_prices": "euro lots"}
    )
    assert response.status_code == 400
    assert "like EUR 129.95" in response.content.decode()
    assert not Product.objects.for_merchant(merchant_a).exists()


def _csv(client) -> list[dict]:
    exported = client.get(reverse("dashboard:product_export")).content.decode()
    return list(csv.DictReader(io.StringIO(exported)))


def _import(client, text: str):
    upload = SimpleUploadedFile("p.csv", text.encode(), "text/csv")
    return client.post(reverse("dashboard:product_import"), {"file": upload})


def test_csv_exports_and_imports_names_and_prices(merchant_a, alice):
    Product.objects.create(
        merchant=merchant_a,
        sku="LAMP-9",
        name="Gulvlampe Lys",
        names={"de": "Stehleuchte Lys"},
        price=Decimal("1499.00"),
        currency="DKK",
        prices={"EUR": "199.95"},
    )
    client = _owner(alice)
    (row,) = _csv(client)
    assert row["name_de"] == "Stehleuchte Lys" and row["price_EUR"] == "199.95"
    assert "name_da" not in row  # the default language is the `name` column
    response = _import(
        client,
        "sku,name,name_de,price_EUR,price_GBP\nLAMP-9,Gulvlampe Lys,Stehlampe Lys,,179.50\n",
    )
    assert response.status_code == 302
    lamp = Product.objects.for_merchant(merchant_a).get(sku="LAMP-9")
    assert lamp.names == {"de": "Stehlampe Lys"}
    assert lamp.prices == {"GBP": "179.50"}  # an empty price cell removes that price


def test_an_old_csv_without_the_new_columns_keeps_names_and_prices(merchant_a, alice):
    Product.objects.create(
        merchant=merchant_a,
        sku="LAMP-9",
        name="Gulvlampe Lys",
        names={"de": "Stehleuchte Lys"},
        price=Decimal("1499.00"),
        currency="DKK",
        prices={"EUR": "199.95"},
    )
    response = _import(
        _owner(alice), "sku,name,price,currency\nLAMP-9,Gulvlampe Lys Ny,1399.00,DKK\n"
    )
    assert response.status_code == 302
    lamp = Product.objects.for_merchant(merchant_a).get(sku="LAMP-9")
    assert lamp.name == "Gulvlampe Lys Ny"
    assert lamp.names == {"de": "Stehleuchte Lys"}
    assert lamp.prices == {"EUR": "199.95"}


def test_csv_with_an_unreadable_price_imports_nothing(merchant_a, alice):
    response = _import(_owner(alice), "sku,name,price_EUR\nLAMP-9,Lys,cheap\n")
    assert response.status_code == 400
    assert "Line 2" in response.content.decode()
    assert not Product.objects.for_merchant(merchant_a).exists()


def test_the_import_page_names_the_optional_columns(merchant_a, alice):
    html = _owner(alice).get(reverse("dashboard:product_import")).content.decode()
    assert "<code>name_en,name_de,price_EUR,price_GBP</code>" in html
