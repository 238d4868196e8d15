"""The next-day call: created with the order, assigned fairly, worked to an outcome.

Anders, Birgit and Carl are Nordic Living's account managers; Alice owns it.
"""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from followups.models import CallAttempt, CallSettings, FollowUpCall, Outcome
from followups.scheduling import next_business_day_start
from followups.services import call_queue_prepare, call_record_outcome
from followups.tasks import prepare_call_queues
from notifications.models import Touchpoint
from orders.models import Customer
from postpurchase.events import merchant_event
from postpurchase.models import Membership
from tests.followups_factories import account_manager, call_of, make_due_now, place_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def events():
    seen = []

    def listen(sender, merchant, name, data, **kwargs):
        seen.append((merchant.slug, name, data))

    merchant_event.connect(listen, weak=False)
    yield seen
    merchant_event.disconnect(listen)


@pytest.fixture
def team(merchant_a, anders):
    birgit = account_manager(merchant_a, "birgit@nordic.example", "Birgit Lund")
    carl = account_manager(merchant_a, "carl@nordic.example", "Carl Dahl")
    return [anders, birgit, carl]


def test_new_order_gets_a_call_tied_to_its_followup_touchpoint(merchant_a, anders):
    order = place_order(merchant_a, "1")
    call = call_of(order)
    touchpoint = Touchpoint.objects.for_merchant(merchant_a).get(order=order, kind="followup_call")
    assert call.touchpoint == touchpoint
    assert call.due_at == touchpoint.due_at
    assert call.due_at == next_business_day_start(merchant=merchant_a, after=timezone.now())
    assert call.status == FollowUpCall.Status.SCHEDULED
    assert call.assignee == anders


def test_buyer_without_phone_gets_a_skipped_call(merchant_a, anders):
    order = place_order(merchant_a, "1", phone="")
    call = call_of(order)
    assert call.status == FollowUpCall.Status.SKIPPED
    assert call.assignee is None


def test_merchant_calling_only_big_orders_skips_small_ones(merchant_a, anders):
    CallSettings.objects.create(merchant=merchant_a, min_order_value=Decimal("1000"))
    small = call_of(place_order(merchant_a, "1", total="500.00"))
    big = call_of(place_order(merchant_a, "2", first_name="Bo", total="1500.00"))
    assert (small.status, small.skip_reason) == ("skipped", "below_value")
    assert small.touchpoint.status == Touchpoint.Status.SKIPPED
    assert big.status == "scheduled"


def test_merchant_calling_only_first_time_buyers_skips_returning_ones(merchant_a, anders):
    CallSettings.objects.create(merchant=merchant_a, first_time_customers_only=True)
    earlier = timezone.now() - dt.timedelta(days=30)
    first = call_of(place_order(merchant_a, "1", email="anna@holm.dk", placed_at=earlier))
    second = call_of(place_order(merchant_a, "2", email="anna@holm.dk"))
    assert first.status == "scheduled"
    assert (second.status, second.skip_reason) == ("skipped", "returning_customer")


def test_buyers_own_account_manager_gets_the_call(merchant_a, team):
    birgit = team[1]
    Customer.objects.create(
        merchant=merchant_a, email="vip@holm.dk", first_name="Vera", account_manager=birgit
    )
    for n in range(3):  # Birgit already has more calls than anyone
        call_of(place_order(merchant_a, f"x{n}", first_name=f"P{n}"))
    order = place_order(merchant_a, "vip", email="vip@holm.dk", first_name="Vera")
    assert call_of(order).assignee == birgit


def test_rotation_shares_calls_evenly_among_active_account_managers(merchant_a, alice, team):
    for n in range(9):
        place_order(merchant_a, str(n), first_name=f"Buyer{n}")
    counts = {
        u.email: FollowUpCall.objects.for_merchant(merchant_a).filter(assignee=u).count()
        for u in team
    }
    assert counts == {u.email: 3 for u in team}
    # The owner is not in the rotation.
    assert not FollowUpCall.objects.for_merchant(merchant_a).filter(assignee=alice).exists()


