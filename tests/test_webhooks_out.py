"""Outgoing webhooks: Nordic Living's own system receives our events, signed and retried.

Their receiver on 127.0.0.1 is down twice (503) before it accepts; every request it
gets is checked against the endpoint's secret, as the merchant's code would.
"""

import json
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from notifications.webhooks_out import selectors, signing
from notifications.webhooks_out.models import WebhookDelivery
from notifications.webhooks_out.services import (
    DELIVERIES,
    webhook_deliveries_due_ids,
    webhook_delivery_attempt,
    webhook_endpoint_create,
)
from postpurchase import events
from tests.webhook_receiver import Receiver, start

pytestmark = [pytest.mark.services]

RATING = {"order_id": 41, "score": 5, "comment": "Lovely sofa"}


@pytest.fixture
def receiver():
    receiver = Receiver(fail_first=2)
    server = start(receiver)
    yield receiver
    server.shutdown()
    server.server_close()


@pytest.fixture
def endpoint_a(merchant_a, receiver):
    endpoint, secret = webhook_endpoint_create(
        merchant=merchant_a, url=receiver.url, events=["rating.received", "touchpoint.sent"]
    )
    receiver.secret = secret
    return endpoint


def _run_dispatcher_until_quiet(rounds=20):
    statuses = []
    for _ in range(rounds):
        ids = webhook_deliveries_due_ids()
        statuses += [webhook_delivery_attempt(delivery_id=pk) for pk in ids]
        if (
            not WebhookDelivery.objects.unscoped(reason="test: every merchant's deliveries")
            .filter(status="pending")
            .exists()
        ):
            break
    return statuses


@pytest.mark.django_db
def test_event_is_retried_with_backoff_until_the_receiver_accepts(
    merchant_a, endpoint_a, receiver, settings
):
    settings.WEBHOOKS_OUT_RETRY_BASE_SECONDS = 0
    events.emit(merchant=merchant_a, name="rating.received", data=RATING)
    assert _run_dispatcher_until_quiet() == ["pending", "pending", "delivered"]

    delivery = WebhookDelivery.objects.for_merchant(merchant_a).get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 3, 204)
    assert [a.status_code for a in delivery.log.all()] == [503, 503, 204]
    assert [r.answered for r in receiver.requests] == [503, 503, 204]
    assert all(r.signature_ok for r in receiver.requests)
    # Every retry carries the same event and the same bytes.
    assert len({r.body for r in receiver.requests}) == 1
    body = json.loads(receiver.requests[0].body)
    assert body["type"] == "rating.received"
    assert body["data"] == RATING
    assert body["merchant"] == "nordic-living"
    assert receiver.requests[0].headers["X-Postpurchase-Delivery"] == body["id"]


@pytest.mark.django_db
def test_a_failed_attempt_waits_for_its_due_time(merchant_a, endpoint_a, receiver, settings):
    settings.WEBHOOKS_OUT_RETRY_BASE_SECONDS = 60
    events.emit(merchant=merchant_a, name="rating.received", data=RATING)
    delivery = WebhookDelivery.objects.for_merchant(merchant_a).get()
    before = timezone.now()
    assert webhook_delivery_attempt(delivery_id=delivery.pk) == "pending"
    delivery.refresh_from_db()
    assert before + timedelta(seconds=59) < delivery.next_attempt_at
    # Not due yet: neither the dispatcher nor a stray task sends it again.
    assert webhook_deliveries_due_ids() == []
    assert webhook_delivery_attempt(delivery_id=delivery.pk) == "skipped"
    assert len(receiver.requests) == 1


