"""Handing messages to the providers: retried when it might work, never when it cannot.

Postmark (through anymail) and Twilio are real client code; only their HTTP APIs
are mocked, with `responses`.
"""

import json
import time

import pytest
import responses
from django.utils import timezone

from notifications import conf
from notifications.models import DeliveryAttempt, Suppression, Touchpoint
from notifications.queue import TOUCHPOINTS, touchpoint_claim, touchpoints_claim
from notifications.sending import touchpoints_send
from postpurchase.events import merchant_event
from tests.notification_helpers import place_order, scan, send_due, ship, updates

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

POSTMARK = "https://api.postmarkapp.com/email"
TWILIO = (
    "https://api.twilio.com/2010-04-01/Accounts/AC00000000000000000000000000000000/Messages.json"
)


@pytest.fixture
def postmark(settings):
    settings.EMAIL_BACKEND = "notifications.email_backends.PostmarkEmailBackend"
    settings.ANYMAIL = {**settings.ANYMAIL, "POSTMARK_SERVER_TOKEN": "server-token"}
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def twilio(settings):
    settings.SMS_BACKEND = "notifications.sms.backends.twilio.SmsBackend"
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def events():
    seen = []

    def receiver(sender, merchant, name, data, **kwargs):
        seen.append((name, data["kind"], data["status"]))

    merchant_event.connect(receiver, dispatch_uid="test-touchpoint-events")
    yield seen
    merchant_event.disconnect(dispatch_uid="test-touchpoint-events")


def accepted(request):
    to = json.loads(request.body)["To"]
    return (
        200,
        {},
        json.dumps(
            {
                "To": to,
                "SubmittedAt": "2026-11-23T10:00:00Z",
                "MessageID": "pm-0001",
                "ErrorCode": 0,
                "Message": "OK",
            }
        ),
    )


def send_until_settled(rounds=20):
    for _ in range(rounds):
        send_due()
        if (
            not Touchpoint.objects.unscoped(reason="test: anything left to send")
            .filter(status="scheduled", channel="email")
            .exists()
        ):
            return
        time.sleep(0.1)


def test_provider_500_is_retried_with_backoff_until_it_recovers(
    api_a, merchant_a, postmark, events
):
    outage = iter([500, 503])
    postmark.add_callback(
        responses.POST,
        POSTMARK,
        callback=lambda req: (
            (next(outage), {}, "{}") if outage.__length_hint__() else accepted(req)
        ),
    )
    place_order(api_a)
    congratulation = Touchpoint.objects.for_merchant(merchant_a).get(kind="congratulation")
    send_due()
    congratulation.refresh_from_db()
    # Rescheduled for after the failed try (a fixed moment: the backoff here is 50 ms, so
    # comparing with the clock after the call would race a busy machine).
    failed_try = congratulation.delivery_attempts.get()
    assert congratulation.status == "scheduled"
    assert congratulation.due_at > failed_try.finished_at
    assert "esp_500" in congratulation.error
    send_until_settled()
    congratulation.refresh_from_db()
    assert congratulation.status == "sent"
    assert congratulation.provider_message_id == "pm-0001"
    assert len(postmark.calls) == 3
    outcomes = list(congratulation.delivery_attempts.values_list("outcome", flat=True))
    assert outcomes == ["temporary_error", "temporary_error", "sent"]
    assert [e for e in events if e[0] == "touchpoint.sent"] == [
        ("touchpoint.sent", "congratulation", "sent")
    ]


def test_email_carries_a_stable_message_id_and_the_callback_code(api_a, merchant_a, postmark):
    postmark.add_callback(responses.POST, POSTMARK, callback=accepted)
    place_order(api_a)
    send_due()
    congratulation = Touchpoint.objects.for_merchant(merchant_a).get(kind="congratulation")
    sent = json.loads(postmark.calls[0].request.body)
    headers = {h["Name"]: h["Value"] for h in sent["Headers"]}
    assert headers["Message-ID"] == f"<tp-{congratulation.callback_code}@postpurchase.local>"
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert sent["Metadata"] == {"touchpoint": congratulation.callback_code}
    assert sent["HtmlBody"] and sent["TextBody"]


