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
    today, coming = page.split("data-upcoming")
    coming = coming[: coming.index("</section>")]
    assert "Cecilie" not in today and "Cecilie" in coming  # not due yet: coming up
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
    today, coming = client.get("/calls/").content.decode().split("data-upcoming")
    assert "Anna Holm" not in today and "Anna Holm" in coming[: coming.index("</section>")]


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


# --- call rules and ambassadors --------------------------------------------------------------


def test_owner_sets_call_rules(client, merchant_a, alice):
    client.force_login(alice)
    response = client.post(
        "/calls/settings/",
        {
            "form": "rules",
            "min_order_value": "500",
            "max_attempts": "2",
            "offer_text": "Free delivery on your next order",
            "high_value_threshold": "8000",
            "ambassador_monthly_cap": "1",
        },
    )
    assert response.status_code == 302
    rules = CallSettings.objects.for_merchant(merchant_a).get()
    assert (rules.max_attempts, rules.ambassador_monthly_cap) == (2, 1)
    assert rules.offer_text == "Free delivery on your next order"


def test_call_rules_refuse_nonsense_with_a_message(client, merchant_a, alice):
    client.force_login(alice)
    response = client.post(
        "/calls/settings/",
        {
            "form": "rules",
            "max_attempts": "0",
            "high_value_threshold": "1",
            "ambassador_monthly_cap": "1",
        },
    )
    assert response.status_code == 200
    assert "Between 1 and 10 attempts." in response.content.decode()
    assert not CallSettings.objects.for_merchant(merchant_a).exists()


def test_account_manager_cannot_change_call_rules(client, anders):
    client.force_login(anders)
    assert client.get("/calls/settings/").status_code == 403


def test_owner_marks_a_customer_as_ambassador_with_consent(client, merchant_a, alice, anders):
    from followups.models import Ambassador

    place_order(merchant_a, "1", first_name="Maria", email="maria@studio-k.dk")
    client.force_login(alice)
    without_consent = client.post(
        "/calls/settings/", {"form": "ambassador", "email": "maria@studio-k.dk"}
    )
    assert without_consent.status_code == 200
    assert not Ambassador.objects.for_merchant(merchant_a).exists()
    client.post(
        "/calls/settings/",
        {
            "form": "ambassador",
            "email": "MARIA@studio-k.dk",
            "company": "Studio K",
            "consent": "on",
        },
    )
    maria = Ambassador.objects.for_merchant(merchant_a).get()
    assert (maria.company, maria.company_domain, maria.consent) == ("Studio K", "studio-k.dk", True)
    assert "Studio K" in client.get("/calls/settings/").content.decode()


def test_ambassador_list_is_per_merchant(client, merchant_a, bob, alice):
    place_order(merchant_a, "1", first_name="Maria", email="maria@studio-k.dk")
    client.force_login(alice)
    client.post(
        "/calls/settings/",
        {"form": "ambassador", "email": "maria@studio-k.dk", "consent": "on"},
    )
    client.force_login(bob)
    assert "maria@studio-k.dk" not in client.get("/calls/settings/").content.decode()
    # Bob cannot enrol A's customer: to B, that customer does not exist.
    response = client.post(
        "/calls/settings/", {"form": "ambassador", "email": "maria@studio-k.dk", "consent": "on"}
    )
    assert "No customer with this email has ordered." in response.content.decode()
