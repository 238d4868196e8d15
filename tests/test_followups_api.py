"""The calls API: listing with filters, recording outcomes, errors and scoping."""

import datetime as dt

import pytest
from django.utils import timezone

from followups.models import FollowUpCall
from tests.followups_factories import account_manager, call_of, make_due_now, place_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def calls(merchant_a, anders):
    birgit = account_manager(merchant_a, "birgit@nordic.example", "Birgit Lund")
    first = make_due_now(call_of(place_order(merchant_a, "1")))
    second = call_of(place_order(merchant_a, "2", first_name="Bo"))
    return {"anders": first, "birgit": second, "birgit_user": birgit}


def test_list_returns_calls_with_buyer_order_assignee_and_risk(api_a, calls):
    response = api_a.get("/api/v1/calls/")
    assert response.status_code == 200
    results = response.json()["results"]
    assert [c["id"] for c in results] == [calls["anders"].pk, calls["birgit"].pk]
    first = results[0]
    assert first["customer"] == {
        "name": "Anna Holm",
        "phone": "+4520123456",
        "email": "anna.1@example.com",
        "consent_call": True,
    }
    assert first["order"]["external_id"] == "1"
    assert first["assignee"]["email"] == "anders@nordic.example"
    assert first["risk"]["reasons"] == ["First order with you"]
    assert first["risk"]["score"] == 10


def test_list_filters_by_assignee_status_and_date(api_a, merchant_a, calls):
    by_email = api_a.get("/api/v1/calls/", {"assignee": "birgit@nordic.example"}).json()
    assert [c["id"] for c in by_email["results"]] == [calls["birgit"].pk]
    by_id = api_a.get("/api/v1/calls/", {"assignee": calls["birgit_user"].pk}).json()
    assert [c["id"] for c in by_id["results"]] == [calls["birgit"].pk]
    stranger = api_a.get("/api/v1/calls/", {"assignee": "bob@bergmann.example"}).json()
    assert stranger["results"] == []
    due_day = calls["birgit"].due_at.astimezone(merchant_a.tzinfo).date()
    on_day = api_a.get("/api/v1/calls/", {"date": due_day.isoformat()}).json()
    assert [c["id"] for c in on_day["results"]] == [calls["birgit"].pk]
    FollowUpCall.objects.for_merchant(merchant_a).filter(pk=calls["anders"].pk).update(
        status="queued"
    )
    queued = api_a.get("/api/v1/calls/", {"status": "queued"}).json()
    assert [c["id"] for c in queued["results"]] == [calls["anders"].pk]


def test_list_with_bad_filters_is_400_with_field_messages(api_a, calls):
    response = api_a.get("/api/v1/calls/", {"date": "next tuesday", "status": "lost"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"date", "status"}


def test_list_needs_an_api_key(client, calls):
    assert client.get("/api/v1/calls/").status_code == 401


def test_outcome_is_recorded_and_returned(api_a, calls):
    call = calls["anders"]
    response = api_a.post(
        f"/api/v1/calls/{call.pk}/outcome/",
        {"outcome": "no_answer", "note": "Rang 8 times"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["attempts"], body["outcome"]) == ("scheduled", 1, "no_answer")
    assert body["history"][0]["note"] == "Rang 8 times"
    assert body["history"][0]["via"] == "api"
    assert dt.datetime.fromisoformat(body["due_at"]) > timezone.now()


def test_outcome_validation_errors_are_400_by_field(api_a, calls):
    call = calls["anders"]
    unknown = api_a.post(f"/api/v1/calls/{call.pk}/outcome/", {"outcome": "maybe"}, format="json")
    assert unknown.status_code == 400
    assert "outcome" in unknown.json()["errors"]
    concerned = api_a.post(
        f"/api/v1/calls/{call.pk}/outcome/", {"outcome": "reached_concerned"}, format="json"
    )
    assert concerned.status_code == 400
    assert "follow_up" in concerned.json()["errors"]
    call.refresh_from_db()
    assert call.attempts == 0


def test_outcome_on_a_finished_call_is_400(api_a, calls):
    url = f"/api/v1/calls/{calls['anders'].pk}/outcome/"
    assert api_a.post(url, {"outcome": "reached_happy"}, format="json").status_code == 200
    again = api_a.post(url, {"outcome": "voicemail"}, format="json")
    assert again.status_code == 400
    assert "outcome" in again.json()["errors"]


def test_merchant_b_cannot_list_or_record_merchant_as_calls(api_b, calls):
    assert api_b.get("/api/v1/calls/").json()["results"] == []
    call = calls["anders"]
    response = api_b.post(
        f"/api/v1/calls/{call.pk}/outcome/", {"outcome": "do_not_call"}, format="json"
    )
    assert response.status_code == 404
    assert "errors" in response.json()
    call.refresh_from_db()
    assert call.status == "scheduled" and call.order.customer.consent_call is True