def test_inactive_recipient_fails_at_once_and_is_never_retried(api_a, merchant_a, postmark, events):
    postmark.add(
        responses.POST,
        POSTMARK,
        status=422,
        json={
            "ErrorCode": 406,
            "Message": "You tried to send to a recipient that has been marked as inactive.\n"
            "Found inactive addresses: anna@example.com.\n"
            "Inactive recipients are ones that have generated a hard bounce or a spam complaint.",
        },
    )
    place_order(api_a)
    send_due()
    congratulation = Touchpoint.objects.for_merchant(merchant_a).get(kind="congratulation")
    assert congratulation.status == "failed"
    assert "recipient refused" in congratulation.error
    Touchpoint.objects.for_merchant(merchant_a).filter(pk=congratulation.pk).update(
        due_at=timezone.now()
    )
    send_due()
    assert len(postmark.calls) == 1
    assert Suppression.objects.for_merchant(merchant_a).filter(address="anna@example.com").exists()
    assert ("touchpoint.failed", "congratulation", "failed") in events


def test_temporary_errors_give_up_after_the_last_attempt(api_a, merchant_a, postmark, settings):
    settings.TOUCHPOINT_MAX_ATTEMPTS = 3
    postmark.add(responses.POST, POSTMARK, status=503, body="{}")
    place_order(api_a)
    send_until_settled()
    congratulation = Touchpoint.objects.for_merchant(merchant_a).get(kind="congratulation")
    assert congratulation.status == "failed"
    assert congratulation.attempts == 3 and len(postmark.calls) == 3
    assert "gave up after 3 attempts" in congratulation.status_changes.last().reason


def test_backoff_grows_exponentially_with_jitter_and_a_cap(settings):
    settings.TOUCHPOINT_RETRY_BASE_SECONDS = 30
    settings.TOUCHPOINT_RETRY_MAX_SECONDS = 3600
    for attempt, full in [(1, 30), (2, 60), (3, 120), (8, 3600), (20, 3600)]:
        delays = {TOUCHPOINTS.policy().backoff.seconds(attempt) for _ in range(50)}
        assert all(full / 2 <= d <= full for d in delays), attempt
        assert len(delays) > 1  # jittered, so retries of many rows spread out


def test_a_claim_stuck_in_sending_is_recovered_and_sent(api_a, merchant_a, settings):
    from django.core import mail

    place_order(api_a)
    congratulation = Touchpoint.objects.for_merchant(merchant_a).get(kind="congratulation")
    # A worker claimed it, wrote its attempt, and died before recording the outcome.
    assert touchpoint_claim(touchpoint_id=congratulation.pk)
    DeliveryAttempt.objects.create(merchant=merchant_a, touchpoint=congratulation, number=1)
    Touchpoint.objects.for_merchant(merchant_a).filter(pk=congratulation.pk).update(
        attempts=1,
        claimed_at=timezone.now() - timezone.timedelta(seconds=conf.stuck_after_seconds() + 1),
    )
    mail.outbox.clear()
    send_due()
    congratulation.refresh_from_db()
    assert congratulation.status == "sent" and len(mail.outbox) == 1
    outcomes = list(congratulation.delivery_attempts.values_list("outcome", flat=True))
    assert outcomes == ["abandoned", "sent"]


def test_a_fresh_claim_is_left_alone(api_a, merchant_a):
    place_order(api_a)
    congratulation = Touchpoint.objects.for_merchant(merchant_a).get(kind="congratulation")
    assert touchpoint_claim(touchpoint_id=congratulation.pk)
    send_due()
    congratulation.refresh_from_db()
    assert congratulation.status == "sending"


