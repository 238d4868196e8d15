"""The remorse-risk score: each warning sign, its weight, the order of the queue, the cost."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from followups import risk
from followups.models import CallSettings
from followups.selectors import call_queue
from followups.services import call_record_outcome
from notifications.models import Touchpoint
from orders.models import Shipment
from tests.followups_factories import call_of, make_due_now, place_order
from tracking.models import TrackingVisit

pytestmark = pytest.mark.django_db


def entry_for(merchant, order):
    return next(e for e in call_queue(merchant=merchant) if e.order.pk == order.pk)


@pytest.fixture
def annas_order(merchant_a, anders):
    order = place_order(merchant_a, "1", total="1000.00")
    make_due_now(call_of(order))
    return order


def test_a_first_time_buyer_with_nothing_wrong_scores_only_the_first_order(merchant_a, annas_order):
    entry = entry_for(merchant_a, annas_order)
    assert (entry.risk.score, entry.risk.level) == (risk.WEIGHT_FIRST_TIME, "low")
    assert entry.risk.reasons == ["First order with you"]


def test_a_returning_buyer_with_nothing_wrong_scores_zero(merchant_a, anders):
    place_order(
        merchant_a, "0", email="anna@holm.dk", placed_at=timezone.now() - dt.timedelta(days=90)
    )
    order = place_order(merchant_a, "1", email="anna@holm.dk", total="100.00")
    make_due_now(call_of(order))
    entry = entry_for(merchant_a, order)
    assert (entry.risk.score, entry.risk.reasons) == (0, [])


@pytest.mark.parametrize(("visits", "weight"), [(2, 0), (3, 20), (6, 30)])
def test_repeated_tracking_visits_add_weight(merchant_a, annas_order, visits, weight):
    for n in range(visits):
        TrackingVisit.objects.create(merchant=merchant_a, order=annas_order, client_hash=str(n))
    assert entry_for(merchant_a, annas_order).risk.score == risk.WEIGHT_FIRST_TIME + weight


def test_delayed_shipment_and_passed_delivery_date_each_count(merchant_a, annas_order):
    Shipment.objects.create(
        merchant=merchant_a,
        order=annas_order,
        carrier="GLS",
        tracking_number="1",
        status="delayed",
        estimated_delivery=timezone.now().date() - dt.timedelta(days=2),
    )
    entry = entry_for(merchant_a, annas_order)
    assert entry.risk.score == (
        risk.WEIGHT_FIRST_TIME + risk.WEIGHT_SHIPMENT_PROBLEM + risk.WEIGHT_DELIVERY_OVERDUE
    )
    assert "Estimated delivery date has passed" in entry.risk.reasons


def test_delivered_parcel_is_not_overdue(merchant_a, annas_order):
    Shipment.objects.create(
        merchant=merchant_a,
        order=annas_order,
        carrier="GLS",
        tracking_number="1",
        status="delivered",
        estimated_delivery=timezone.now().date() - dt.timedelta(days=2),
    )
    assert entry_for(merchant_a, annas_order).risk.score == risk.WEIGHT_FIRST_TIME


def test_bounced_email_counts(merchant_a, annas_order):
    Touchpoint.objects.for_merchant(merchant_a).filter(
        order=annas_order, kind="congratulation"
    ).update(status="failed")
    entry = entry_for(merchant_a, annas_order)
    assert entry.risk.score == risk.WEIGHT_FIRST_TIME + risk.WEIGHT_EMAIL_FAILED
    assert "An email to the buyer bounced" in entry.risk.reasons


def test_high_value_uses_the_merchants_threshold(merchant_a, annas_order):
    CallSettings.objects.create(merchant=merchant_a, high_value_threshold=Decimal("999"))
    assert "High order value" in entry_for(merchant_a, annas_order).risk.reasons


def test_an_earlier_concerned_call_raises_the_next_one(merchant_a, annas_order):
    call = call_of(annas_order)
    call_record_outcome(
        merchant=merchant_a, call=call, outcome="reached_concerned", follow_up="call_again"
    )
    make_due_now(call_of(annas_order))
    entry = entry_for(merchant_a, annas_order)
    assert entry.risk.score == risk.WEIGHT_FIRST_TIME + risk.WEIGHT_CONCERNED
    assert entry.risk.reasons[0] == "Sounded concerned on an earlier call"


def test_score_is_capped_at_100(merchant_a, annas_order):
    CallSettings.objects.create(merchant=merchant_a, high_value_threshold=Decimal("1"))
    for n in range(7):
        TrackingVisit.objects.create(merchant=merchant_a, order=annas_order, client_hash=str(n))
    Shipment.objects.create(
        merchant=merchant_a,
        order=annas_order,
        carrier="GLS",
        tracking_number="1",
        status="exception",
        estimated_delivery=timezone.now().date() - dt.timedelta(days=1),
    )
    Touchpoint.objects.for_merchant(merchant_a).filter(order=annas_order).update(status="failed")
    call_record_outcome(
        merchant=merchant_a,
        call=call_of(annas_order),
        outcome="reached_concerned",
        follow_up="call_again",
    )
    make_due_now(call_of(annas_order))
    assert entry_for(merchant_a, annas_order).risk.score == 100


def test_queue_is_riskiest_first_then_most_valuable(merchant_a, anders):
    calm_big = place_order(merchant_a, "1", first_name="Calm", total="9000.00")
    calm_small = place_order(merchant_a, "2", first_name="Small", total="100.00")
    worried = place_order(merchant_a, "3", first_name="Worried", total="500.00")
    for order in (calm_big, calm_small, worried):
        make_due_now(call_of(order))
    for n in range(3):
        TrackingVisit.objects.create(merchant=merchant_a, order=worried, client_hash=str(n))
    names = [e.order.customer.first_name for e in call_queue(merchant=merchant_a)]
    assert names == ["Worried", "Calm", "Small"]


def test_queue_leaves_out_cancelled_orders_and_erased_buyers(merchant_a, anders):
    kept = place_order(merchant_a, "1", first_name="Kept")
    cancelled = place_order(merchant_a, "2", first_name="Cancelled")
    erased = place_order(merchant_a, "3", first_name="Erased")
    for order in (kept, cancelled, erased):
        make_due_now(call_of(order))
    cancelled.cancelled_at = timezone.now()
    cancelled.save(update_fields=["cancelled_at"])
    erased.customer.erased_at = timezone.now()
    erased.customer.save(update_fields=["erased_at"])
    names = [e.order.customer.first_name for e in call_queue(merchant=merchant_a)]
    assert names == ["Kept"]


def test_whole_queue_is_scored_with_a_constant_number_of_queries(merchant_a, anders):
    def queries_for_queue():
        with CaptureQueriesContext(connection) as ctx:
            entries = call_queue(merchant=merchant_a)
        return len(entries), len(ctx.captured_queries)

    make_due_now(call_of(place_order(merchant_a, "0", first_name="P0")))
    one = queries_for_queue()
    for n in range(1, 12):
        order = place_order(merchant_a, str(n), first_name=f"P{n}")
        TrackingVisit.objects.create(merchant=merchant_a, order=order, client_hash="x")
        make_due_now(call_of(order))
    many = queries_for_queue()
    assert (one[0], many[0]) == (1, 12)
    assert many[1] == one[1] <= 2  # the call settings and the scored calls
