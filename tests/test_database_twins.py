"""The PostgreSQL-only statements and their SQLite twins: the same behaviour on both.

Four hot paths run one PostgreSQL statement where the ORM would need several, and the
embedded SQLite of `make run` runs the ORM instead (timed in #18.2: the statements
take a quarter to a half of the ORM's time per call, so they stay). The queues' lock
claim skips locked rows where the database can (tests/test_queueing.py). These tests
run on whichever database the suite has; .ci/run runs this module (and the other
`sqlite` marked tests) a second time on SQLite, so both twins of each place are tested.
"""

import ast
import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone

from notifications.history import touchpoint_transition, touchpoints_create_planned
from notifications.models import DeliveryAttempt, Suppression, Touchpoint, TouchpointStatusChange
from notifications.selectors import suppressed_addresses
from notifications.sending import _start_attempt
from orders.models import Customer
from orders.services import _order_and_customer_found
from tests.conftest import make_payload
from tests.processes import PROJECT_APPS

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

S = Touchpoint.Status

# Every branch on `connection.vendor` or `connection.features` in the code, by file and
# function: a new one needs its twin tested here (or by another `sqlite` marked test)
# before it joins this list.
TWINS = {
    ("orders/services.py", "_order_and_customer_found"),
    ("notifications/selectors.py", "suppressed_addresses"),
    ("notifications/sending.py", "_start_attempt"),
    # One statement for a send's outcome: tests/test_touchpoint_delivery.py (marked sqlite)
    # records a send and a send a delivery webhook got ahead of, on both databases.
    ("notifications/sending.py", "_write_sent"),
    ("notifications/history.py", "_move_with_history"),
    ("postpurchase/queueing.py", "claim"),  # FOR UPDATE SKIP LOCKED: tests/test_queueing.py
    # RETURNING or not: tests/test_performance_guards.py
    ("postpurchase/inserts.py", "insert_statement"),
    ("postpurchase/inserts.py", "insert_new_with_children"),
    ("notifications/history.py", "touchpoints_create_planned"),
    # Prepared on PostgreSQL, the same text as it is on SQLite: the callers' twin tests
    # above (insert_new, insert_new_with_children, touchpoints_create_planned, the lookup).
    ("postpurchase/prepared.py", "execute_fixed"),
}
ROOT = Path(__file__).resolve().parent.parent


def _asks_the_database(node: ast.AST) -> bool:
    """`connection.vendor` or `connection.features.<anything>`."""
    if not isinstance(node, ast.Attribute):
        return False
    if node.attr == "vendor" and isinstance(node.value, ast.Name):
        return node.value.id == "connection"
    inner = node.value
    return (
        isinstance(inner, ast.Attribute)
        and inner.attr == "features"
        and isinstance(inner.value, ast.Name)
        and inner.value.id == "connection"
    )


def _vendor_branches() -> set[tuple[str, str]]:
    found = set()
    for app in PROJECT_APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if not isinstance(node, ast.FunctionDef):
                    continue
                if any(_asks_the_database(inner) for inner in ast.walk(node)):
                    found.add((path.relative_to(ROOT).as_posix(), node.name))
    return found


def test_every_postgresql_only_branch_is_one_whose_twin_is_tested_here():
    assert _vendor_branches() == TWINS


def _sending(api, merchant) -> Touchpoint:
    """The congratulation of a new order, claimed by a sender a minute ago."""
    assert api.post("/api/v1/orders/", make_payload("1"), format="json").status_code == 201
    touchpoints = Touchpoint.objects.for_merchant(merchant).filter(kind="congratulation")
    claimed_at = timezone.now() - dt.timedelta(minutes=1)
    touchpoints.update(status=S.SENDING, claimed_at=claimed_at)
    return touchpoints.get()


def test_an_attempt_starts_while_the_claim_is_ours(api_a, merchant_a):
    touchpoint = _sending(api_a, merchant_a)
    attempt_id = _start_attempt(touchpoint)
    attempt = DeliveryAttempt.objects.for_merchant(merchant_a).get()
    assert (attempt.pk, attempt.touchpoint_id, attempt.number) == (attempt_id, touchpoint.pk, 1)
    assert attempt.outcome == DeliveryAttempt.Outcome.IN_PROGRESS
    row = Touchpoint.objects.for_merchant(merchant_a).get(pk=touchpoint.pk)
    assert (row.attempts, row.claimed_at) == (1, touchpoint.claimed_at)


