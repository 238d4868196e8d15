"""The public tracking page: what buyers see, what they never see, and what it costs.

Anna (anna@example.com) ordered a sofa from Nordic Living (merchant A); Bergmann
Möbel (merchant B) has its own buyers and branding.
"""

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orders.models import ShipmentEvent
from postpurchase import events
from tests.tracking_helpers import (
    add_event,
    add_shipment,
    catalogue,
    create_order,
    order_in_state,
)
from tracking.models import CrossSellImpression, CrossSellRule, Rating, TrackingVisit
from tracking.rendering import render_tracking_page
from tracking.services import visits_flush

pytestmark = [pytest.mark.django_db]

BROWSER = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Version/17.5 Safari/605.1.15"
)


def view(client, order, query="", **headers):
    headers.setdefault("HTTP_USER_AGENT", BROWSER)
    return client.get(f"/t/{order.tracking_token}/{query}", **headers)


def test_page_shows_number_items_timeline_estimate_and_carrier_link(client, api_a):
    order = order_in_state(api_a, state="in_transit", external_id="1001", locale="en")
    html = view(client, order).content.decode()
    assert "#1001" in html
    assert "Sofa Hygge 3-seater" in html
    assert "https://shop.example.com/img/sofa.jpg" in html
    assert "Parcel sorted at the hub" in html and "Parcel received at the terminal" in html
    # Newest first.
    assert html.index("Parcel sorted at the hub") < html.index("Parcel received at the terminal")
    eta = timezone.localdate(timezone=order.merchant.tzinfo) + timedelta(days=2)
    assert f"Arriving {eta:%A}" in html
    assert "https://gls-group.com/track/00340434161234567890" in html
    assert 'aria-current="step"' in html


def test_each_shipment_of_an_order_gets_its_own_section(client, api_a):
    order = create_order(api_a, external_id="1002", locale="en")
    first = add_shipment(api_a, order, carrier="PostNord", number="AB123")
    second = add_shipment(api_a, order, carrier="DAO", number="CD456")
    add_event(api_a, first, "delivered", hours_ago=3)
    add_event(api_a, second, "in_transit", hours_ago=2)
    html = view(client, order).content.decode()
    assert html.count('class="card shipment') == 2
    assert "Package 1 of 2" in html and "Package 2 of 2" in html
    assert "1 of 2 packages delivered" in html


@pytest.mark.parametrize(
    "state, expected",
    [
        ("out_for_delivery", "Arriving today"),
        ("delayed", "Delayed — new estimate"),
        ("attempt_failed", "The carrier couldn&#x27;t deliver your parcel"),
        ("exception", "Something went wrong on the way"),
        ("returned_to_sender", "Your parcel is being returned"),
        ("available_for_pickup", "Ready for pickup"),
        ("delivered", "How was it?"),
    ],
)
def test_each_state_says_plainly_what_is_happening(client, api_a, merchant_a, state, expected):
    merchant_a.support_email = "hej@nordicliving.example"
    merchant_a.save()
    order = order_in_state(api_a, state=state, external_id="1003", locale="en")
    html = view(client, order).content.decode()
    assert expected in html
    if state in ("attempt_failed", "exception", "returned_to_sender"):
        assert "mailto:hej@nordicliving.example" in html


def test_page_carries_no_personal_data_of_the_buyer(client, api_a):
    order = order_in_state(api_a, state="delivered", external_id="1004")
    html = view(client, order).content.decode()
    for secret in ("anna@example.com", "+4520123456", "20123456", "Holm", "Strandvejen", "8000"):
        assert secret not in html, secret


def test_unknown_and_near_miss_tokens_are_404_through_the_same_queries(client, api_a):
    order = order_in_state(api_a, state="in_transit", external_id="1005")
    near_miss = order.tracking_token[:-1] + ("A" if order.tracking_token[-1] != "A" else "B")
    shapes = []
    for token in (near_miss, "x" * 32, "short"):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/t/{token}/", HTTP_USER_AGENT=BROWSER)
        assert response.status_code == 404
        assert b"We can" in response.content
        shapes.append([re.sub(r"'[^']*'", "?", q["sql"]) for q in queries.captured_queries])
    assert shapes[0] == shapes[1] == shapes[2]
    # A miss runs the very lookup a hit runs first: one equality match on the token.
    assert len(shapes[0]) == 2 and "tracking_token" in shapes[0][0]


