"""The call queue page: who sees which calls, and working a call without JavaScript."""

import pytest
from django.utils import timezone

from followups.models import CallSettings, FollowUpCall
from orders.models import Benefit
from tests.followups_factories import account_manager, call_of, make_due_now, place_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue(merchant_a, anders):
    birgit = account_manager(merchant_a, "birgit@nordic.example", "Birgit Lund")
    annas = make_due_now(call_of(place_order(merchant_a, "1", first_name="Anna")))
    bos = make_due_now(call_of(place_order(merchant_a, "2", first_name="Bo", phone="+4520999999")))
    later = call_of(place_order(merchant_a, "3", first_name="Cecilie", total="99.00"))
    later.due_at = timezone.now() + timezone.timedelta(days=3)
    later.save()
    assert (annas.assignee, bos.assignee) == (anders, birgit)
    return {"annas": annas, "bos": bos, "later": later, "birgit": birgit}


def test_queue_needs_sign_in(client):
    response = client.get("/calls/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_account_manager_sees_own_calls_by_default(client, anders, queue):
    client.force_login(anders)
    page = client.get("/calls/").content.decode()
    assert "Anna Holm" in page
    assert "Bo Holm" not in page
    assert "Cecilie" not in page  # not due yet
    assert 'href="tel:+4520123456"' in page


def test_account_manager_can_look_at_the_whole_team_queue(client, anders, queue):
    client.force_login(anders)
    page = client.get("/calls/?who=all").content.decode()
    assert "Anna Holm" in page and "Bo Holm" in page


def test_owner_sees_everyones_calls_by_default(client, alice, queue):
    client.force_login(alice)
    page = client.get("/calls/").content.decode()
    assert "Anna Holm" in page and "Bo Holm" in page


def test_merchant_b_never_sees_or_works_merchant_as_calls(client, bob, queue):
    client.force_login(bob)
    page = client.get("/calls/?who=all").content.decode()
    assert "Anna Holm" not in page and "Bo Holm" not in page
    annas = queue["annas"]
    assert client.get(f"/calls/?call={annas.pk}&who=all").content.decode().count("Anna") == 0
    for action, data in [
        ("outcome", {"outcome": "do_not_call"}),
        ("snooze", {"snooze": "1h"}),
        ("reassign", {"assignee": bob.pk}),
    ]:
        assert client.post(f"/calls/{annas.pk}/{action}/", data).status_code == 404
    annas.refresh_from_db()
    assert (annas.status, annas.assignee.email) == ("scheduled", "anders@nordic.example")


def test_entry_shows_talking_points_offer_delivery_and_what_was_sent(
    client, merchant_a, anders, queue
):
    CallSettings.objects.create(merchant=merchant_a, offer_text="Free cushion with the sofa")
    Benefit.objects.create(merchant=merchant_a, locale="da", text="Ten-year frame warranty")
    client.force_login(anders)
    page = client.get("/calls/").content.decode()
    assert "Free cushion with the sofa" in page
    assert "Ten-year frame warranty" in page
    assert "Not shipped yet" in page
    assert "Congratulation" in page
    assert "First order with you" in page


def test_recording_an_outcome_goes_on_with_the_next_call(client, alice, queue):
    client.force_login(alice)
    annas, bos = queue["annas"], queue["bos"]
    response = client.post(
        f"/calls/{annas.pk}/outcome/",
        {
            "outcome": "reached_concerned:call_again",
            "note": "Worried about delivery",
            "next": bos.pk,
            "who": "all",
        },
    )
    assert response.status_code == 302
    assert f"call={bos.pk}" in response["Location"]
    annas.refresh_from_db()
    assert (annas.outcome, annas.follow_up, annas.status) == (
        "reached_concerned",
        "call_again",
        "scheduled",
    )
    page = client.get(response["Location"]).content.decode()
    assert "next try" in page


def test_an_unknown_outcome_is_refused_with_a_message(client, anders, queue):
    client.force_login(anders)
    annas = queue["annas"]
    response = client.post(f"/calls/{annas.pk}/outcome/", {"outcome": "shrug"}, follow=True)
    assert "Unknown outcome" in response.content.decode()
    annas.refresh_from_db()
    assert annas.attempts == 0


def test_snoozed_call_leaves_the_queue_until_its_time(client, anders, queue):
    client.force_login(anders)
    annas = queue["annas"]
    client.post(f"/calls/{annas.pk}/snooze/", {"snooze": "1h"})
    annas.refresh_from_db()
    assert annas.snoozed_until > timezone.now()
    assert "Anna Holm" not in client.get("/calls/").content.decode()


def test_reassigned_call_moves_to_the_colleagues_queue(client, anders, queue):
    client.force_login(anders)
    annas, birgit = queue["annas"], queue["birgit"]
    client.post(f"/calls/{annas.pk}/reassign/", {"assignee": birgit.pk})
    annas.refresh_from_db()
    assert annas.assignee == birgit
    assert "Anna Holm" not in client.get("/calls/").content.decode()


def test_reassign_to_someone_outside_the_team_is_refused(client, anders, bob, queue):
    client.force_login(anders)
    annas = queue["annas"]
    client.post(f"/calls/{annas.pk}/reassign/", {"assignee": bob.pk})
    annas.refresh_from_db()
    assert annas.assignee == anders


def test_queue_is_ordered_by_risk_then_value(client, merchant_a, alice, queue):
    from tracking.models import TrackingVisit

    bos = queue["bos"]
    for n in range(3):
        TrackingVisit.objects.create(merchant=merchant_a, order=bos.order, client_hash=str(n))
    client.force_login(alice)
    page = client.get("/calls/").content.decode()
    assert page.index("Bo Holm") < page.index("Anna Holm")
    assert "Checked the tracking page 3 times" in page
    assert FollowUpCall.objects.for_merchant(merchant_a).count() == 3
