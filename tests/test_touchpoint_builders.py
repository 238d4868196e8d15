"""The builder registry: whatever a kind's builder returns is what the sender sends."""

import pytest
from django.core import mail

from notifications import builders
from notifications.builders import OutgoingEmail, OutgoingSms, register_builder
from notifications.models import Touchpoint
from notifications.sending import touchpoint_send
from orders.services import order_upsert

pytestmark = pytest.mark.django_db


@pytest.fixture
def annas_order(merchant_a, order_payload):
    from orders.serializers import OrderInput

    serializer = OrderInput(data=order_payload)
    serializer.is_valid(raise_exception=True)
    return order_upsert(merchant=merchant_a, data=serializer.validated_data).order


@pytest.fixture
def endorsement_builders():
    saved = dict(builders._builders)
    yield
    builders._builders.clear()
    builders._builders.update(saved)


def _touchpoint(order, kind, channel):
    return Touchpoint.objects.create(
        merchant=order.merchant, order=order, kind=kind, channel=channel, cause="test"
    )


def test_registered_email_builder_is_sent_with_unsubscribe_headers(
    annas_order, endorsement_builders
):
    @register_builder("endorsement_request", "email")
    def build(touchpoint):
        return OutgoingEmail(
            to=touchpoint.order.customer.email, subject="Would you recommend us?", text="Hi Anna"
        )

    touchpoint = _touchpoint(annas_order, "endorsement_request", "email")
    assert touchpoint_send(touchpoint_id=touchpoint.pk) == "sent"
    sent = [m for m in mail.outbox if m.subject == "Would you recommend us?"]
    assert len(sent) == 1
    assert sent[0].to == ["anna@example.com"]
    assert sent[0].extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert sent[0].extra_headers["List-Unsubscribe"].startswith("<http://testserver/n/u/")
    assert "Nordic Living" in sent[0].from_email
    touchpoint.refresh_from_db()
    assert touchpoint.status == "sent" and touchpoint.attempts == 1
    assert touchpoint.recipient == "anna@example.com"


def test_registered_sms_builder_is_sent(annas_order, endorsement_builders, no_sms_quiet_hours):
    from notifications import sms

    @register_builder("endorsement_request", "sms")
    def build(touchpoint):
        return OutgoingSms(to=touchpoint.order.customer.phone, body="Tell a friend?")

    touchpoint = _touchpoint(annas_order, "endorsement_request", "sms")
    assert touchpoint_send(touchpoint_id=touchpoint.pk) == "sent"
    assert [(m.to, m.body) for m in sms.outbox] == [("+4520123456", "Tell a friend?")]
    touchpoint.refresh_from_db()
    assert touchpoint.provider_message_id.startswith("locmem-")


def test_builder_returning_none_skips_the_touchpoint(annas_order, endorsement_builders):
    register_builder("endorsement_request", "email")(lambda touchpoint: None)
    touchpoint = _touchpoint(annas_order, "endorsement_request", "email")
    mail.outbox.clear()
    assert touchpoint_send(touchpoint_id=touchpoint.pk) == "skipped"
    assert mail.outbox == []
    assert touchpoint.status_changes.last().reason == "nothing to send"


def test_a_touchpoint_is_sent_once_even_if_its_task_runs_twice(annas_order):
    congratulation = annas_order.touchpoints.get(kind="congratulation")
    mail.outbox.clear()
    assert touchpoint_send(touchpoint_id=congratulation.pk) == "sent"
    assert touchpoint_send(touchpoint_id=congratulation.pk) == "not-claimed"
    assert len(mail.outbox) == 1