def test_merchant_a_branding_never_shows_on_merchant_b_page(client, api_a, api_b, merchant_a):
    branding = merchant_a.branding
    branding.primary_color = "#aa1177"
    branding.banner_messages = {"da": "Nordic winter sale"}
    branding.save()
    order_in_state(api_a, state="in_transit", external_id="A-1")
    b_order = order_in_state(api_b, state="in_transit", external_id="B-1", locale="de")
    html = view(client, b_order).content.decode()
    assert "Bergmann Möbel" in html
    assert "Nordic" not in html
    assert "aa1177" not in html


def test_csp_noindex_and_same_origin_referrer_headers(client, api_a):
    order = order_in_state(api_a, state="in_transit", external_id="1006")
    response = view(client, order)
    csp = response["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "style-src 'self'" in csp
    assert "unsafe-inline" not in csp and "script-src" not in csp
    assert "img-src 'self' data: https://shop.example.com;" in csp
    assert "noindex" in response["X-Robots-Tag"]
    assert '<meta name="robots" content="noindex' in response.content.decode()
    assert response["Referrer-Policy"] == "same-origin"


def test_merchant_text_is_escaped_and_links_must_be_web_links(client, api_a, merchant_a):
    branding = merchant_a.branding
    branding.banner_messages = {"da": '<script>alert("x")</script>'}
    branding.shop_links = [
        {"label": "Evil", "url": "javascript:alert(1)"},
        {"label": "Sofas", "url": "https://shop.example.com/sofas"},
    ]
    branding.save()
    order = order_in_state(api_a, state="in_transit", external_id="1007")
    html = view(client, order).content.decode()
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "javascript:" not in html
    assert "https://shop.example.com/sofas" in html


def test_query_count_stays_fixed_as_events_grow(client, api_a, django_assert_max_num_queries):
    order = order_in_state(api_a, state="in_transit", external_id="1008")
    shipment = order.shipments.get()

    def cold_view_queries():
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            assert view(client, order).status_code == 200
        return len(queries)

    few = cold_view_queries()
    base = timezone.now() - timedelta(days=5)
    ShipmentEvent.objects.for_merchant(order.merchant).bulk_create(
        ShipmentEvent(
            merchant=order.merchant,
            shipment=shipment,
            status="in_transit",
            occurred_at=base + timedelta(minutes=i),
            location=f"Hub {i}",
        )
        for i in range(60)
    )
    many = cold_view_queries()
    assert few == many
    cache.clear()
    with django_assert_max_num_queries(16):
        view(client, order)
    # Warm: served from Redis, the visit buffered there too.
    with django_assert_max_num_queries(0):
        view(client, order)


def test_a_new_event_shows_at_once_despite_the_cache(client, api_a):
    order = order_in_state(api_a, state="in_transit", external_id="1009", locale="en")
    assert "Out with the driver" not in view(client, order).content.decode()
    add_event(
        api_a,
        order.shipments.get(),
        "out_for_delivery",
        hours_ago=0.1,
        message="Out with the driver",
    )
    assert "Out with the driver" in view(client, order).content.decode()


def test_branding_change_shows_at_once_despite_the_cache(client, api_a, merchant_a):
    order = order_in_state(api_a, state="in_transit", external_id="1010")
    view(client, order)
    branding = merchant_a.branding
    branding.banner_messages = {"da": "Closed for the holidays"}
    branding.save()
    assert "Closed for the holidays" in view(client, order).content.decode()


def test_views_are_recorded_with_source_and_bots_are_not(client, api_a):
    order = order_in_state(api_a, state="in_transit", external_id="1011")
    view(client, order, "?src=sms")
    view(client, order)
    client.get(
        f"/t/{order.tracking_token}/",
        HTTP_USER_AGENT="Googlebot/2.1 (+http://www.google.com/bot.html)",
    )
    client.get(f"/t/{order.tracking_token}/", HTTP_USER_AGENT="Slackbot-LinkExpanding 1.0")
    view(client, order, HTTP_SEC_PURPOSE="prefetch;prerender")
    view(client, order, HTTP_PURPOSE="prefetch")
    client.head(f"/t/{order.tracking_token}/", HTTP_USER_AGENT=BROWSER)
    visits_flush()
    visits = TrackingVisit.objects.for_merchant(order.merchant).filter(order=order)
    assert sorted(visits.values_list("source", flat=True)) == ["direct", "sms"]
    assert len(set(visits.values_list("client_hash", flat=True))) == 1
    assert "127.0.0.1" not in visits.first().client_hash


def test_page_language_follows_the_order_and_the_switcher(client, api_a):
    order = order_in_state(api_a, state="in_transit", external_id="1012", locale="de")
    german = view(client, order).content.decode()
    assert '<html lang="de">' in german
    assert "Sendungsverlauf" in german
    danish = view(client, order, "?lang=da").content.decode()
    assert '<html lang="da">' in danish and "Forsendelseshistorik" in danish
    assert "1.299,00\u00a0kr." in danish


def test_preview_renders_unsaved_branding_without_saving_it(api_a, merchant_a):
    order = order_in_state(api_a, state="in_transit", external_id="1013")
    html = render_tracking_page(
        order,
        branding_override={"banner_messages": {"da": "Preview banner"}, "primary_color": "#123456"},
    )
    assert "Preview banner" in html and "123456" in html
    merchant_a.branding.refresh_from_db()
    assert merchant_a.branding.banner_messages == {}
    assert merchant_a.branding.primary_color != "#123456"


def test_rating_after_delivery_is_stored_and_announced(client, api_a):
    order = order_in_state(api_a, state="delivered", external_id="1014", locale="en")
    received = []

    def listener(sender, merchant, name, data, **kwargs):
        received.append((name, data["score"]))

    events.merchant_event.connect(listener)
    try:
        page = view(client, order)
        assert b"How was it?" in page.content
        response = client.post(f"/t/{order.tracking_token}/rating/", {"score": "4", "lang": "en"})
        assert response.status_code == 302
        client.post(f"/t/{order.tracking_token}/rating/", {"score": "4", "comment": "Lovely sofa"})
    finally:
        events.merchant_event.disconnect(listener)
    rating = Rating.objects.for_merchant(order.merchant).get(order=order)
    assert (rating.score, rating.comment) == (4, "Lovely sofa")
    assert received == [("rating.received", 4), ("rating.received", 4)]
    assert b"You rated your order 4 out of 5" in view(client, order).content


def test_rating_out_of_range_is_not_stored(client, api_a):
    order = order_in_state(api_a, state="delivered", external_id="1015")
    client.post(f"/t/{order.tracking_token}/rating/", {"score": "9"})
    assert not Rating.objects.for_merchant(order.merchant).exists()


def test_impressions_are_recorded_for_counted_views(client, api_a, merchant_a):
    catalogue(merchant_a)
    order = order_in_state(api_a, state="in_transit", external_id="1016")
    view(client, order)
    view(client, order)
    client.get(f"/t/{order.tracking_token}/", HTTP_USER_AGENT="bingbot/2.0")
    visits_flush()
    shown = CrossSellImpression.objects.for_merchant(merchant_a)
    assert shown.count() == 6  # three slots, two counted views
    assert set(shown.values_list("slot", flat=True)) == {1, 2, 3}


def test_rules_outrank_best_sellers(client, api_a, merchant_a):
    products = catalogue(merchant_a)
    CrossSellRule.objects.create(
        merchant=merchant_a, trigger_sku="SOFA-1", product=products["CARE-1"], kind="complement"
    )
    order = order_in_state(api_a, state="in_transit", external_id="1017", locale="en")
    html = view(client, order).content.decode()
    names = re.findall(r'class="product__name">([^<]+)<', html)
    assert names == ["Fabric care kit", "Alpaca throw, sand", "Wool cushion, moss green"]


def test_rating_before_delivery_is_not_stored(client, api_a):
    order = order_in_state(api_a, state="in_transit", external_id="1018")
    assert b"How was it?" not in view(client, order).content
    client.post(f"/t/{order.tracking_token}/rating/", {"score": "5"})
    assert not Rating.objects.for_merchant(order.merchant).exists()


def test_cancelled_order_says_so_instead_of_a_delivery_date(client, api_a):
    order = order_in_state(api_a, state="in_transit", external_id="1019", locale="en")
    order.cancelled_at = timezone.now()
    order.save()
    html = view(client, order).content.decode()
    assert "This order was cancelled" in html
    assert "Arriving" not in html.split("</h1>")[0]


def test_repeated_visits_are_summed_up_for_the_worry_signal(client, api_a):
    from tracking.selectors import order_visit_summary

    order = order_in_state(api_a, state="delayed", external_id="1020")
    for _ in range(3):
        view(client, order)
    view(client, order, HTTP_USER_AGENT="Mozilla/5.0 (iPhone) Mobile Safari/604.1")
    visits_flush()
    summary = order_visit_summary(merchant=order.merchant, order_id=order.pk)
    assert (summary.visits, summary.visitors) == (4, 2)
    assert summary.last_visit_at is not None
