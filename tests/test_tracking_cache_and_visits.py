"""The tracking page served from Redis without SQL, and its views buffered and written once.

A cached page must never outlive what it shows (order, shipments, merchant's
content, the buyer, the day, the token); a buffered view must reach the database
exactly once whatever dies in between; Redis being down costs speed, not views.
"""

import re
import secrets
import time
from datetime import datetime, timedelta

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orders.integrations.services import order_cancel
from orders.models import Order, Product
from tests.conftest import make_payload
from tests.processes import celery_beat, celery_worker, process_env, wait_for
from tests.tracking_helpers import add_event, catalogue, order_in_state
from tracking import cache as page_cache
from tracking import redis_client as redis_client_module
from tracking import tasks, visit_buffer
from tracking.models import CrossSellImpression, CrossSellRule, Rating, TrackingVisit
from tracking.rendering import end_of_local_day, local_zone
from tracking.services import visits_flush, visits_write
from tracking.visit_buffer import Visit, new_page_view

pytestmark = [pytest.mark.django_db, pytest.mark.services]

BROWSER = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Version/17.5 Safari/605.1.15"
)


def view(client, order, query="", **headers):
    headers.setdefault("HTTP_USER_AGENT", BROWSER)
    return client.get(f"/t/{order.tracking_token}/{query}", **headers)


def queries_of_view(client, order, query="", **headers) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = view(client, order, query, **headers)
    assert response.status_code == 200
    return len(queries)


def visits_of(order):
    return TrackingVisit.objects.for_merchant(order.merchant).filter(order=order)


@pytest.fixture
def order(api_a):
    return order_in_state(api_a, state="in_transit", external_id="C-1", locale="en")


# --- a hit costs no SQL, and says the same as a miss ---------------------------------