def test_the_dispatcher_does_not_queue_again_what_it_queued_moments_ago(
    api_a, merchant_a, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from notifications.dispatch import touchpoints_dispatch_due
    from notifications.tasks import send_touchpoints

    queued = []
    monkeypatch.setattr(send_touchpoints, "delay", queued.append)
    settings.TOUCHPOINT_REQUEUE_AFTER_SECONDS = 1

    def dispatcher_pass() -> list[int]:
        with django_capture_on_commit_callbacks(execute=True):
            return touchpoints_dispatch_due()

    place_order(api_a)
    congratulation = Touchpoint.objects.for_merchant(merchant_a).get(kind="congratulation")
    assert dispatcher_pass() == [congratulation.pk]
    assert dispatcher_pass() == []  # its task is still in the queue
    assert queued == [[congratulation.pk]]

    time.sleep(1.1)  # the task was lost (no claim): once the note expires, queued again
    assert dispatcher_pass() == [congratulation.pk]

    # A claim recovered from a dead worker is queued at once, however recently queued.
    assert touchpoint_claim(touchpoint_id=congratulation.pk)
    Touchpoint.objects.for_merchant(merchant_a).filter(pk=congratulation.pk).update(
        claimed_at=timezone.now() - timezone.timedelta(seconds=conf.stuck_after_seconds() + 1)
    )
    assert dispatcher_pass() == [congratulation.pk]
    assert queued == [[congratulation.pk]] * 3


def _sms_touchpoint(api_a, merchant_a, monkeypatch):
    import datetime as dt

    noon = dt.datetime(2026, 11, 23, 11, 0, tzinfo=dt.UTC)
    monkeypatch.setattr(timezone, "now", lambda: noon)
    order = place_order(api_a)
    Touchpoint.objects.for_merchant(merchant_a).filter(kind="congratulation").update(status="done")
    scan(api_a, ship(api_a, order["id"]), "out_for_delivery", "2026-11-23T10:00:00Z")
    return updates(merchant_a).get(channel="sms")


def test_twilio_sends_with_a_status_callback_on_the_public_url(
    api_a, merchant_a, twilio, monkeypatch
):
    twilio.add(responses.POST, TWILIO, status=201, json={"sid": "SM123", "status": "queued"})
    text = _sms_touchpoint(api_a, merchant_a, monkeypatch)
    send_due()
    text.refresh_from_db()
    assert (text.status, text.provider_message_id) == ("sent", "SM123")
    from urllib.parse import parse_qs

    sent = parse_qs(twilio.calls[0].request.body)
    assert sent["To"] == ["+4520123456"] and sent["From"] == ["+4580808080"]
    assert sent["StatusCallback"] == [
        f"http://testserver/n/webhooks/twilio/status/{text.callback_code}/"
    ]


def test_twilio_invalid_number_is_permanent(api_a, merchant_a, twilio, monkeypatch):
    twilio.add(
        responses.POST,
        TWILIO,
        status=400,
        json={
            "code": 21211,
            "message": "The 'To' number is not a valid phone number.",
            "status": 400,
        },
    )
    text = _sms_touchpoint(api_a, merchant_a, monkeypatch)
    send_due()
    send_due()
    text.refresh_from_db()
    assert text.status == "failed" and "21211" in text.error
    assert len(twilio.calls) == 1
    assert (
        Suppression.objects.for_merchant(merchant_a)
        .filter(channel="sms", address="+4520123456")
        .exists()
    )


def test_twilio_outage_is_temporary(api_a, merchant_a, twilio, monkeypatch):
    twilio.add(
        responses.POST, TWILIO, status=503, json={"code": 20503, "message": "down", "status": 503}
    )
    text = _sms_touchpoint(api_a, merchant_a, monkeypatch)
    send_due()
    text.refresh_from_db()
    assert text.status == "scheduled" and text.attempts == 1


# --- batches: a task sends many ids; each row is claimed by exactly one batch ---


def _congratulations(api, merchant, count: int) -> list[int]:
    for n in range(count):
        place_order(api, external_id=f"batch-{n}")
    return list(
        Touchpoint.objects.for_merchant(merchant)
        .filter(kind="congratulation", status="scheduled")
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def test_overlapping_batches_claim_each_touchpoint_once(api_a, merchant_a):
    a, b, c = _congratulations(api_a, merchant_a, 3)
    now = timezone.now()

    first = touchpoints_claim(touchpoint_ids=[a, b], now=now)
    second = touchpoints_claim(touchpoint_ids=[a, b, c], now=now)

    assert sorted(first) == [a, b] and second == [c]


def test_a_batch_sends_its_touchpoints_and_leaves_what_another_worker_claimed(api_a, merchant_a):
    from django.core import mail

    a, b, c = _congratulations(api_a, merchant_a, 3)
    assert touchpoint_claim(touchpoint_id=b)  # another worker has it
    mail.outbox.clear()

    results = touchpoints_send(touchpoint_ids=[a, b, c])

    assert results == {a: "sent", b: "not-claimed", c: "sent"}
    assert len(mail.outbox) == 2
    assert Touchpoint.objects.for_merchant(merchant_a).get(pk=b).status == "sending"
    attempts = DeliveryAttempt.objects.for_merchant(merchant_a)
    assert sorted(attempts.values_list("touchpoint_id", "number")) == [(a, 1), (c, 1)]


def test_a_batch_gives_back_what_it_could_not_start_before_its_claim_got_old(
    api_a, merchant_a, settings
):
    from django.core import mail

    ids = _congratulations(api_a, merchant_a, 2)
    settings.TOUCHPOINT_STUCK_AFTER_SECONDS = 0  # every claim is old at once
    mail.outbox.clear()

    results = touchpoints_send(touchpoint_ids=ids)

    assert set(results.values()) == {"not-claimed"} and mail.outbox == []
    rows = Touchpoint.objects.for_merchant(merchant_a).filter(pk__in=ids)
    assert set(rows.values_list("status", "claimed_at", "attempts")) == {("scheduled", None, 0)}
    assert not DeliveryAttempt.objects.for_merchant(merchant_a).exists()


def test_a_builder_that_raises_counts_as_an_attempt_and_ends_failed(
    api_a, merchant_a, settings, monkeypatch
):
    from notifications import builders

    settings.TOUCHPOINT_MAX_ATTEMPTS = 2

    def broken(touchpoint):
        raise RuntimeError("template bug")

    monkeypatch.setitem(builders._builders, ("congratulation", "email"), broken)
    place_order(api_a)
    congratulation = Touchpoint.objects.for_merchant(merchant_a).get(kind="congratulation")

    send_due()
    congratulation.refresh_from_db()
    assert (congratulation.status, congratulation.attempts) == ("scheduled", 1)
    Touchpoint.objects.for_merchant(merchant_a).filter(pk=congratulation.pk).update(
        due_at=timezone.now()
    )
    send_due()
    congratulation.refresh_from_db()
    assert (congratulation.status, congratulation.attempts) == ("failed", 2)
    assert "template bug" in congratulation.error


def test_emails_reuse_one_connection_to_the_provider(
    api_a, merchant_a, postmark, settings, monkeypatch
):
    from anymail.backends.base_requests import AnymailRequestsBackend

    sessions = []
    create_session = AnymailRequestsBackend.create_session

    def counted(self):
        sessions.append(self)
        return create_session(self)

    monkeypatch.setattr(AnymailRequestsBackend, "create_session", counted)
    # A token of its own, so no connection kept by an earlier test is reused.
    settings.ANYMAIL = {**settings.ANYMAIL, "POSTMARK_SERVER_TOKEN": f"t-{time.monotonic()}"}
    postmark.add_callback(responses.POST, POSTMARK, callback=accepted)
    ids = _congratulations(api_a, merchant_a, 3)

    touchpoints_send(touchpoint_ids=ids[:2])
    touchpoints_send(touchpoint_ids=ids[2:])

    assert len(postmark.calls) == 3
    assert len(sessions) == 1


def test_the_kept_email_connection_still_honours_proxy_settings(settings, monkeypatch):
    from notifications.transports import email_connection

    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.ANYMAIL = {**settings.ANYMAIL, "POSTMARK_SERVER_TOKEN": f"p-{time.monotonic()}"}
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/company-ca.pem")

    session = email_connection().session

    assert session.proxies["https"] == "http://proxy.example:3128"
    assert session.verify == "/etc/ssl/company-ca.pem"
    settings.ANYMAIL = {**settings.ANYMAIL, "POSTMARK_SERVER_TOKEN": f"q-{time.monotonic()}"}
    monkeypatch.setenv("NO_PROXY", "api.postmarkapp.com")
    assert "https" not in email_connection().session.proxies


def _kept_postmark_session(settings):
    from notifications.transports import email_connection

    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    # A token of its own, so no connection kept by an earlier test is reused.
    settings.ANYMAIL = {**settings.ANYMAIL, "POSTMARK_SERVER_TOKEN": f"l-{time.monotonic()}"}
    return email_connection().session


def test_emails_go_out_without_requests_session_layer(
    api_a, merchant_a, postmark, settings, monkeypatch
):
    """The fast path of #16's second round: anymail's calls go straight to the session's
    transport adapter (_LeanSession), not through requests.Session.send."""
    import requests

    from notifications.transports import _LeanSession

    assert isinstance(_kept_postmark_session(settings), _LeanSession)

    def full_way(*args, **kwargs):
        raise AssertionError("went through requests.Session.send")

    monkeypatch.setattr(requests.Session, "send", full_way)
    postmark.add_callback(responses.POST, POSTMARK, callback=accepted)
    ids = _congratulations(api_a, merchant_a, 2)

    assert set(touchpoints_send(touchpoint_ids=ids).values()) == {"sent"}
    assert len(postmark.calls) == 2


def test_the_lean_email_session_sends_what_requests_would(postmark, settings):
    import requests

    session = _kept_postmark_session(settings)
    postmark.add_callback(responses.POST, POSTMARK, callback=accepted)
    call = {
        "method": "POST",
        "url": POSTMARK,
        "params": None,
        "data": json.dumps({"To": "anna@example.com", "Subject": "Tak"}),
        "headers": {"Content-Type": "application/json", "X-Postmark-Server-Token": "t"},
        "files": None,
        "auth": None,
        "timeout": 5,
    }

    lean = session.request(**call)
    full = requests.Session.request(session, **call)

    first, second = (made.request for made in postmark.calls)
    assert (first.method, first.url, first.body) == (second.method, second.url, second.body)
    assert dict(first.headers) == dict(second.headers)
    assert first.headers["Content-Length"] == str(len(call["data"]))
    assert (lean.status_code, lean.json(), lean.reason) == (full.status_code, full.json(), "OK")


def test_the_lean_email_session_follows_a_redirect_as_requests_would(postmark, settings):
    session = _kept_postmark_session(settings)
    moved = "https://api.postmarkapp.com/v2/email"
    postmark.add(responses.POST, POSTMARK, status=307, headers={"Location": moved})
    postmark.add_callback(responses.POST, moved, callback=accepted)

    response = session.request(
        method="POST", url=POSTMARK, data=json.dumps({"To": "a@example.com"}), timeout=5
    )

    assert (response.status_code, response.url) == (200, moved)


def test_an_unreachable_provider_is_a_temporary_failure(api_a, merchant_a, postmark):
    import requests

    postmark.add(responses.POST, POSTMARK, body=requests.ConnectionError("refused"))
    (touchpoint_id,) = _congratulations(api_a, merchant_a, 1)

    assert touchpoints_send(touchpoint_ids=[touchpoint_id]) == {touchpoint_id: "scheduled"}
    row = Touchpoint.objects.for_merchant(merchant_a).get(pk=touchpoint_id)
    attempt = row.delivery_attempts.get()
    assert (row.attempts, attempt.outcome) == (1, "temporary_error")
    assert "esp_unreachable" in row.error


def test_each_send_of_a_batch_starts_its_attempt_only_while_its_claim_is_ours(
    api_a, merchant_a, monkeypatch
):
    """The next row's attempt starts with the previous row's outcome (one statement on
    PostgreSQL): a row another sender has meanwhile is left to it, the outcome is kept."""
    from django.core import mail

    from notifications import sending

    first, second = _congratulations(api_a, merchant_a, 2)
    hand_over = sending._hand_to_provider

    def taken_meanwhile(message, touchpoint):
        provider_id = hand_over(message, touchpoint)
        if touchpoint.pk == first:  # a recovery and another sender's claim, meanwhile
            Touchpoint.objects.for_merchant(merchant_a).filter(pk=second).update(
                claimed_at=timezone.now() + timezone.timedelta(seconds=1)
            )
        return provider_id

    monkeypatch.setattr(sending, "_hand_to_provider", taken_meanwhile)
    mail.outbox.clear()

    assert touchpoints_send(touchpoint_ids=[first, second]) == {
        first: "sent",
        second: "not-claimed",
    }
    assert len(mail.outbox) == 1
    rows = Touchpoint.objects.for_merchant(merchant_a)
    assert (rows.get(pk=second).attempts, rows.get(pk=first).attempts) == (0, 1)
    attempts = DeliveryAttempt.objects.for_merchant(merchant_a)
    assert list(attempts.values_list("touchpoint_id", "outcome")) == [(first, "sent")]


def test_a_batch_goes_on_when_recording_one_send_fails(api_a, merchant_a, monkeypatch):
    """The failed record leaves its row `sending` (the stuck-claim recovery settles it);
    the next row, whose start it would have carried, is started on its own and sent."""
    from django.core import mail

    from notifications import sending

    first, second, third = _congratulations(api_a, merchant_a, 3)
    record_sent = sending._record_sent

    def hiccup_once(touchpoint, *args, **kwargs):
        if touchpoint.pk == first:
            raise RuntimeError("connection lost while recording")
        return record_sent(touchpoint, *args, **kwargs)

    monkeypatch.setattr(sending, "_record_sent", hiccup_once)
    mail.outbox.clear()

    assert touchpoints_send(touchpoint_ids=[first, second, third]) == {
        first: "sending",
        second: "sent",
        third: "sent",
    }
    assert len(mail.outbox) == 3
    rows = Touchpoint.objects.for_merchant(merchant_a)
    assert [rows.get(pk=pk).attempts for pk in (first, second, third)] == [1, 1, 1]


def test_a_record_rolled_back_after_its_statement_starts_the_next_send_again(api_a, merchant_a):
    """The next row's start shares the record's transaction: when a later write of that
    transaction fails (here the sent event's webhook row), the start is undone with it,
    and the next row is started on its own and sent, not left claimed."""
    from django.core import mail

    first, second = _congratulations(api_a, merchant_a, 2)

    def webhook_row_fails(sender, *, name, data, **kwargs):
        if name == "touchpoint.sent" and data["touchpoint_id"] == first:
            raise RuntimeError("webhook row not written")

    merchant_event.connect(webhook_row_fails, dispatch_uid="test-webhook-row-fails")
    mail.outbox.clear()
    try:
        outcomes = touchpoints_send(touchpoint_ids=[first, second])
    finally:
        merchant_event.disconnect(dispatch_uid="test-webhook-row-fails")

    assert outcomes[second] == "sent"
    assert len(mail.outbox) == 2
    rows = Touchpoint.objects.for_merchant(merchant_a)
    assert (rows.get(pk=first).status, rows.get(pk=second).attempts) == ("sending", 1)


def test_a_batch_hands_back_rows_once_its_reads_are_old_so_an_opt_out_stops_them(
    api_a, merchant_a, settings, monkeypatch
):
    """A slow batch sends nothing from reads older than TOUCHPOINT_BATCH_FRESH_SECONDS:
    the rest goes back, to be claimed again with the buyer's opt-out in view."""
    from django.core import mail

    from notifications import sending

    first, second = _congratulations(api_a, merchant_a, 2)
    settings.TOUCHPOINT_BATCH_FRESH_SECONDS = 5
    real_hand_over = sending._hand_to_provider
    clock = [timezone.now()]
    monkeypatch.setattr(sending.timezone, "now", lambda: clock[0])

    def slow_provider(message, touchpoint):
        provider_id = real_hand_over(message, touchpoint)
        buyer = Touchpoint.objects.for_merchant(merchant_a).get(pk=second).order.customer
        Suppression.objects.create(merchant=merchant_a, channel="email", address=buyer.email)
        clock[0] += timezone.timedelta(seconds=6)  # the first send took six seconds
        return provider_id

    monkeypatch.setattr(sending, "_hand_to_provider", slow_provider)
    mail.outbox.clear()

    assert touchpoints_send(touchpoint_ids=[first, second]) == {
        first: "sent",
        second: "not-claimed",
    }
    monkeypatch.setattr(sending, "_hand_to_provider", real_hand_over)
    clock[0] += timezone.timedelta(seconds=1)
    assert touchpoints_send(touchpoint_ids=[second]) == {second: "skipped"}
    assert len(mail.outbox) == 1


def test_a_sent_message_whose_recording_fails_is_never_rescheduled(api_a, merchant_a, monkeypatch):
    from django.core import mail

    from notifications import sending

    (touchpoint_id,) = _congratulations(api_a, merchant_a, 1)

    def database_hiccup(*args, **kwargs):
        raise RuntimeError("connection lost while recording")

    monkeypatch.setattr(sending, "_record_sent", database_hiccup)
    mail.outbox.clear()

    assert touchpoints_send(touchpoint_ids=[touchpoint_id]) == {touchpoint_id: "sending"}
    assert len(mail.outbox) == 1
    row = Touchpoint.objects.for_merchant(merchant_a).get(pk=touchpoint_id)
    # Not scheduled again: a retry would hand the same message over a second time.
    assert row.status == "sending"
    assert touchpoints_send(touchpoint_ids=[touchpoint_id]) == {touchpoint_id: "not-claimed"}
    assert len(mail.outbox) == 1


def test_a_send_records_attempt_status_history_and_webhook_together(api_a, merchant_a):
    from notifications.models import TouchpointStatusChange
    from notifications.webhooks_out.models import WebhookDelivery
    from notifications.webhooks_out.services import webhook_endpoint_create

    webhook_endpoint_create(
        merchant=merchant_a, url="http://127.0.0.1:9/hook", events=["touchpoint.sent"]
    )
    (touchpoint_id,) = _congratulations(api_a, merchant_a, 1)

    assert touchpoints_send(touchpoint_ids=[touchpoint_id]) == {touchpoint_id: "sent"}

    row = Touchpoint.objects.for_merchant(merchant_a).get(pk=touchpoint_id)
    attempt = DeliveryAttempt.objects.for_merchant(merchant_a).get(touchpoint_id=touchpoint_id)
    assert (row.status, row.error, row.recipient) == ("sent", "", "anna@example.com")
    assert row.sent_at is not None and row.provider_message_id == attempt.provider_message_id
    assert (attempt.outcome, attempt.finished_at is not None) == ("sent", True)
    last = TouchpointStatusChange.objects.for_merchant(merchant_a).filter(
        touchpoint_id=touchpoint_id
    )
    assert list(last.order_by("pk").values_list("from_status", "to_status"))[-1] == (
        "sending",
        "sent",
    )
    event = WebhookDelivery.objects.for_merchant(merchant_a).get(event="touchpoint.sent")
    assert event.payload["data"]["touchpoint_id"] == touchpoint_id


def test_a_delivery_reported_before_the_send_is_recorded_keeps_its_status(
    api_a, merchant_a, monkeypatch, events
):
    """The provider's delivery webhook can beat the sender's own record: the row stays
    delivered, with what was sent filled in, and no second history line or event."""
    from notifications import sending

    (touchpoint_id,) = _congratulations(api_a, merchant_a, 1)
    hand_over = sending._hand_to_provider

    def delivered_meanwhile(message, touchpoint):
        provider_id = hand_over(message, touchpoint)
        Touchpoint.objects.for_merchant(merchant_a).filter(pk=touchpoint_id).update(
            status="delivered"
        )
        return provider_id

    monkeypatch.setattr(sending, "_hand_to_provider", delivered_meanwhile)

    assert touchpoints_send(touchpoint_ids=[touchpoint_id]) == {touchpoint_id: "delivered"}

    row = Touchpoint.objects.for_merchant(merchant_a).get(pk=touchpoint_id)
    attempt = DeliveryAttempt.objects.for_merchant(merchant_a).get(touchpoint_id=touchpoint_id)
    assert row.status == "delivered"
    assert (row.recipient, row.sent_at is not None) == ("anna@example.com", True)
    assert attempt.outcome == "sent"
    assert not [e for e in events if e[0] == "touchpoint.sent"]


def _postmark_bodies(backend: str, messages) -> list[dict]:
    from django.core import mail

    with responses.RequestsMock() as mock:
        mock.add_callback(responses.POST, POSTMARK, callback=accepted)
        connection = mail.get_connection(backend, server_token="server-token")
        connection.send_messages(messages)
        return [json.loads(call.request.body) for call in mock.calls]


def _shop_emails(count: int, sender='"Bøger & Kaffe, Aarhus" <shop@bøger.example>'):
    from django.core.mail import EmailMultiAlternatives

    return [
        EmailMultiAlternatives(
            subject="Tak",
            body="Tak for din ordre",
            from_email=sender,
            to=[f"Anna Ø. {n} <anna{n}@example.com>"],
            reply_to=["Kundeservice <hjælp@example.com>", "ops@example.com"],
        )
        for n in range(count)
    ]


def test_our_postmark_backend_sends_what_anymails_sends():
    ours = _postmark_bodies("notifications.email_backends.PostmarkEmailBackend", _shop_emails(2))
    anymails = _postmark_bodies("anymail.backends.postmark.EmailBackend", _shop_emails(2))

    assert ours == anymails
    assert ours[1]["From"] == '"Bøger & Kaffe, Aarhus" <shop@xn--bger-gra.example>'


def test_a_shops_sender_and_reply_to_are_parsed_once(monkeypatch):
    """The fast path of #16's third round: a shop's From and Reply-To, the same on every
    message, are parsed by anymail once per process, not per message."""
    from notifications import email_backends

    parsed = []

    def counting(value, field=None):
        parsed.append(field)
        return parse(value, field=field)

    parse = email_backends.parse_address_list
    monkeypatch.setattr(email_backends, "parse_address_list", counting)
    email_backends._parsed.cache_clear()

    sent = _postmark_bodies("notifications.email_backends.PostmarkEmailBackend", _shop_emails(3))

    assert len(sent) == 3
    assert sorted(parsed) == ["from_email", "reply_to"]


def test_an_invalid_shop_sender_fails_every_message():
    from anymail.exceptions import AnymailInvalidAddress
    from django.core import mail

    connection = mail.get_connection(
        "notifications.email_backends.PostmarkEmailBackend", server_token="server-token"
    )
    for _ in range(2):
        with pytest.raises(AnymailInvalidAddress, match="from_email"):
            connection.send_messages(_shop_emails(1, sender="no address here"))
