"""Status coming back and buyers opting out: signed or it changes nothing, and at once."""

import base64
import datetime as dt

import pytest
from django.core import mail
from django.test import Client
from twilio.request_validator import RequestValidator

from notifications import sms
from notifications.models import Suppression, Touchpoint
from orders.models import Customer
from tests.notification_helpers import place_order, scan, send_due, ship, updates

pytestmark = pytest.mark.django_db

TOKEN = "test-twilio-auth-token"


def merchant_suppresses(merchant, channel: str, address: str) -> bool:
    """The merchant's own opt-out row for the address (not a platform-wide STOP)."""
    rows = Suppression.objects.for_merchant(merchant)
    return rows.filter(channel=channel, address=address).exists()


def twilio_post(client, path, data, *, token=TOKEN, base="http://testserver", **headers):
    signature = RequestValidator(token).compute_signature(base + path, data)
    return client.post(path, data, HTTP_X_TWILIO_SIGNATURE=signature, **headers)


@pytest.fixture
def annas_sent_sms(api_a, merchant_a):
    order = place_order(api_a)
    shipment = ship(api_a, order["id"])
    from notifications.services import shipment_notification_set

    shipment_notification_set(merchant=merchant_a, status="in_transit", channel="sms", enabled=True)
    scan(api_a, shipment, "in_transit", "2026-11-23T08:00:00Z")
    from django.utils import timezone

    updates(merchant_a).update(due_at=timezone.now())
    from unittest import mock

    with mock.patch("notifications.quiet_hours.quiet_until", return_value=None):
        send_due()
    return updates(merchant_a).get(channel="sms")


def test_twilio_status_callback_marks_the_sms_delivered(client, annas_sent_sms):
    annas_sent_sms.refresh_from_db()
    assert annas_sent_sms.status == "sent"
    path = f"/n/webhooks/twilio/status/{annas_sent_sms.callback_code}/"
    data = {"MessageSid": annas_sent_sms.provider_message_id, "MessageStatus": "delivered"}
    assert twilio_post(client, path, data).status_code == 204
    annas_sent_sms.refresh_from_db()
    assert annas_sent_sms.status == "delivered" and annas_sent_sms.delivered_at


def test_twilio_signature_is_checked_against_the_public_url_not_the_proxied_one(
    client, annas_sent_sms, settings
):
    settings.PUBLIC_BASE_URL = "https://track.nordic.example"
    path = f"/n/webhooks/twilio/status/{annas_sent_sms.callback_code}/"
    data = {"MessageStatus": "delivered"}
    # Django sees http://testserver (behind the proxy); Twilio signed the public URL.
    signed_proxied = twilio_post(client, path, data, base="http://testserver")
    assert signed_proxied.status_code == 403
    signed_public = twilio_post(client, path, data, base="https://track.nordic.example")
    assert signed_public.status_code == 204


def test_twilio_callback_with_a_bad_signature_is_rejected_and_changes_nothing(
    client, annas_sent_sms
):
    path = f"/n/webhooks/twilio/status/{annas_sent_sms.callback_code}/"
    forged = twilio_post(client, path, {"MessageStatus": "failed"}, token="not-the-token")
    unsigned = client.post(path, {"MessageStatus": "failed"})
    assert forged.status_code == 403 and unsigned.status_code == 403
    annas_sent_sms.refresh_from_db()
    assert annas_sent_sms.status == "sent"


def test_twilio_undelivered_with_an_invalid_number_fails_and_suppresses(
    client, annas_sent_sms, merchant_a
):
    path = f"/n/webhooks/twilio/status/{annas_sent_sms.callback_code}/"
    data = {"MessageStatus": "undelivered", "ErrorCode": "30005"}
    assert twilio_post(client, path, data).status_code == 204
    annas_sent_sms.refresh_from_db()
    assert annas_sent_sms.status == "failed"
    assert merchant_suppresses(merchant_a, "sms", "+4520123456")


