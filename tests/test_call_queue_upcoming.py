"""The call queue on any day: the demo leaves today's calls, and later calls are shown coming.

Nordic Living (merchant A, Copenhagen, Monday to Friday) has Anders as account manager.
"""

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone, translation

from demo import loader, shop
from followups.models import FollowUpCall
from followups.scheduling import next_business_day_start
from followups.selectors import call_queue, upcoming_calls
from postpurchase.models import Merchant, User
from postpurchase.templatetags.dashboard_format import local_datetime, local_day
from tests.followups_factories import call_of, make_due_now, place_order

pytestmark = pytest.mark.django_db

COPENHAGEN = zoneinfo.ZoneInfo("Europe/Copenhagen")
# Saturday 5 December 2026 and the week around it, in Copenhagen.
SATURDAY = dt.datetime(2026, 12, 5, 10, 0, tzinfo=COPENHAGEN)


@pytest.mark.parametrize(
    "now",
    [SATURDAY + dt.timedelta(days=n) for n in range(7)]
    + [SATURDAY.replace(hour=0, minute=5), SATURDAY.replace(hour=23, minute=55)],
    ids=lambda now: now.strftime("%a-%H%M"),
)
def test_the_demo_leaves_calls_due_today_whatever_day_it_is_loaded(now):
    loader.load_demo(now=now)
    merchant = Merchant.objects.get(slug=shop.SLUG)
    manager = User.objects.get(email=shop.ACCOUNT_MANAGER["email"])
    queue = call_queue(merchant=merchant, assignee_id=manager.pk, now=now)
    assert len(queue) >= 2
    assert {entry.call.due_at.astimezone(COPENHAGEN).date() for entry in queue} == {now.date()}
    assert not any(entry.overdue for entry in queue)


def test_demo_calls_of_the_past_are_done_not_waiting():
    loader.load_demo(now=SATURDAY)
    merchant = Merchant.objects.get(slug=shop.SLUG)
    done = FollowUpCall.objects.for_merchant(merchant).filter(status="completed")
    assert done.count() >= 5
    for call in done:
        assert call.touchpoint.status == "done"
        assert call.history.get().outcome == "reached_happy"
        assert call.due_at.date() < SATURDAY.date()


def test_upcoming_calls_come_soonest_first_with_when_they_are_due(merchant_a, anders):
    now = timezone.now()
    monday = call_of(place_order(merchant_a, "1", first_name="Anna"))
    later = call_of(place_order(merchant_a, "2", first_name="Bo", phone="+4520999999"))
    later.due_at = monday.due_at + dt.timedelta(days=2)
    later.save()
    snoozed = make_due_now(call_of(place_order(merchant_a, "3", first_name="Cecilie")))
    snoozed.snoozed_until = now + dt.timedelta(minutes=30)
    snoozed.save()
    upcoming = upcoming_calls(merchant=merchant_a, now=now)
    assert [c.pk for c in upcoming] == [snoozed.pk, monday.pk, later.pk]
    assert upcoming[0].next_at == snoozed.snoozed_until
    assert upcoming[1].next_at == monday.due_at


def test_the_queue_page_lists_upcoming_calls_and_says_when_the_next_is_due(
    client, merchant_a, alice, anders, merchant_b, bob
):
    call = call_of(place_order(merchant_a, "1", first_name="Anna"))
    client.force_login(alice)
    page = client.get("/calls/", headers={"accept-language": "en"}).content.decode()
    with translation.override("en"), timezone.override(merchant_a.tzinfo):
        when = local_datetime(call.due_at)
    assert "Coming up" in page and "Anna Holm" in page
    assert f"The next one is due {when}." in page
    assert "tomorrow" not in page
    client.force_login(bob)
    assert "Anna Holm" not in client.get("/calls/?who=all").content.decode()


def test_an_empty_queue_names_the_next_business_day_not_tomorrow(client, merchant_a, alice):
    client.force_login(alice)
    page = client.get("/calls/", headers={"accept-language": "en"}).content.decode()
    next_day = next_business_day_start(merchant=merchant_a, after=timezone.now())
    with translation.override("en"), timezone.override(merchant_a.tzinfo):
        day = local_day(next_day)
    assert f"Today's orders bring calls on the next business day, {day}." in page
    assert "tomorrow's calls" not in page
    assert "Coming up" not in page


def test_the_queue_of_today_still_shows_what_comes_later(client, merchant_a, anders):
    make_due_now(call_of(place_order(merchant_a, "1", first_name="Anna")))
    call_of(place_order(merchant_a, "2", first_name="Bo", phone="+4520999999"))
    client.force_login(anders)
    page = client.get("/calls/?who=all", headers={"accept-language": "en"}).content.decode()
    upcoming = page[page.index("data-upcoming") :]
    upcoming = upcoming[: upcoming.index("</section>")]
    assert "Bo Holm" in upcoming and "Anna Holm" not in upcoming
