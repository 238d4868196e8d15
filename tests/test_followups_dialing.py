"""Click-to-call through Twilio: Anders' phone rings, then Anna's; Twilio reports back.

Only Twilio's HTTP API is faked (responses); callbacks carry real signatures.
"""

from urllib.parse import parse_qs

import pytest
import responses
from twilio.request_validator import RequestValidator

from followups.models import CallDial, CallSettings
from tests.followups_factories import call_of, make_due_now, place_order

pytestmark = pytest.mark.django_db

SID = "AC00000000000000000000000000000000"
TOKEN = "twilio-test-token"
CALLS_URL = f"https://api.twilio.com/2010-04-01/Accounts/{SID}/Calls.json"


@pytest.fixture
def twilio(settings, merchant_a, anders):
    settings.TWILIO_ACCOUNT_SID = SID
    settings.TWILIO_AUTH_TOKEN = TOKEN
    CallSettings.objects.create(merchant=merchant_a, caller_id="+4570701234")
    anders.phone = "+4540404040"
    anders.save()
    with responses.RequestsMock() as mock:
        yield mock


@pytest.fixture
def annas_call(merchant_a, anders):
    return make_due_now(call_of(place_order(merchant_a, "1")))


def signed_post(client, path: str, params: dict, token: str = TOKEN):
    signature = RequestValidator(token).compute_signature(f"http://testserver{path}", params)
    return client.post(path, params, HTTP_X_TWILIO_SIGNATURE=signature)


def test_click_to_call_rings_the_manager_then_the_buyer_from_the_merchants_number(
    client, anders, annas_call, twilio
):
    twilio.add(responses.POST, CALLS_URL, json={"sid": "CA111", "status": "queued"}, status=201)
    client.force_login(anders)
    response = client.post(f"/calls/{annas_call.pk}/dial/")
    assert response.status_code == 302
    sent = parse_qs(twilio.calls[0].request.body)
    assert sent["To"] == ["+4540404040"] and sent["From"] == ["+4570701234"]
    assert '<Dial callerId="+4570701234"' in sent["Twiml"][0]
    assert "<Number>+4520123456</Number>" in sent["Twiml"][0]
    dial = CallDial.objects.for_merchant(annas_call.merchant).get()
    assert dial.twilio_sid == "CA111"
    assert sent["StatusCallback"] == [f"http://testserver/calls/twilio/{dial.code}/"]


def test_unanswered_dial_prefills_no_answer(client, anders, annas_call, twilio):
    twilio.add(responses.POST, CALLS_URL, json={"sid": "CA111"}, status=201)
    client.force_login(anders)
    client.post(f"/calls/{annas_call.pk}/dial/")
    dial = CallDial.objects.for_merchant(annas_call.merchant).get()
    path = f"/calls/twilio/{dial.code}/"
    response = signed_post(client, path, {"DialCallStatus": "no-answer", "DialCallDuration": "0"})
    assert response.status_code == 200
    assert response.content == b"<Response/>"
    dial.refresh_from_db()
    assert (dial.buyer_status, dial.suggested_outcome) == ("no-answer", "no_answer")
    page = client.get(f"/calls/?call={annas_call.pk}").content.decode()
    assert "the buyer did not answer" in page
    assert 'is-suggested" data-key="6"' in page


def test_answered_dial_records_the_duration(client, anders, annas_call, twilio):
    twilio.add(responses.POST, CALLS_URL, json={"sid": "CA111"}, status=201)
    client.force_login(anders)
    client.post(f"/calls/{annas_call.pk}/dial/")
    dial = CallDial.objects.for_merchant(annas_call.merchant).get()
    signed_post(
        client,
        f"/calls/twilio/{dial.code}/",
        {"DialCallStatus": "completed", "DialCallDuration": "192"},
    )
    signed_post(
        client, f"/calls/twilio/{dial.code}/", {"CallStatus": "completed", "CallSid": "CA111"}
    )
    dial.refresh_from_db()
    assert (dial.status, dial.buyer_status, dial.duration_seconds) == (
        "completed",
        "completed",
        192,
    )
    assert "the buyer answered (192 s)" in client.get("/calls/").content.decode()


def test_callback_with_a_bad_or_missing_signature_changes_nothing(
    client, anders, annas_call, twilio
):
    twilio.add(responses.POST, CALLS_URL, json={"sid": "CA111"}, status=201)
    client.force_login(anders)
    client.post(f"/calls/{annas_call.pk}/dial/")
    dial = CallDial.objects.for_merchant(annas_call.merchant).get()
    path = f"/calls/twilio/{dial.code}/"
    forged = signed_post(client, path, {"DialCallStatus": "completed"}, token="not-the-token")
    unsigned = client.post(path, {"DialCallStatus": "completed"})
    assert (forged.status_code, unsigned.status_code) == (403, 403)
    dial.refresh_from_db()
    assert dial.buyer_status == ""


def test_twilio_error_falls_back_to_the_tel_link_with_a_message(client, anders, annas_call, twilio):
    twilio.add(
        responses.POST, CALLS_URL, json={"code": 21211, "message": "Invalid 'To'"}, status=400
    )
    client.force_login(anders)
    page = client.post(f"/calls/{annas_call.pk}/dial/", follow=True).content.decode()
    assert "Twilio could not place the call" in page
    assert 'href="tel:+4520123456"' in page


def test_without_a_twilio_number_only_the_tel_link_is_offered(
    client, merchant_a, anders, annas_call
):
    client.force_login(anders)
    page = client.get("/calls/").content.decode()
    assert "Ring me first" not in page
    assert client.post(f"/calls/{annas_call.pk}/dial/").status_code == 302
    assert not CallDial.objects.for_merchant(merchant_a).exists()


def test_merchant_b_cannot_dial_merchant_as_buyer(client, bob, annas_call, twilio):
    client.force_login(bob)
    assert client.post(f"/calls/{annas_call.pk}/dial/").status_code == 404
    assert not twilio.calls