def test_rotation_is_deterministic_in_membership_order(merchant_a, team):
    assignees = [
        call_of(place_order(merchant_a, str(n), first_name=f"B{n}")).assignee for n in range(3)
    ]
    assert assignees == team


def test_rotation_gives_the_next_call_to_the_least_loaded(merchant_a, team):
    anders = team[0]
    calls = [call_of(place_order(merchant_a, str(n), first_name=f"B{n}")) for n in range(6)]
    # Anders works both of his calls; he has nothing open, the others two each.
    for call in calls:
        if call.assignee == anders:
            call_record_outcome(merchant=merchant_a, call=call, outcome=Outcome.REACHED_HAPPY)
    assert call_of(place_order(merchant_a, "new", first_name="New")).assignee == anders


def test_inactive_account_manager_gets_no_calls(merchant_a, team):
    anders, birgit, carl = team
    Membership.objects.for_merchant(merchant_a).filter(user=birgit).update(is_active=False)
    assignees = {
        call_of(place_order(merchant_a, str(n), first_name=f"B{n}")).assignee for n in range(4)
    }
    assert assignees == {anders, carl}


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_rotation_stays_fair_when_orders_arrive_at_the_same_time(merchant_a, team):
    errors = []

    def place(prefix):
        try:
            for n in range(4):
                place_order(merchant_a, f"{prefix}{n}", first_name=f"{prefix}{n}")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=place, args=(p,)) for p in "abc"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    counts = sorted(
        FollowUpCall.objects.for_merchant(merchant_a).filter(assignee=u).count() for u in team
    )
    assert counts == [4, 4, 4]


# --- outcomes -----------------------------------------------------------------------------


@pytest.fixture
def annas_call(merchant_a, anders):
    return make_due_now(call_of(place_order(merchant_a, "1")))


def test_reached_happy_completes_the_call_and_its_touchpoint(
    merchant_a, anders, annas_call, events
):
    call = call_record_outcome(
        merchant=merchant_a, call=annas_call, outcome="reached_happy", note="Loves it", by=anders
    )
    assert (call.status, call.outcome, call.attempts) == ("completed", "reached_happy", 1)
    assert call.notes == "Loves it"
    call.touchpoint.refresh_from_db()
    assert call.touchpoint.status == Touchpoint.Status.DONE
    attempt = CallAttempt.objects.for_merchant(merchant_a).get(call=call)
    assert (attempt.by, attempt.note) == (anders, "Loves it")
    completed = [e for e in events if e[1] == "call.completed"]
    assert completed[0][2]["outcome"] == "reached_happy"
    assert completed[0][2]["order_external_id"] == "1"


def test_concerned_buyer_needs_a_follow_up(merchant_a, annas_call):
    with pytest.raises(ValidationError) as err:
        call_record_outcome(merchant=merchant_a, call=annas_call, outcome="reached_concerned")
    assert "follow_up" in err.value.message_dict
    annas_call.refresh_from_db()
    assert annas_call.attempts == 0  # nothing half-written


