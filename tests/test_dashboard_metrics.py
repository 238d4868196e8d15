"""The metrics page's figures equal counts computed independently from the rows we made.

Nordic Living (A) gets a seeded, varied history of orders, messages, visits, calls,
shipments and ratings; Bergmann Möbel (B) gets the same, which must never count for A.
"""

import csv
import datetime as dt
import io
import random
import zoneinfo
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from dashboard import metrics
from followups.models import FollowUpCall, Outcome
from notifications.models import Touchpoint
from orders.models import Customer, Order, Product, Shipment
from tracking.models import CrossSellClick, CrossSellImpression, Rating, TrackingVisit

pytestmark = pytest.mark.django_db

CPH = zoneinfo.ZoneInfo("Europe/Copenhagen")
FIRST, LAST = dt.date(2026, 11, 10), dt.date(2026, 11, 16)
NOW = dt.datetime(2026, 11, 17, 12, 0, tzinfo=CPH)


def local(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=CPH)


def make_history(merchant, seed: int, staff: list) -> list[dict]:
    """Rows with random but known facts; returns the facts for independent counting."""
    rng = random.Random(seed)
    customer = Customer.objects.create(merchant=merchant, email=f"c{seed}@example.com")
    plaid = Product.objects.create(merchant=merchant, sku=f"PLAID-{seed}", name="Plaid")
    facts = []
    for index in range(40):
        # Spread over the previous period, this one and a few days around both.
        placed = local(FIRST + dt.timedelta(days=rng.randint(-9, 8)), rng.choice([0, 1, 9, 23]))
        order = Order.objects.create(
            merchant=merchant,
            customer=customer,
            external_id=f"{seed}-{index}",
            number=f"#{seed}-{index}",
            placed_at=placed,
            currency="DKK",
            total=Decimal("100"),
            locale="da",
            cancelled_at=placed + dt.timedelta(hours=2) if rng.random() < 0.2 else None,
        )
        fact = {
            "number": order.number,
            "placed": placed,
            "cancelled": order.cancelled_at is not None,
        }
        fact["visits"] = [
            placed + dt.timedelta(hours=rng.randint(1, 200)) for _ in range(rng.randint(0, 5))
        ]
        fact["visit_sources"] = [rng.choice(["email", "sms", "direct"]) for _ in fact["visits"]]
        for at, source in zip(fact["visits"], fact["visit_sources"], strict=True):
            visit = TrackingVisit.objects.create(
                merchant=merchant, order=order, client_hash="x", source=source
            )
            TrackingVisit.objects.for_merchant(merchant).filter(pk=visit.pk).update(visited_at=at)
        congrats_status = rng.choice(["sent", "delivered", "failed", "scheduled"])
        sent_at = placed + dt.timedelta(minutes=1) if congrats_status != "scheduled" else None
        Touchpoint.objects.create(
            merchant=merchant,
            order=order,
            kind="congratulation",
            channel="email",
            status=congrats_status,
            due_at=placed,
            sent_at=sent_at,
            delivered_at=sent_at + dt.timedelta(minutes=1)
            if congrats_status == "delivered"
            else None,
        )
        fact["congrats"] = (congrats_status, sent_at)
        fact["updates"] = []
        for n in range(rng.randint(0, 3)):
            channel = rng.choice(["email", "sms"])
            status = rng.choice(["sent", "delivered", "failed", "skipped"])
            due = placed + dt.timedelta(hours=rng.randint(1, 100))
            Touchpoint.objects.create(
                merchant=merchant,
                order=order,
                kind="shipment_update",
                channel=channel,
                cause=f"shipment:{n}",
                status=status,
                due_at=due,
                sent_at=due if status in ("sent", "delivered", "failed") else None,
                delivered_at=due if status == "delivered" else None,
            )
            fact["updates"].append((channel, status, due))
        call_status = rng.choice(["scheduled", "queued", "completed", "skipped"])
        call_due = placed + dt.timedelta(days=1)
        outcome = rng.choice(list(Outcome.values)) if call_status == "completed" else ""
        assignee = rng.choice(staff)
        touchpoint = Touchpoint.objects.create(
            merchant=merchant,
            order=order,
            kind="followup_call",
            channel="call",
            status="done" if call_status == "completed" else "scheduled",
            due_at=call_due,
        )
        FollowUpCall.objects.create(
            merchant=merchant,
            touchpoint=touchpoint,
            order=order,
            assignee=assignee,
            status=call_status,
            due_at=call_due,
            outcome=outcome,
        )
        fact["call"] = (call_status, call_due, outcome, assignee)
        shipment_status = rng.choice([None, "in_transit", "delivered", "returned_to_sender"])
        if shipment_status:
            Shipment.objects.create(
                merchant=merchant,
                order=order,
                carrier="gls",
                tracking_number=f"T{index}",
                status=shipment_status,
            )
        fact["shipment"] = shipment_status
        fact["impressions"] = [
            placed + dt.timedelta(hours=rng.randint(1, 72)) for _ in range(rng.randint(0, 3))
        ]
        for at in fact["impressions"]:
            row = CrossSellImpression.objects.create(
                merchant=merchant, order=order, product=plaid, slot=1
            )
            CrossSellImpression.objects.for_merchant(merchant).filter(pk=row.pk).update(shown_at=at)
        fact["clicks"] = fact["impressions"][:1] if rng.random() < 0.4 else []
        for at in fact["clicks"]:
            row = CrossSellClick.objects.create(
                merchant=merchant, order=order, product=plaid, slot=1
            )
            CrossSellClick.objects.for_merchant(merchant).filter(pk=row.pk).update(clicked_at=at)
        fact["rating"] = None
        if rng.random() < 0.5:
            score = rng.randint(1, 5)
            rated_at = placed + dt.timedelta(days=rng.randint(0, 6))
            rating = Rating.objects.create(merchant=merchant, order=order, score=score)
            Rating.objects.for_merchant(merchant).filter(pk=rating.pk).update(created_at=rated_at)
            fact["rating"] = (score, rated_at)
        facts.append(fact)
    return facts