def test_sms_stop_opts_the_number_out_at_once_and_start_opts_back_in(
    client, api_a, merchant_a, monkeypatch
):
    order = place_order(api_a)
    shipment = ship(api_a, order["id"])
    scan(api_a, shipment, "delivered", "2026-11-23T08:00:00Z")
    waiting = updates(merchant_a).get(channel="sms")
    assert waiting.status == "scheduled"
    inbound = "/n/webhooks/twilio/inbound/"
    reply = twilio_post(client, inbound, {"From": "+4520123456", "Body": "Stop"})
    assert reply.status_code == 200 and b"<Response>" in reply.content
    waiting.refresh_from_db()
    assert waiting.status == "skipped"
    assert not Customer.objects.for_merchant(merchant_a).get().consent_sms
    # A later order re-posting consent does not override the STOP.
    place_order(api_a, "3009")
    send_due()
    assert sms.outbox == []

    twilio_post(client, inbound, {"From": "+4520123456", "Body": "START"})
    assert Customer.objects.for_merchant(merchant_a).get().consent_sms
    assert (
        not Suppression.objects.platform_wide()
        .filter(channel="sms", address="+4520123456")
        .exists()
    )


@pytest.mark.parametrize("word", ["STOPALL", "unsubscribe", " cancel ", "END", "quit"])
def test_stop_synonyms_opt_out(client, merchant_a, api_a, word):
    place_order(api_a)
    twilio_post(client, "/n/webhooks/twilio/inbound/", {"From": "+4520123456", "Body": word})
    assert Suppression.objects.platform_wide().filter(channel="sms", address="+4520123456").exists()


def test_inbound_sms_with_a_bad_signature_changes_nothing(client, api_a, merchant_a):
    place_order(api_a)
    forged = twilio_post(
        client, "/n/webhooks/twilio/inbound/", {"From": "+4520123456", "Body": "STOP"}, token="x"
    )
    assert forged.status_code == 403
    assert Customer.objects.for_merchant(merchant_a).get().consent_sms


# ------------------------------------------------------------------ email


def _unsubscribe_link(message) -> str:
    return message.extra_headers["List-Unsubscribe"].strip("<>").replace("http://testserver", "")


