"""A low rating on the tracking page reaches the account manager: a call today, the comment first.

Anna's sofa from Nordic Living (merchant A) arrived with a torn cushion. Anders is the
account manager; Bob owns Bergmann Möbel (merchant B).
"""

import datetime as dt

import pytest
from django.utils import timezone

from followups.models import FollowUpCall, Outcome
from followups.selectors import call_queue
from followups.services import call_record_outcome
from notifications.models import Touchpoint
from postpurchase.events import merchant_event
from tests.dashboard_world import ship
from tests.followups_factories import call_of, place_order

pytestmark = pytest.mark.django_db

COMPLAINT = "The sofa arrived with a torn cushion and a scratched leg."


@pytest.fixture
def annas_order(merchant_a, anders):
    order = place_order(merchant_a, "2001")
    ship(merchant_a, order, "label_created", "in_transit", "delivered")
    return order


def rate(client, order, score, comment=""):
    response = client.post(
        f"/t/{order.tracking_token}/rating/", {"score": str(score), "comment": comment}
    )
    assert response.status_code == 302


def queue_of(merchant):
    return {entry.call.pk: entry for entry in call_queue(merchant=merchant)}


def test_a_two_star_rating_after_the_call_puts_a_new_call_in_todays_queue(
    client, merchant_a, anders, annas_order
):
    first = call_of(annas_order)
    call_record_outcome(merchant=merchant_a, call=first, outcome=Outcome.REACHED_HAPPY, by=anders)
    assert queue_of(merchant_a) == {}
    rate(client, annas_order, 2, COMPLAINT)
    calls = FollowUpCall.objects.for_merchant(merchant_a).filter(order=annas_order)
    new = calls.exclude(pk=first.pk).get()
    assert new.status == FollowUpCall.Status.QUEUED and new.assignee == anders
    assert new.due_at <= timezone.now()
    assert new.touchpoint.kind == Touchpoint.Kind.FOLLOWUP_CALL
    assert new.touchpoint.channel == Touchpoint.Channel.CALL
    entry = queue_of(merchant_a)[new.pk]
    assert "Rated the order 2 of 5 stars" in entry.risk.reasons
    client.force_login(anders)
    page = client.get(f"/calls/?call={new.pk}").content.decode()
    points = page[page.index("cq-points") :]
    assert points.index("torn cushion") < points.index("Thank them for choosing")


def test_a_low_rating_brings_the_open_call_forward_to_today(
    client, merchant_a, anders, annas_order
):
    call = call_of(annas_order)
    call.due_at = timezone.now() + dt.timedelta(days=3)
    call.snoozed_until = timezone.now() + dt.timedelta(days=3)
    call.save()
    assert call.pk not in queue_of(merchant_a)
    rate(client, annas_order, 1, COMPLAINT)
    call.refresh_from_db()
    assert call.due_at <= timezone.now() and call.snoozed_until is None
    assert call.touchpoint.due_at == call.due_at
    assert call.pk in queue_of(merchant_a)
    assert FollowUpCall.objects.for_merchant(merchant_a).filter(order=annas_order).count() == 1


def test_rating_low_twice_makes_one_call_and_shows_the_latest_comment(
    client, merchant_a, anders, annas_order
):
    call_record_outcome(
        merchant=merchant_a, call=call_of(annas_order), outcome=Outcome.REACHED_HAPPY, by=anders
    )
    rate(client, annas_order, 2, "Late.")
    rate(client, annas_order, 1, COMPLAINT)
    open_calls = FollowUpCall.objects.for_merchant(merchant_a).filter(
        order=annas_order, status__in=FollowUpCall.OPEN_STATUSES
    )
    assert open_calls.count() == 1
    client.force_login(anders)
    page = client.get(f"/calls/?call={open_calls.get().pk}").content.decode()
    assert "torn cushion" in page and "rated the order 1 of 5" in page


def test_a_good_rating_changes_no_call(client, merchant_a, anders, annas_order):
    call = call_of(annas_order)
    due = call.due_at
    rate(client, annas_order, 4, "Lovely sofa")
    call.refresh_from_db()
    assert call.due_at == due
    assert FollowUpCall.objects.for_merchant(merchant_a).filter(order=annas_order).count() == 1


def test_a_buyer_who_asked_not_to_be_called_is_not_called_after_a_low_rating(
    client, merchant_a, anders, annas_order
):
    call_record_outcome(
        merchant=merchant_a, call=call_of(annas_order), outcome=Outcome.DO_NOT_CALL, by=anders
    )
    rate(client, annas_order, 1, COMPLAINT)
    assert not FollowUpCall.objects.for_merchant(merchant_a).filter(
        order=annas_order, status__in=FollowUpCall.OPEN_STATUSES
    )


def test_the_raised_call_emits_risk_raised_and_stays_with_its_merchant(
    client, merchant_a, merchant_b, anders, bob, annas_order
):
    seen = []

    def listen(sender, merchant, name, data, **kwargs):
        seen.append((merchant.slug, name))

    merchant_event.connect(listen, weak=False)
    try:
        rate(client, annas_order, 2, COMPLAINT)
    finally:
        merchant_event.disconnect(listen)
    assert (merchant_a.slug, "risk.raised") in seen
    assert queue_of(merchant_b) == {}
    client.force_login(bob)
    assert "torn cushion" not in client.get("/calls/?who=all").content.decode()