def expected(facts, start: dt.datetime, end: dt.datetime) -> dict:
    """Plain Python over the facts: the independent count."""

    def inside(at):
        return at is not None and start <= at < end

    placed = [f for f in facts if inside(f["placed"])]
    congrats = [f["congrats"] for f in facts if inside(f["congrats"][1])]
    clicked = sum(1 for f in facts if inside(f["congrats"][1]) and "email" in f["visit_sources"])
    updates = [u for f in facts for u in f["updates"] if inside(u[2])]
    calls = [f["call"] for f in facts if inside(f["call"][1])]
    ratings = [f["rating"] for f in facts if f["rating"] and inside(f["rating"][1])]
    shipments = [f["shipment"] for f in placed if f["shipment"]]
    visit_counts = [len(f["visits"]) for f in placed]
    return {
        "orders": len(placed),
        "cancelled": sum(f["cancelled"] for f in placed),
        "congrats_sent": len(congrats),
        "congrats_delivered": sum(1 for s, _ in congrats if s == "delivered"),
        "congrats_clicked": clicked,
        "updates_email_sent": sum(
            1 for c, s, _ in updates if c == "email" and s in ("sent", "delivered", "failed")
        ),
        "updates_sms_sent": sum(
            1 for c, s, _ in updates if c == "sms" and s in ("sent", "delivered", "failed")
        ),
        "updates_delivered": sum(1 for _, s, _ in updates if s == "delivered"),
        "updates_skipped": sum(1 for _, s, _ in updates if s == "skipped"),
        "calls_due": len(calls),
        "calls_done": sum(1 for c in calls if c[0] == "completed"),
        "calls_overdue": sum(1 for c in calls if c[0] in ("scheduled", "queued") and c[1] < NOW),
        "calls_by_manager": {
            (who.email if who else None): (
                sum(1 for c in calls if c[3] == who),
                sum(1 for c in calls if c[3] == who and c[2] == "reached_happy"),
                sum(1 for c in calls if c[3] == who and c[2] == "reached_concerned"),
            )
            for who in {c[3] for c in calls}
        },
        "visits": sum(visit_counts),
        "over_two": sum(1 for n in visit_counts if n > 2),
        "impressions": sum(1 for f in facts for at in f["impressions"] if inside(at)),
        "clicks": sum(1 for f in facts for at in f["clicks"] if inside(at)),
        "ratings": len(ratings),
        "rating_avg": round(sum(s for s, _ in ratings) / len(ratings), 2) if ratings else None,
        "shipments": len(shipments),
        "returned": sum(1 for s in shipments if s == "returned_to_sender"),
        "orders_per_day": [
            sum(
                1
                for f in placed
                if f["placed"].astimezone(CPH).date() == start.date() + dt.timedelta(days=i)
            )
            for i in range((end - start).days)
        ],
    }