def test_no_attempt_starts_once_another_sender_has_claimed_the_row(api_a, merchant_a):
    touchpoint = _sending(api_a, merchant_a)
    Touchpoint.objects.for_merchant(merchant_a).update(claimed_at=timezone.now())
    assert _start_attempt(touchpoint) is None
    assert not DeliveryAttempt.objects.for_merchant(merchant_a).exists()
    assert Touchpoint.objects.for_merchant(merchant_a).get(pk=touchpoint.pk).attempts == 0


def test_a_transition_moves_the_row_and_writes_its_history_row(api_a, merchant_a):
    touchpoint = _sending(api_a, merchant_a)
    moved = touchpoint_transition(
        touchpoint=touchpoint, to_status=S.FAILED, from_statuses=(S.SENDING,), reason="broken"
    )
    assert moved
    assert Touchpoint.objects.for_merchant(merchant_a).get(pk=touchpoint.pk).status == S.FAILED
    last = TouchpointStatusChange.objects.for_merchant(merchant_a).order_by("id").last()
    assert (last.from_status, last.to_status, last.reason) == (S.SENDING, S.FAILED, "broken")


def test_a_transition_from_another_status_changes_nothing(api_a, merchant_a):
    touchpoint = _sending(api_a, merchant_a)
    history = TouchpointStatusChange.objects.for_merchant(merchant_a)
    before = history.count()
    moved = touchpoint_transition(
        touchpoint=touchpoint, to_status=S.SENT, from_statuses=(S.SCHEDULED,), reason="late"
    )
    assert not moved
    assert Touchpoint.objects.for_merchant(merchant_a).get(pk=touchpoint.pk).status == S.SENDING
    assert history.count() == before


def test_new_touchpoints_are_written_with_the_first_line_of_their_history(api_a, merchant_a):
    assert api_a.post("/api/v1/orders/", make_payload("1"), format="json").status_code == 201
    order = Touchpoint.objects.for_merchant(merchant_a).get(kind="congratulation").order
    planned = [
        Touchpoint(
            merchant=merchant_a,
            order=order,
            kind="shipment_update",
            channel=channel,
            cause=f"twin:{n}",
            due_at=timezone.now(),
            status=status,
            error=error,
        )
        for n, (channel, status, error) in enumerate(
            [
                ("email", S.SCHEDULED, ""),
                ("sms", S.SKIPPED, "no sms consent"),
                ("email", S.SKIPPED, "recipient opted out"),
            ]
        )
    ]
    assert (
        touchpoints_create_planned(Touchpoint.objects.for_merchant(merchant_a), planned) is planned
    )
    stored = Touchpoint.objects.for_merchant(merchant_a).in_bulk([tp.pk for tp in planned])
    # Each instance got its own row's key, in order, and is saved.
    assert [stored[tp.pk].cause for tp in planned] == ["twin:0", "twin:1", "twin:2"]
    assert all(not tp._state.adding for tp in planned)
    history = TouchpointStatusChange.objects.for_merchant(merchant_a).filter(touchpoint__in=planned)
    assert sorted(history.values_list("touchpoint_id", "from_status", "to_status", "reason")) == [
        (planned[0].pk, "", S.SCHEDULED, "planned"),
        (planned[1].pk, "", S.SKIPPED, "no sms consent"),
        (planned[2].pk, "", S.SKIPPED, "recipient opted out"),
    ]
    assert {row.merchant_id for row in history} == {merchant_a.pk}


def test_an_order_and_its_items_are_written_together_each_with_its_key(merchant_a):
    from decimal import Decimal

    from orders.models import LineItem, Order
    from postpurchase.inserts import insert_new_with_children

    customer = Customer.objects.create(merchant=merchant_a, email="twin@example.com")
    order = Order(
        merchant=merchant_a,
        customer=customer,
        external_id="twin",
        number="#twin",
        placed_at=timezone.now(),
        currency="DKK",
        total=Decimal("30.00"),
        locale="da",
    )
    items = [
        LineItem(
            order=order,
            position=n,
            sku=f"S{n}",
            name=f"Item {n}",
            quantity=n + 1,
            unit_price=Decimal("10.00"),
        )
        for n in range(3)
    ]
    written = insert_new_with_children(
        Order.objects.for_merchant(merchant_a), order, LineItem.objects.all(), items, link="order"
    )
    assert written is items and order.pk and not order._state.adding
    stored = Order.objects.for_merchant(merchant_a).get(pk=order.pk)
    assert (stored.external_id, stored.customer_id) == ("twin", customer.pk)
    rows = LineItem.objects.in_bulk([item.pk for item in items])
    # Each instance got its own row's key, in order, and points at the order.
    assert [rows[item.pk].sku for item in items] == ["S0", "S1", "S2"]
    assert {rows[item.pk].order_id for item in items} == {order.pk}
    assert all(item.order_id == order.pk and not item._state.adding for item in items)