def test_second_view_is_served_without_sql_and_with_the_same_headers(client, api_a):
    delivered = order_in_state(api_a, state="delivered", external_id="C-D", locale="en")
    first = view(client, delivered)
    client.cookies.clear()
    with CaptureQueriesContext(connection) as queries:
        second = view(client, delivered)
    assert len(queries) == 0
    for header in (
        "Content-Security-Policy",
        "X-Robots-Tag",
        "Cache-Control",
        "Referrer-Policy",
        "Content-Language",
    ):
        assert second[header] == first[header], header
    # The rating form carries this request's CSRF token, never the cached placeholder.
    html = second.content.decode()
    tokens = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html))
    assert len(tokens) == 1
    assert not tokens.pop().startswith("csrf-")
    buyer = Client(enforce_csrf_checks=True, HTTP_USER_AGENT=BROWSER)
    page = buyer.get(f"/t/{delivered.tracking_token}/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())[1]
    rated = buyer.post(
        f"/t/{delivered.tracking_token}/rating/", {"score": "5", "csrfmiddlewaretoken": token}
    )
    assert rated.status_code == 302
    assert Rating.objects.for_merchant(delivered.merchant).get().score == 5


def test_only_a_page_with_the_rating_form_sets_a_csrf_cookie(client, api_a):
    in_transit = order_in_state(api_a, state="in_transit", external_id="C-T", locale="en")
    delivered = order_in_state(api_a, state="delivered", external_id="C-D", locale="en")
    for _ in range(2):  # a miss, then a hit
        client.cookies.clear()
        page = view(client, in_transit)
        assert "csrfmiddlewaretoken" not in page.content.decode()
        assert "csrftoken" not in page.cookies
    assert "csrftoken" in view(client, delivered).cookies


def test_a_hit_served_before_the_session_middleware_keeps_every_security_header(client, order):
    view(client, order)
    hit = view(client, order, secure=True)
    assert hit["X-Frame-Options"] == "DENY"
    assert hit["Permissions-Policy"] == "camera=(), microphone=(), geolocation=()"
    assert hit["X-Content-Type-Options"] == "nosniff"
    assert hit["Strict-Transport-Security"].startswith("max-age=")
    assert "frame-ancestors 'none'" in hit["Content-Security-Policy"]
    assert hit["Cache-Control"] == "private, no-store"
    assert int(hit["Content-Length"]) == len(hit.content)
    assert "sessionid" not in hit.cookies and "csrftoken" not in hit.cookies
    # The Host header is still checked against ALLOWED_HOSTS.
    assert view(client, order, HTTP_HOST="evil.example").status_code == 400


def test_a_hit_on_the_page_with_the_rating_form_counts_one_view(client, api_a):
    # That hit needs the CSRF middleware: the view finishes what the cache middleware began.
    delivered = order_in_state(api_a, state="delivered", external_id="C-D", locale="en")
    view(client, delivered)
    client.cookies.clear()
    assert queries_of_view(client, delivered) == 0
    visits_flush()
    assert visits_of(delivered).count() == 2


def test_each_language_is_its_own_cached_page(client, order):
    assert '<html lang="en">' in view(client, order).content.decode()
    assert '<html lang="de">' in view(client, order, "?lang=de").content.decode()
    assert queries_of_view(client, order) == 0
    assert queries_of_view(client, order, "?lang=de") == 0
    assert view(client, order, "?lang=de")["Content-Language"] == "de"


@override_settings(TOKEN_PROBE_LIMIT=3, TOKEN_PROBE_WINDOW=600)
def test_a_client_blocked_for_guessing_tokens_gets_no_page_even_from_the_cache(client, order):
    view(client, order)  # now in the cache
    prober = Client(REMOTE_ADDR="203.0.113.9", HTTP_USER_AGENT=BROWSER)
    guesses = [prober.get(f"/t/{secrets.token_urlsafe(24)}/").status_code for _ in range(5)]
    assert guesses == [404, 404, 404, 404, 429]  # the fourth miss is over the limit
    refused = prober.get(f"/t/{order.tracking_token}/")
    assert refused.status_code == 429 and refused.has_header("Retry-After")
    assert prober.get("/t/no/view/answers/this/").status_code == 429
    assert prober.post(f"/t/{order.merchant.slug}/", {"number": "1"}).status_code == 429
    assert prober.post(f"/t/{order.tracking_token}/rating/", {"score": "5"}).status_code == 429
    assert view(client, order).status_code == 200  # the buyer, from another address
    visits_flush()
    assert visits_of(order).count() == 2  # the buyer's two views; the prober's none


# --- invalidation: every change shows on the next view -----------------------------------


def test_an_order_change_shows_at_once(client, order):
    view(client, order)
    order.cancelled_at = timezone.now()
    order.save()
    assert "This order was cancelled" in view(client, order).content.decode()


def test_a_reposted_order_with_only_new_item_details_shows_at_once(client, api_a, order):
    view(client, order)
    payload = make_payload("C-1", locale="en")
    payload["items"][0]["name"] = "Sofa Hygge, now in velvet"
    assert api_a.post("/api/v1/orders/", payload, format="json").status_code == 200
    assert "Sofa Hygge, now in velvet" in view(client, order).content.decode()


def test_a_cancellation_from_a_shop_integration_shows_at_once(client, merchant_a, order):
    view(client, order)
    order_cancel(merchant=merchant_a, order=order, cancelled_at=timezone.now())  # update()
    assert "This order was cancelled" in view(client, order).content.decode()


def test_a_new_shipment_event_shows_at_once(client, api_a, order):
    view(client, order)
    add_event(api_a, order.shipments.get(), "delayed", hours_ago=0.1, message="Storm at sea")
    assert "Storm at sea" in view(client, order).content.decode()


def test_a_cross_sell_change_shows_at_once(client, merchant_a, order):
    products = catalogue(merchant_a)
    assert "Fabric care kit" not in view(client, order).content.decode()
    CrossSellRule.objects.create(
        merchant=merchant_a, trigger_sku="SOFA-1", product=products["CARE-1"]
    )
    assert "Fabric care kit" in view(client, order).content.decode()
    Product.objects.for_merchant(merchant_a).filter(sku="CARE-1").first().delete()
    assert "Fabric care kit" not in view(client, order).content.decode()


def test_a_rotated_token_stops_working_at_once(client, order):
    old = order.tracking_token
    view(client, order)
    order.tracking_token = "rotated-" + old[:20]
    order.save()
    assert client.get(f"/t/{old}/", HTTP_USER_AGENT=BROWSER).status_code == 404
    assert view(client, order).status_code == 200


def test_an_erased_buyers_page_is_gone_at_once(client, api_a, order):
    assert view(client, order).status_code == 200
    assert view(client, order).status_code == 200  # cached
    response = api_a.post(f"/api/v1/customers/{order.customer_id}/erase/", format="json")
    assert response.status_code == 200
    assert view(client, order).status_code == 404
    assert client.get(f"/t/{order.tracking_token}/rating/").status_code in (404, 405)


def test_a_deactivated_merchant_pages_are_gone_at_once(client, merchant_a, order):
    view(client, order)
    merchant_a.is_active = False
    merchant_a.save()
    assert view(client, order).status_code == 404


def test_a_buyer_time_zone_change_renders_afresh(client, order):
    view(client, order)
    assert queries_of_view(client, order) == 0
    customer = order.customer
    customer.timezone = "America/New_York"
    customer.save()
    assert queries_of_view(client, order) > 0
    assert queries_of_view(client, order) == 0


def test_a_new_local_day_renders_afresh(client, order, monkeypatch):
    view(client, order)
    assert queries_of_view(client, order) == 0
    tomorrow = end_of_local_day(order) + 60
    monkeypatch.setattr(time, "time", lambda: tomorrow)
    assert queries_of_view(client, order) > 0


def test_the_local_day_ends_at_the_buyers_midnight(order):
    zone = local_zone(order)
    end = datetime.fromtimestamp(end_of_local_day(order), tz=zone)
    assert (end.hour, end.minute, end.second) == (0, 0, 0)
    assert end.date() == timezone.now().astimezone(zone).date() + timedelta(days=1)


def test_lost_versions_render_afresh(client, order):
    view(client, order)
    page_cache.client().delete(page_cache.version_key(page_cache.ORDER, order.pk))
    assert queries_of_view(client, order) > 0
    assert queries_of_view(client, order) == 0


# --- buffered views: written once, whatever dies in between -------------------------------


def test_buffered_views_land_once_with_their_impressions(client, merchant_a, order):
    catalogue(merchant_a)
    view(client, order, "?src=email")  # rendered
    view(client, order)  # from the cache
    view(client, order, HTTP_USER_AGENT="Googlebot/2.1")  # a bot, from the cache
    assert not visits_of(order).exists()  # buffered, not yet written

    assert visits_flush() == 2
    assert visits_flush() == 0
    assert sorted(visits_of(order).values_list("source", flat=True)) == ["direct", "email"]
    impressions = CrossSellImpression.objects.for_merchant(merchant_a)
    assert impressions.count() == 6
    assert set(impressions.values_list("slot", flat=True)) == {1, 2, 3}
    assert visit_buffer.pending_count() == 0


def test_a_flush_that_dies_after_reading_loses_nothing(client, order, monkeypatch):
    view(client, order)
    view(client, order)
    assert len(visit_buffer.read(count=100)) == 2  # ... and the flush dies here
    assert visits_flush() == 0  # still pending for the dead flush, not yet reclaimable
    assert not visits_of(order).exists()

    monkeypatch.setattr(visit_buffer, "RECLAIM_IDLE_MS", 0)
    assert visits_flush() == 2
    assert visits_of(order).count() == 2
    assert visit_buffer.pending_count() == 0


def test_a_flush_that_dies_after_writing_counts_nothing_twice(
    client, merchant_a, order, monkeypatch
):
    catalogue(merchant_a)
    view(client, order)
    entries = visit_buffer.read(count=100)
    visits_write([visit for _id, visit in entries])  # committed, then the flush dies
    assert visits_of(order).count() == 1

    monkeypatch.setattr(visit_buffer, "RECLAIM_IDLE_MS", 0)
    assert visits_flush() == 1
    assert visits_of(order).count() == 1
    assert CrossSellImpression.objects.for_merchant(merchant_a).count() == 3


def test_views_keep_their_own_time_and_their_orders_merchant(api_b, merchant_a, merchant_b, order):
    b_order = order_in_state(api_b, state="in_transit", external_id="C-B")
    an_hour_ago = time.time() - 3600
    for some_order in (order, b_order):
        visit_buffer.add(
            Visit(
                view=new_page_view(client_hash="h", source="sms", at=an_hour_ago),
                merchant_id=some_order.merchant_id,
                order_id=some_order.pk,
                shown=(),
            )
        )
    visits_flush()
    a_visit = TrackingVisit.objects.for_merchant(merchant_a).get()
    b_visit = TrackingVisit.objects.for_merchant(merchant_b).get()
    assert (a_visit.order_id, b_visit.order_id) == (order.pk, b_order.pk)
    assert abs(a_visit.visited_at.timestamp() - an_hour_ago) < 0.01


def test_a_view_buffered_before_erasure_is_written_without_the_fingerprint(client, api_a, order):
    view(client, order)
    api_a.post(f"/api/v1/customers/{order.customer_id}/erase/", format="json")
    visits_flush()
    assert list(visits_of(order).values_list("client_hash", flat=True)) == [""]


def test_views_of_a_deleted_order_are_dropped_not_stuck(client, api_a, order):
    other = order_in_state(api_a, state="in_transit", external_id="C-2")
    view(client, order)
    view(client, other)
    order_id = order.pk
    Order.objects.for_merchant(order.merchant).filter(pk=order_id).delete()
    assert visits_flush() == 2
    assert visits_of(other).count() == 1
    assert (
        not TrackingVisit.objects.unscoped(reason="test: any merchant's visit of that order")
        .filter(order_id=order_id)
        .exists()
    )
    assert visit_buffer.pending_count() == 0


def test_an_unreadable_entry_does_not_block_the_others(client, order):
    page_cache.client().xadd(visit_buffer.STREAM, {"garbage": "1"})
    view(client, order)
    assert visits_flush() == 2
    assert visits_of(order).count() == 1


def test_the_beat_task_flushes(client, order):
    entry = settings.CELERY_BEAT_SCHEDULE["flush-tracking-visits"]
    assert entry["task"] == tasks.flush_tracking_visits.name
    view(client, order)
    assert tasks.flush_tracking_visits() == 1
    assert visits_of(order).count() == 1


@pytest.mark.django_db(transaction=True)
def test_real_beat_and_worker_write_the_buffered_views(client, order, tmp_path):
    env = process_env(TRACKING_VISIT_FLUSH_SECONDS="0.5")
    with (
        celery_worker(tmp_path / "worker.log", env=env),
        celery_beat(tmp_path / "beat.log", schedule_file=tmp_path / "beat-schedule", env=env),
    ):
        view(client, order)
        view(client, order, "?src=sms")
        wait_for(lambda: visits_of(order).count() == 2, timeout=30)
    assert visit_buffer.pending_count() == 0


def test_a_hit_survives_a_dropped_redis_connection_and_a_script_redis_forgot(
    client, order, monkeypatch
):
    view(client, order)
    r = redis_client_module.redis_client()
    # The pooled connection is closed by the server (as when Redis restarts): reconnected.
    other = redis.Redis.from_url(settings.REDIS_URL)
    other.client_kill_filter(_id=r.client_id())
    assert queries_of_view(client, order) == 0
    # A script Redis does not have (restarted, or SCRIPT FLUSH): loaded again, still a hit.
    monkeypatch.setattr(
        page_cache, "_hit_script", r.register_script(f"{page_cache._HIT}-- {secrets.token_hex(8)}")
    )
    assert queries_of_view(client, order) == 0
    visits_flush()
    assert visits_of(order).count() == 3


# --- Redis down: the page still answers and the view is written directly -------------------


@pytest.fixture
def redis_down(monkeypatch):
    dead = redis_client_module.connect("redis://127.0.0.1:1/0")  # nothing listens there
    monkeypatch.setattr(redis_client_module, "_client", dead)
    monkeypatch.setattr(page_cache, "_hit_script", None)


def test_with_redis_down_the_page_answers_and_the_view_is_written_at_once(
    client, merchant_a, order, redis_down
):
    catalogue(merchant_a)
    assert view(client, order).status_code == 200
    assert view(client, order, "?src=sms").status_code == 200
    assert sorted(visits_of(order).values_list("source", flat=True)) == ["direct", "sms"]
    assert CrossSellImpression.objects.for_merchant(merchant_a).count() == 6


def test_once_redis_failed_a_view_does_not_ask_it_again(client, order, redis_down, monkeypatch):
    """A Redis that hangs (rather than refuses) would cost every further call its timeout."""
    from tracking import visit_buffer

    asked = []
    monkeypatch.setattr(page_cache, "versions", lambda **kw: asked.append("versions"))
    monkeypatch.setattr(visit_buffer, "add", lambda visit: asked.append("buffer") or True)
    assert view(client, order).status_code == 200
    assert asked == [] and visits_of(order).count() == 1


def test_a_view_both_buffered_and_written_directly_counts_once(order):
    # Redis took the entry but the answer was lost: the view was also written directly.
    visit = Visit(
        view=new_page_view(client_hash="h", source="direct", at=time.time()),
        merchant_id=order.merchant_id,
        order_id=order.pk,
        shown=(),
    )
    assert visit_buffer.add(visit)
    visits_write([visit])
    visits_flush()
    assert visits_of(order).count() == 1
