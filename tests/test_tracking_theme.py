"""Merchant colours reach the page only as validated numbers, and always stay readable."""

import pytest

from postpurchase.formatting import format_money
from tracking.theme import TEXT_CONTRAST, contrast, parse_hex, theme_from_values


def test_unreadable_merchant_colours_are_darkened_until_they_read():
    theme = theme_from_values(
        primary="#ffe066", accent="#fff3b0", background="#ffffff", text="#cccccc"
    )
    surface = parse_hex(theme.surface, "#ffffff")
    assert contrast(parse_hex(theme.text, ""), surface) >= TEXT_CONTRAST
    assert contrast(parse_hex(theme.primary_text, ""), surface) >= TEXT_CONTRAST
    assert contrast(parse_hex(theme.on_primary, ""), parse_hex(theme.primary, "")) >= TEXT_CONTRAST
    assert set(theme.adjusted) == {"text", "primary", "accent"}


def test_readable_colours_are_kept_as_the_merchant_chose():
    theme = theme_from_values(primary="#1f3a5f", background="#ffffff", text="#111111")
    assert (theme.primary, theme.text) == ("#1f3a5f", "#111111")
    assert "text" not in theme.adjusted and "primary" not in theme.adjusted


def test_dark_backgrounds_get_light_text():
    theme = theme_from_values(background="#111111", text="#222222", primary="#333333")
    assert contrast(parse_hex(theme.text, ""), parse_hex(theme.surface, "")) >= TEXT_CONTRAST


@pytest.mark.parametrize(
    "value",
    ["red", "#fff", "#12345g", "#123456;} body{display:none", "url(x)", "", None, "expression(1)"],
)
def test_anything_but_six_hex_digits_falls_back_to_the_default(value):
    theme = theme_from_values(primary=value)
    assert theme.source[0] == "#1f3a5f"


def test_theme_stylesheet_is_generated_from_numbers_only(client):
    response = client.get("/t/theme.css?c=ff0000-00ff00-ffffff-000000&f=serif")
    css = response.content.decode()
    assert response["Content-Type"].startswith("text/css")
    assert "--pp-primary:#" in css and "Georgia" in css
    assert "immutable" in response["Cache-Control"]
    hostile = client.get("/t/theme.css?c=ff0000;}*{x:url(//evil)}-0-0-0&f=</style><script>")
    text = hostile.content.decode()
    assert "evil" not in text and "<" not in text and "script" not in text


@pytest.mark.django_db
def test_theme_css_needs_no_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        client.get("/t/theme.css?c=ff0000-00ff00-ffffff-000000&f=system")


@pytest.mark.parametrize(
    "amount, currency, locale, expected",
    [
        ("1299.5", "DKK", "da", "1.299,50\u00a0kr."),
        ("1299.5", "EUR", "de", "1.299,50\u00a0€"),
        ("1299.5", "EUR", "en", "€1,299.50"),
        ("1299.5", "DKK", "en", "DKK\u00a01,299.50"),
        ("1234567", "SEK", "da", "1.234.567,00\u00a0kr"),
    ],
)
def test_prices_read_as_the_buyer_expects(amount, currency, locale, expected):
    assert format_money(amount, currency, locale) == expected