def test_concerned_and_escalated_tells_the_owner(
    merchant_a, alice, anders, annas_call, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        call = call_record_outcome(
            merchant=merchant_a,
            call=annas_call,
            outcome="reached_concerned",
            follow_up="escalate",
            note="Sofa colour looks different",
            by=anders,
        )
    assert (call.status, call.follow_up) == ("completed", "escalate")
    escalations = [m for m in mail.outbox if "Escalated" in m.subject]
    assert escalations and escalations[0].to == ["alice@nordic.example"]
    assert "Sofa colour looks different" in escalations[0].body


def test_concerned_with_return_completes_with_the_follow_up_recorded(merchant_a, annas_call):
    call = call_record_outcome(
        merchant=merchant_a, call=annas_call, outcome="reached_concerned", follow_up="return"
    )
    assert (call.status, call.outcome, call.follow_up) == (
        "completed",
        "reached_concerned",
        "return",
    )


def test_concerned_and_call_again_comes_back_next_business_day(merchant_a, annas_call):
    call = call_record_outcome(
        merchant=merchant_a, call=annas_call, outcome="reached_concerned", follow_up="call_again"
    )
    assert call.status == "scheduled"
    assert call.due_at == next_business_day_start(merchant=merchant_a, after=timezone.now())


def test_voicemail_completes_the_call(merchant_a, annas_call):
    call = call_record_outcome(merchant=merchant_a, call=annas_call, outcome="voicemail")
    assert call.status == "completed"


def test_no_answer_reschedules_to_next_business_day_until_the_attempt_limit(merchant_a, annas_call):
    CallSettings.objects.create(merchant=merchant_a, max_attempts=2)
    call = call_record_outcome(merchant=merchant_a, call=annas_call, outcome="no_answer")
    assert (call.status, call.attempts) == ("scheduled", 1)
    expected = next_business_day_start(merchant=merchant_a, after=timezone.now())
    assert call.due_at == expected
    call.touchpoint.refresh_from_db()
    assert (call.touchpoint.status, call.touchpoint.due_at) == ("scheduled", expected)
    call = call_record_outcome(merchant=merchant_a, call=make_due_now(call), outcome="no_answer")
    assert (call.status, call.attempts) == ("completed", 2)


def test_wrong_number_completes_without_retry(merchant_a, annas_call):
    call = call_record_outcome(merchant=merchant_a, call=annas_call, outcome="wrong_number")
    assert (call.status, call.outcome) == ("completed", "wrong_number")


def test_do_not_call_withdraws_consent_and_cancels_other_calls(merchant_a, anders, annas_call):
    later = call_of(place_order(merchant_a, "2", email=annas_call.order.customer.email))
    call_record_outcome(merchant=merchant_a, call=annas_call, outcome="do_not_call", by=anders)
    customer = Customer.objects.for_merchant(merchant_a).get(pk=annas_call.order.customer_id)
    assert customer.consent_call is False
    later.refresh_from_db()
    assert later.status == "cancelled"
    assert later.touchpoint.status == "cancelled"
    # The next order of this buyer gets no call either.
    assert call_of(place_order(merchant_a, "3", email=customer.email)).status == "skipped"


def test_a_finished_call_cannot_be_recorded_twice(merchant_a, annas_call, events):
    call_record_outcome(merchant=merchant_a, call=annas_call, outcome="reached_happy")
    with pytest.raises(ValidationError):
        call_record_outcome(merchant=merchant_a, call=annas_call, outcome="no_answer")
    assert len([e for e in events if e[1] == "call.completed"]) == 1


# --- the morning -------------------------------------------------------------------------


def test_morning_task_queues_todays_calls_and_assigns_the_unassigned(merchant_a):
    # No account manager yet when the orders came in.
    today = make_due_now(call_of(place_order(merchant_a, "1")))
    tomorrow = call_of(place_order(merchant_a, "2", first_name="Bo"))
    tomorrow.due_at = timezone.now() + dt.timedelta(days=2)
    tomorrow.save()
    assert today.assignee is None
    dora = account_manager(merchant_a, "dora@nordic.example", "Dora Friis")
    assert prepare_call_queues.apply().get() == 1
    today.refresh_from_db()
    tomorrow.refresh_from_db()
    assert (today.status, today.assignee) == ("queued", dora)
    assert (tomorrow.status, tomorrow.assignee) == ("scheduled", None)
    # Safe to run twice.
    assert prepare_call_queues.apply().get() == 0


def test_morning_task_raises_risk_once(merchant_a, anders, events):
    from tracking.models import TrackingVisit

    order = place_order(merchant_a, "1", total="9000.00")
    make_due_now(call_of(order))
    for n in range(4):
        TrackingVisit.objects.create(merchant=merchant_a, order=order, client_hash=str(n))
    call_queue_prepare(merchant=merchant_a)
    call_queue_prepare(merchant=merchant_a)
    raised = [e for e in events if e[1] == "risk.raised"]
    assert len(raised) == 1
    assert raised[0][2]["score"] == 40  # 4 visits (20) + high value (10) + first time (10)