@pytest.fixture
def histories(merchant_a, merchant_b, alice, anders, bob):
    facts_a = make_history(merchant_a, seed=7, staff=[alice, anders, None])
    make_history(merchant_b, seed=8, staff=[bob, None])  # noise that must never count for A
    return facts_a


def assert_metrics_match(data: dict, want: dict):
    assert data["outcomes"]["orders"] == want["orders"]
    assert data["outcomes"]["cancelled"] == want["cancelled"]
    assert data["congratulations"]["sent"] == want["congrats_sent"]
    assert data["congratulations"]["delivered"] == want["congrats_delivered"]
    assert data["congratulations"]["clicked"] == want["congrats_clicked"]
    updates = data["shipment_updates"]
    assert updates["by_channel"]["email"]["sent"] == want["updates_email_sent"]
    assert updates["by_channel"]["sms"]["sent"] == want["updates_sms_sent"]
    assert updates["total"]["delivered"] == want["updates_delivered"]
    assert updates["total"]["skipped"] == want["updates_skipped"]
    assert data["calls"]["due"] == want["calls_due"]
    assert data["calls"]["done"] == want["calls_done"]
    assert data["calls"]["overdue"] == want["calls_overdue"]
    assert {
        row["assignee__email"]: (row["due"], row["happy"], row["concerned"])
        for row in data["calls_by_manager"]
    } == want["calls_by_manager"]
    assert data["visits"]["visits"] == want["visits"]
    assert data["visits"]["over_two"] == want["over_two"]
    assert data["cross_sell"]["impressions"] == want["impressions"]
    assert data["cross_sell"]["clicks"] == want["clicks"]
    assert data["outcomes"]["ratings"] == want["ratings"]
    assert data["outcomes"]["average"] == want["rating_avg"]
    assert data["outcomes"]["shipments"] == want["shipments"]
    assert data["outcomes"]["returned"] == want["returned"]
    assert data["series"]["orders"] == want["orders_per_day"]


def test_metrics_equal_independent_counts_for_period_and_previous(merchant_a, histories):
    period = metrics.period_between(merchant=merchant_a, first=FIRST, last=LAST)
    assert period.start == local(FIRST, 0) and period.end == local(LAST + dt.timedelta(days=1), 0)
    current = metrics.all_metrics(merchant=merchant_a, period=period, now=NOW)
    want = expected(histories, period.start, period.end)
    assert want["orders"] > 5 and want["visits"] > 5  # the seed gives something to count
    assert_metrics_match(current, want)

    previous = period.previous()
    assert previous.end == period.start and len(previous.days) == 7
    assert_metrics_match(
        metrics.all_metrics(merchant=merchant_a, period=previous, now=NOW),
        expected(histories, previous.start, previous.end),
    )


def test_metrics_cost_a_fixed_number_of_queries(merchant_a, alice, histories):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    period = metrics.period_between(merchant=merchant_a, first=FIRST, last=LAST)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            metrics.all_metrics(merchant=merchant_a, period=period, now=NOW)
        return len(captured)

    before = queries()
    make_history(merchant_a, seed=9, staff=[alice, None])  # twice the rows
    assert queries() == before <= 16