def test_one_click_unsubscribe_stops_email_at_once(client, api_a, merchant_a):
    place_order(api_a)
    send_due()
    (congratulation,) = mail.outbox
    link = _unsubscribe_link(congratulation)
    assert link in congratulation.alternatives[0][0]  # the visible link is the same
    order = place_order(api_a, "3010")  # a second order's congratulation is waiting
    response = client.post(link, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    waiting = Touchpoint.objects.for_merchant(merchant_a).get(
        order_id=order["id"], kind="congratulation"
    )
    assert waiting.status == "skipped"
    assert not Customer.objects.for_merchant(merchant_a).get().consent_email


def test_unsubscribe_page_asks_before_it_acts(client, api_a, merchant_a):
    place_order(api_a)
    send_due()
    link = _unsubscribe_link(mail.outbox[0])
    page = client.get(link)
    assert page.status_code == 200
    assert "Afmeld e-mails?" in page.content.decode()
    assert Customer.objects.for_merchant(merchant_a).get().consent_email  # a GET changes nothing
    done = client.post(link)
    assert "Du er afmeldt" in done.content.decode()
    assert not Customer.objects.for_merchant(merchant_a).get().consent_email


def test_forged_unsubscribe_token_is_404(client, api_a, merchant_a):
    place_order(api_a)
    send_due()
    link = _unsubscribe_link(mail.outbox[0])
    assert client.post(link[:-3] + "xx/").status_code == 404
    assert Customer.objects.for_merchant(merchant_a).get().consent_email


def test_unsubscribing_from_one_merchant_leaves_the_other(client, api_a, api_b, merchant_b):
    place_order(api_a)
    place_order(api_b, "B-7", locale="de")
    send_due()
    link_a = next(_unsubscribe_link(m) for m in mail.outbox if "Nordic Living" in m.from_email)
    client.post(link_a, {"List-Unsubscribe": "One-Click"})
    assert Customer.objects.for_merchant(merchant_b).get().consent_email


def _postmark_event(record_type, message_id, callback_code, **extra):
    return {
        "RecordType": record_type,
        "MessageID": message_id,
        "Recipient": "anna@example.com",
        "Email": "anna@example.com",
        "Metadata": {"touchpoint": callback_code},
        "DeliveredAt": "2026-11-23T10:00:00Z",
        "BouncedAt": "2026-11-23T10:00:00Z",
        "Type": "HardBounce",
        "TypeCode": 1,
        "Description": "The server was unable to deliver your message",
        "Details": "smtp;550 5.1.1 user unknown",
        "Tag": "",
        "MessageStream": "outbound",
        **extra,
    }


def _basic(secret="hook:test-webhook-secret"):
    return "Basic " + base64.b64encode(secret.encode()).decode()


def test_esp_delivery_webhook_marks_the_email_delivered(api_a, merchant_a):
    place_order(api_a)
    send_due()
    congratulation = Touchpoint.objects.for_merchant(merchant_a).get(kind="congratulation")
    response = Client().post(
        "/n/webhooks/anymail/postmark/tracking/",
        _postmark_event("Delivery", "pm-1", congratulation.callback_code),
        content_type="application/json",
        HTTP_AUTHORIZATION=_basic(),
    )
    assert response.status_code == 200
    congratulation.refresh_from_db()
    assert congratulation.status == "delivered"


def test_esp_open_is_recorded_once_and_counts_in_the_metrics(api_a, merchant_a):
    from dashboard.metrics import Period, congratulation_emails

    place_order(api_a)
    send_due()
    congratulation = Touchpoint.objects.for_merchant(merchant_a).get(kind="congratulation")
    for received_at in ("2026-11-23T10:05:00Z", "2026-11-23T11:00:00Z"):
        response = Client().post(
            "/n/webhooks/anymail/postmark/tracking/",
            _postmark_event(
                "Open",
                "pm-1",
                congratulation.callback_code,
                ReceivedAt=received_at,
                DeliveredAt=received_at,
            ),
            content_type="application/json",
            HTTP_AUTHORIZATION=_basic(),
        )
        assert response.status_code == 200
    congratulation.refresh_from_db()
    assert congratulation.opened_at.isoformat().startswith("2026-11-23T10:05")
    assert congratulation.status == "delivered"
    sent = congratulation.sent_at
    period = Period(sent - dt.timedelta(hours=1), sent + dt.timedelta(hours=1), dt.UTC)
    assert congratulation_emails(merchant=merchant_a, period=period)["opened"] == 1


def esp_hard_bounce(callback_code: str):
    """Postmark reports that the message with this callback code bounced hard."""
    return Client().post(
        "/n/webhooks/anymail/postmark/tracking/",
        _postmark_event("Bounce", "pm-1", callback_code),
        content_type="application/json",
        HTTP_AUTHORIZATION=_basic(),
    )


def test_esp_hard_bounce_fails_the_touchpoint_and_suppresses_the_address(api_a, merchant_a):
    place_order(api_a)
    send_due()
    congratulation = Touchpoint.objects.for_merchant(merchant_a).get(kind="congratulation")
    esp_hard_bounce(congratulation.callback_code)
    congratulation.refresh_from_db()
    assert congratulation.status == "failed"
    assert merchant_suppresses(merchant_a, "email", "anna@example.com")


def test_esp_webhook_without_the_secret_is_rejected_and_changes_nothing(api_a, merchant_a):
    place_order(api_a)
    send_due()
    congratulation = Touchpoint.objects.for_merchant(merchant_a).get(kind="congratulation")
    for auth in ({}, {"HTTP_AUTHORIZATION": _basic("hook:wrong")}):
        response = Client().post(
            "/n/webhooks/anymail/postmark/tracking/",
            _postmark_event("Bounce", "pm-1", congratulation.callback_code),
            content_type="application/json",
            **auth,
        )
        assert response.status_code in (400, 403)
    congratulation.refresh_from_db()
    assert congratulation.status == "sent"