def test_backoff_doubles_and_is_capped(settings):
    settings.WEBHOOKS_OUT_RETRY_BASE_SECONDS = 30
    backoff = DELIVERIES.policy().backoff
    assert [backoff.delay(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert backoff.delay(30).total_seconds() == 6 * 3600


@pytest.mark.django_db
def test_gives_up_after_max_attempts(merchant_a, endpoint_a, receiver, settings):
    settings.WEBHOOKS_OUT_RETRY_BASE_SECONDS = 0
    settings.WEBHOOKS_OUT_MAX_ATTEMPTS = 2
    events.emit(merchant=merchant_a, name="rating.received", data=RATING)
    assert _run_dispatcher_until_quiet() == ["pending", "failed"]
    assert len(receiver.requests) == 2


@pytest.mark.django_db
def test_delivery_row_is_written_with_the_event_and_rolled_back_with_it(merchant_a, endpoint_a):
    with pytest.raises(RuntimeError), transaction.atomic():
        events.emit(merchant=merchant_a, name="rating.received", data=RATING)
        assert WebhookDelivery.objects.for_merchant(merchant_a).count() == 1
        raise RuntimeError("the rating was not saved after all")
    assert not WebhookDelivery.objects.for_merchant(merchant_a).exists()


@pytest.mark.django_db
def test_only_subscribed_events_of_the_merchant_are_delivered(merchant_a, merchant_b, endpoint_a):
    events.emit(merchant=merchant_a, name="call.completed", data={"call_id": 1})
    events.emit(merchant=merchant_b, name="rating.received", data=RATING)
    assert not WebhookDelivery.objects.unscoped(reason="test: every merchant's deliveries").exists()


@pytest.mark.django_db
def test_private_targets_are_refused_unless_allowed(merchant_a, settings):
    settings.WEBHOOKS_OUT_ALLOW_PRIVATE_TARGETS = False
    for url in (
        "http://127.0.0.1:8000/x",
        "http://10.1.2.3/x",
        "http://[::1]/x",
        "http://169.254.169.254/latest/meta-data",
    ):
        with pytest.raises(ValidationError) as refused:
            webhook_endpoint_create(merchant=merchant_a, url=url, events=["rating.received"])
        assert "private network" in str(refused.value)


@pytest.mark.django_db
def test_only_http_and_https_urls(merchant_a):
    for url in ("ftp://example.com/x", "file:///etc/passwd", "gopher://example.com/"):
        with pytest.raises(ValidationError):
            webhook_endpoint_create(merchant=merchant_a, url=url, events=["rating.received"])


@pytest.mark.django_db
def test_delivery_to_an_address_refused_later_fails_at_once(
    merchant_a, endpoint_a, receiver, settings
):
    events.emit(merchant=merchant_a, name="rating.received", data=RATING)
    settings.WEBHOOKS_OUT_ALLOW_PRIVATE_TARGETS = False  # production settings
    delivery = WebhookDelivery.objects.for_merchant(merchant_a).get()
    assert webhook_delivery_attempt(delivery_id=delivery.pk) == "failed"
    assert receiver.requests == []


@pytest.mark.django_db
def test_unknown_event_names_are_refused(merchant_a, receiver):
    with pytest.raises(ValidationError):
        webhook_endpoint_create(merchant=merchant_a, url=receiver.url, events=["order.eaten"])


def test_signature_verification_rejects_tampering_and_old_timestamps():
    body = b'{"type":"rating.received"}'
    header = signing.header_value("whsec_x", body, timestamp=1_800_000_000)
    assert signing.verify("whsec_x", body, header, now=1_800_000_010)
    assert not signing.verify("whsec_x", body + b" ", header, now=1_800_000_010)
    assert not signing.verify("whsec_y", body, header, now=1_800_000_010)
    assert not signing.verify("whsec_x", body, header, now=1_800_000_000 + 301)


@pytest.mark.django_db
def test_delivery_log_shows_only_the_merchants_own(merchant_a, merchant_b, endpoint_a, settings):
    settings.WEBHOOKS_OUT_RETRY_BASE_SECONDS = 0
    events.emit(merchant=merchant_a, name="rating.received", data=RATING)
    _run_dispatcher_until_quiet()
    log = list(selectors.webhook_delivery_log(merchant=merchant_a))
    assert [len(d.log.all()) for d in log] == [3]
    assert list(selectors.webhook_delivery_log(merchant=merchant_b)) == []


@pytest.mark.django_db(transaction=True)
def test_worker_delivers_after_commit_and_beat_dispatcher_retries(merchant_a, receiver, tmp_path):
    from notifications.webhooks_out.tasks import dispatch_webhooks
    from tests.processes import celery_worker, process_env, wait_for

    _endpoint, receiver.secret = webhook_endpoint_create(
        merchant=merchant_a, url=receiver.url, events=["rating.received"]
    )
    env = process_env(WEBHOOKS_OUT_RETRY_BASE_SECONDS="0.2")
    with celery_worker(tmp_path / "worker.log", env=env):
        with transaction.atomic():
            events.emit(merchant=merchant_a, name="rating.received", data=RATING)
        wait_for(lambda: len(receiver.requests) >= 1)  # sent by the task queued on commit

        def delivered():
            dispatch_webhooks()  # what beat runs every few seconds
            return len(receiver.accepted()) == 1

        wait_for(delivered, timeout=40, interval=0.5)
    delivery = WebhookDelivery.objects.for_merchant(merchant_a).get()
    assert (delivery.status, delivery.attempts) == ("delivered", 3)
    assert [r.answered for r in receiver.requests] == [503, 503, 204]
    assert all(r.signature_ok for r in receiver.requests)


@pytest.mark.django_db
def test_screen_adds_an_endpoint_shows_its_secret_once_and_the_log(
    client, alice, merchant_a, receiver, settings
):
    settings.WEBHOOKS_OUT_RETRY_BASE_SECONDS = 0
    client.force_login(alice)
    response = client.post(
        "/dashboard/webhooks/", {"url": receiver.url, "events": ["rating.received"]}
    )
    assert response.status_code == 200
    html = response.content.decode()
    secret = html.split('id="new-secret">')[1].split("<")[0]
    assert secret.startswith("whsec_")
    receiver.secret = secret
    events.emit(merchant=merchant_a, name="rating.received", data=RATING)
    _run_dispatcher_until_quiet()
    assert receiver.accepted() and all(r.signature_ok for r in receiver.requests)
    page = client.get("/dashboard/webhooks/").content.decode()
    assert secret not in page
    assert "rating.received" in page and "503" in page and "204" in page


@pytest.mark.django_db
def test_screen_refuses_a_bad_url(client, alice, merchant_a):
    client.force_login(alice)
    response = client.post(
        "/dashboard/webhooks/", {"url": "ftp://x.example/", "events": ["risk.raised"]}
    )
    assert response.status_code == 400
    assert "Only http and https" in response.content.decode()


@pytest.mark.django_db
def test_bob_cannot_see_or_turn_off_alices_endpoint(client, bob, merchant_a, endpoint_a):
    client.force_login(bob)
    assert endpoint_a.url not in client.get("/dashboard/webhooks/").content.decode()
    response = client.post(f"/dashboard/webhooks/{endpoint_a.pk}/disable/")
    assert response.status_code == 404
    endpoint_a.refresh_from_db()
    assert endpoint_a.is_active


@pytest.mark.django_db
def test_alice_turns_her_endpoint_off_and_nothing_more_is_sent(
    client, alice, merchant_a, endpoint_a
):
    client.force_login(alice)
    assert client.post(f"/dashboard/webhooks/{endpoint_a.pk}/disable/").status_code == 302
    events.emit(merchant=merchant_a, name="rating.received", data=RATING)
    assert not WebhookDelivery.objects.for_merchant(merchant_a).exists()