def test_metrics_csv_export_has_the_same_figures(merchant_a, alice, histories):
    client = Client()
    client.force_login(alice)
    response = client.get(
        reverse("dashboard:metrics_csv"), {"start": FIRST.isoformat(), "end": LAST.isoformat()}
    )
    assert response.status_code == 200
    rows = {row[0]: row[1:] for row in csv.reader(io.StringIO(response.content.decode()))}
    period = metrics.period_between(merchant=merchant_a, first=FIRST, last=LAST)
    want = expected(histories, period.start, period.end)
    want_previous = expected(histories, *_bounds(period.previous()))
    assert rows["Orders placed"] == [str(want["orders"]), str(want_previous["orders"])]
    assert rows["Congratulation emails sent"][0] == str(want["congrats_sent"])
    assert rows["Ratings received"][0] == str(want["ratings"])


def _bounds(period):
    return period.start, period.end


def test_metrics_page_draws_charts_from_the_data(merchant_a, alice, histories):
    client = Client()
    client.force_login(alice)
    response = client.get(
        reverse("dashboard:metrics"), {"start": FIRST.isoformat(), "end": LAST.isoformat()}
    )
    assert response.status_code == 200
    html = response.content.decode()
    for chart in ("orders", "visits", "congratulations", "shipment-updates", "calls", "ratings"):
        assert f'data-chart="{chart}"' in html
    period = metrics.period_between(merchant=merchant_a, first=FIRST, last=LAST)
    want = expected(histories, period.start, period.end)
    assert f'data-bar="Due" data-value="{want["calls_due"]}"' in html


def at_risk_by_hand(facts, now: dt.datetime) -> set[str]:
    """Open orders with a problem shipment, a failed message, a rating of 1-2, a concerned
    call, or 3+ tracking visits in the last 30 days: the independent count."""
    recent = now - dt.timedelta(days=30)
    return {
        f["number"]
        for f in facts
        if not f["cancelled"]
        and (
            f["shipment"] == "returned_to_sender"
            or f["congrats"][0] == "failed"
            or any(status == "failed" for _, status, _ in f["updates"])
            or (f["rating"] is not None and f["rating"][0] <= 2)
            or f["call"][2] == "reached_concerned"
            or sum(1 for at in f["visits"] if at >= recent) >= 3
        )
    }


def test_orders_at_risk_are_the_open_orders_with_a_warning_sign(merchant_a, histories):
    from orders.risk import orders_at_risk

    at_risk = orders_at_risk(merchant=merchant_a, now=NOW)

    want = at_risk_by_hand(histories, NOW)
    assert 0 < len(want) < len(histories)  # the seed gives both kinds
    assert set(at_risk.values_list("number", flat=True)) == want
    assert at_risk.count() == len(want)  # each order once, whatever number of signs


def test_visits_long_ago_do_not_put_an_order_at_risk_now(merchant_a):
    from orders.risk import orders_at_risk

    customer = Customer.objects.create(merchant=merchant_a, email="old@example.com")
    order = Order.objects.create(
        merchant=merchant_a,
        customer=customer,
        external_id="old",
        number="#old",
        placed_at=NOW - dt.timedelta(days=60),
        currency="DKK",
        total=Decimal("100"),
        locale="da",
    )
    for days_ago in (45, 40, 2):
        visit = TrackingVisit.objects.create(
            merchant=merchant_a, order=order, client_hash="x", source="direct"
        )
        TrackingVisit.objects.for_merchant(merchant_a).filter(pk=visit.pk).update(
            visited_at=NOW - dt.timedelta(days=days_ago)
        )

    assert not orders_at_risk(merchant=merchant_a, now=NOW).exists()
    assert orders_at_risk(merchant=merchant_a, now=NOW - dt.timedelta(days=20)).count() == 1


def test_period_is_whole_local_days_across_dst(merchant_a):
    # 2026-10-25 is the autumn DST change in Copenhagen: that day has 25 hours.
    period = metrics.period_between(
        merchant=merchant_a, first=dt.date(2026, 10, 24), last=dt.date(2026, 10, 26)
    )
    assert period.days == [dt.date(2026, 10, 24), dt.date(2026, 10, 25), dt.date(2026, 10, 26)]
    utc = dt.UTC
    assert period.end.astimezone(utc) - period.start.astimezone(utc) == dt.timedelta(hours=73)
