"""One money format and one local-time format on every dashboard screen.

Anna's 12,995 kr. sofa order was placed at 10:00 UTC on 20 November, 11:00 in
Copenhagen, where Nordic Living (merchant A) is. Alice owns the shop, Anders calls.
"""

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from orders.models import Product
from postpurchase.templatetags.dashboard_format import local_datetime, money
from tests.dashboard_world import place_order
from tests.followups_factories import call_of, make_due_now

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"
# What the screens used to show: raw decimals, or numbers without a currency.
RAW_AMOUNTS = re.compile(r"12995(\.00)?\b|12\.995(?!,00)|12,995(?!\.00)")


@pytest.fixture
def annas_order(merchant_a):
    return place_order(
        merchant_a,
        "1001",
        placed_at="2026-11-20T10:00:00Z",
        total="12995.00",
        items=[
            {
                "sku": "SOFA-1",
                "name": "Sofa Hygge 3-seater",
                "quantity": 1,
                "unit_price": "12995.00",
            }
        ],
    )


def client_in(user, lang: str) -> Client:
    client = Client(headers={"accept-language": lang})
    client.force_login(user)
    return client


def screens(order) -> list[str]:
    return [
        reverse("dashboard:home"),
        reverse("dashboard:orders"),
        reverse("dashboard:order_detail", args=[order.pk]),
    ]


@pytest.mark.parametrize(
    "lang, amount, placed",
    [
        ("da", f"12.995,00{NBSP}kr.", "20. nov, 11:00"),
        ("de", f"12.995,00{NBSP}kr.", "20. Nov, 11:00"),
        ("en", f"DKK{NBSP}12,995.00", "20 Nov, 11:00"),
    ],
)
def test_order_screens_show_the_amount_and_local_time_the_same_way(
    merchant_a, alice, annas_order, lang, amount, placed
):
    client = client_in(alice, lang)
    for url in screens(annas_order):
        page = client.get(url).content.decode()
        assert amount in page, url
        assert placed in page, url
        assert not RAW_AMOUNTS.search(page), (url, RAW_AMOUNTS.search(page).group())
        assert "10:00" not in page, url  # never UTC


def test_the_call_queue_writes_money_and_due_time_like_the_other_screens(
    merchant_a, anders, annas_order
):
    call = make_due_now(call_of(annas_order))
    page = client_in(anders, "da").get(f"/calls/?call={call.pk}").content.decode()
    assert f"12.995,00{NBSP}kr." in page
    assert not RAW_AMOUNTS.search(page)
    with translation.override("da"), timezone.override(merchant_a.tzinfo):
        assert local_datetime(call.due_at) in page


def test_the_product_list_writes_prices_like_the_order_screens(merchant_a, alice):
    Product.objects.create(
        merchant=merchant_a, sku="SOFA-1", name="Sofa", price="12995.00", currency="DKK"
    )
    page = client_in(alice, "da").get(reverse("dashboard:products")).content.decode()
    assert f"12.995,00{NBSP}kr." in page


def test_the_filters_follow_the_language_and_the_active_time_zone(merchant_a):
    moment = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)
    with timezone.override(merchant_a.tzinfo):
        with translation.override("de"):
            assert money("1299.5", "EUR") == f"1.299,50{NBSP}€"
            assert local_datetime(moment).endswith("20. Nov, 11:00")
        with translation.override("en"):
            assert money("1299.5", "EUR") == "€1,299.50"
            assert local_datetime(moment.replace(year=2020)) == "20 Nov 2020, 11:00"