def test_suppressed_addresses_are_the_merchants_own_and_the_platform_wide(merchant_a, merchant_b):
    for merchant, address in (
        (merchant_a, "own@example.com"),
        (merchant_b, "theirs@example.com"),
        (None, "everyone@example.com"),
    ):
        rows = Suppression.objects.platform_wide()
        if merchant is not None:
            rows = Suppression.objects.for_merchant(merchant)
        rows.create(merchant=merchant, channel="email", address=address, reason="unsubscribed")
    asked = ["OWN@example.com", "theirs@example.com", "everyone@example.com", "free@example.com"]
    found = suppressed_addresses(merchant=merchant_a, channel="email", addresses=asked)
    assert found == {"own@example.com", "everyone@example.com"}
    assert suppressed_addresses(merchant=merchant_a, channel="sms", addresses=asked) == set()


def test_the_lookup_finds_the_order_and_the_oldest_matching_buyer(api_a, merchant_a):
    payload = make_payload("1")
    assert api_a.post("/api/v1/orders/", payload, format="json").status_code == 201
    Customer.objects.create(merchant=merchant_a, email=payload["customer"]["email"])
    oldest = Customer.objects.for_merchant(merchant_a).order_by("id").first()
    data = {"external_id": "1", "customer": {"email": payload["customer"]["email"]}}
    order, customer, suppressed, _ = _order_and_customer_found(merchant=merchant_a, data=data)
    assert (order.external_id, customer, suppressed) == ("1", oldest, set())
    unknown = {"external_id": "2", "customer": {"email": "new@example.com"}}
    assert _order_and_customer_found(merchant=merchant_a, data=unknown)[:3] == (None, None, set())


def test_the_lookup_reads_the_call_planning_facts_or_leaves_them_to_planning(merchant_a):
    from django.db import connection

    from followups.models import CallSettings
    from followups.planning import _planning_facts
    from tests.followups_factories import account_manager

    data = {"external_id": "1", "customer": {"email": "new@example.com"}}
    facts = _order_and_customer_found(merchant=merchant_a, data=data)[3]
    if connection.vendor != "postgresql":
        assert facts is None  # planning reads them itself (followups/planning.py)
        return
    rules, team, ambassadors = facts
    assert (rules.pk, rules.merchant_id, team, ambassadors) == (None, merchant_a.pk, False, False)
    account_manager(merchant_a, "birgit@nordic.example", "Birgit Lund")
    CallSettings.objects.for_merchant(merchant_a).create(merchant=merchant_a, min_order_value=500)
    rules, team, ambassadors = _order_and_customer_found(merchant=merchant_a, data=data)[3]
    expected = _planning_facts(merchant=merchant_a)
    assert (rules.pk, rules.min_order_value, team, ambassadors) == (
        expected[0].pk,
        expected[0].min_order_value,
        True,
        False,
    )


def test_the_lookup_tells_whether_the_buyers_email_is_opted_out(merchant_a, merchant_b):
    Suppression.objects.for_merchant(merchant_a).create(
        merchant=merchant_a, channel="email", address="own@example.com", reason="unsubscribed"
    )
    Suppression.objects.for_merchant(merchant_b).create(
        merchant=merchant_b, channel="email", address="theirs@example.com", reason="unsubscribed"
    )
    Suppression.objects.platform_wide().create(
        merchant=None, channel="email", address="everyone@example.com", reason="bounced"
    )
    Suppression.objects.for_merchant(merchant_a).create(
        merchant=merchant_a, channel="sms", address="sms-only@example.com", reason="stop"
    )

    def opted_out(email: str, phone: str = "") -> set[str]:
        data = {"external_id": "x", "customer": {"email": email, "phone": phone}}
        return _order_and_customer_found(merchant=merchant_a, data=data)[2]

    assert opted_out("own@example.com") == {"own@example.com"}
    assert opted_out("everyone@example.com") == {"everyone@example.com"}
    assert opted_out("theirs@example.com") == set()
    assert opted_out("sms-only@example.com") == set()
    assert opted_out("", phone="+4520123456") == set()
