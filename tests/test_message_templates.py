"""Alice rewrites Nordic Living's messages: validated, previewed, and never breaking a send."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from notifications.models import MessageTemplate, Touchpoint
from notifications.services import (
    available_variables,
    message_template_save,
    template_preview,
    template_send_test,
    template_validate,
)
from orders.models import Order
from postpurchase.models import AuditLogEntry
from tests.notification_helpers import place_order, send_due

pytestmark = pytest.mark.django_db


def test_merchant_wording_is_used_for_the_buyers_locale(api_a, merchant_a, alice):
    message_template_save(
        merchant=merchant_a,
        actor=alice,
        kind="congratulation",
        channel="email",
        locale="da",
        subject="Tusind tak, {{ customer_first_name }}!",
        body="Kære {{ customer_first_name }}\n\nVi pakker {{ order_number }} med omhu.",
    )
    place_order(api_a)
    place_order(api_a, "3002", locale="en")
    send_due()
    subjects = sorted(m.subject for m in mail.outbox)
    assert subjects == ["Thank you for your order #3002!", "Tusind tak, Anna!"]
    danish = next(m for m in mail.outbox if m.subject == "Tusind tak, Anna!")
    assert "Vi pakker #3001 med omhu." in danish.alternatives[0][0]
    assert "Tillykke med dit nye køb!" in danish.alternatives[0][0]  # our layout around it
    assert (
        AuditLogEntry.objects.for_merchant(merchant_a)
        .filter(action="message_template.created", actor=alice)
        .exists()
    )


def test_a_status_specific_sms_wins_over_the_general_one(merchant_a):
    from notifications.templating import find_override

    message_template_save(
        merchant=merchant_a,
        kind="shipment_update",
        channel="sms",
        locale="da",
        body="Alle: {{ tracking_url }}",
    )
    specific = message_template_save(
        merchant=merchant_a,
        kind="shipment_update",
        channel="sms",
        locale="da",
        shipment_status="delivered",
        body="Leveret! {{ tracking_url }}",
    )
    found = find_override(
        merchant=merchant_a,
        kind="shipment_update",
        channel="sms",
        locale="da",
        shipment_status="delivered",
    )
    assert found == specific


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("Hi {{ customer.email }}", "Unknown variable"),
        ("Hi {{ secret_key }}", "Unknown variable"),
        ("{% include 'notifications/email/message.html' %}", "Only {{ variables }}"),
        ("{% load static %}{% static 'x' %}", "Template syntax error"),
        ("{% debug %}", "Only {{ variables }}"),
        ("{{ tracking_url|safe }}", "is not allowed"),
        ("{% if %}", "Template syntax error"),
        ("   ", "cannot be empty"),
    ],
)
def test_unsafe_or_broken_templates_are_refused(body, message):
    errors = template_validate(kind="congratulation", channel="sms", body=body)
    assert any(message in text for text in errors["body"]), errors


def test_email_template_needs_a_one_line_subject(merchant_a):
    with pytest.raises(ValidationError) as refused:
        message_template_save(
            merchant=merchant_a, kind="congratulation", channel="email", locale="da", body="Hej"
        )
    assert "subject" in refused.value.message_dict
    assert not MessageTemplate.objects.for_merchant(merchant_a).exists()


def test_variables_are_listed_per_kind():
    assert "status_label" in available_variables("shipment_update")
    assert "status_label" not in available_variables("congratulation")
    assert "expected_delivery" in available_variables("congratulation")


def test_a_template_that_fails_to_render_falls_back_to_the_default_and_is_recorded(
    api_a, merchant_a
):
    # Saved around validation (an old row, a bad import): it must not hurt the buyer.
    broken = MessageTemplate.objects.create(
        merchant=merchant_a,
        kind="congratulation",
        channel="email",
        locale="da",
        subject="Hej {% if %}",
        body="{% for x in y %}",
    )
    place_order(api_a)
    send_due()
    (message,) = mail.outbox
    assert message.subject == "Tak for din ordre #3001!"
    broken.refresh_from_db()
    assert "TemplateSyntaxError" in broken.last_error and broken.last_error_at
    congratulation = Touchpoint.objects.for_merchant(merchant_a).get(kind="congratulation")
    assert congratulation.status == "sent"
    assert "TemplateSyntaxError" in congratulation.payload["template_error"]


def test_preview_of_a_draft_changes_nothing(merchant_a):
    before = (
        Order.objects.for_merchant(merchant_a).count(),
        MessageTemplate.objects.for_merchant(merchant_a).count(),
    )
    preview = template_preview(
        merchant=merchant_a,
        kind="shipment_update",
        channel="email",
        locale="de",
        subject="Unterwegs: {{ order_number }}",
        body="Hallo {{ customer_first_name }}, {{ carrier }} bringt es.",
        shipment_status="in_transit",
    )
    assert preview.subject == "Unterwegs: #1001"
    assert "Hallo Anna, PostNord bringt es." in preview.html
    assert "Ihre Bestellung ist unterwegs" in preview.html
    after = (
        Order.objects.for_merchant(merchant_a).count(),
        MessageTemplate.objects.for_merchant(merchant_a).count(),
    )
    assert before == after


def test_preview_uses_the_merchants_own_latest_order(api_a, merchant_a, merchant_b, api_b):
    place_order(api_a, "A-77")
    preview_a = template_preview(
        merchant=merchant_a, kind="congratulation", channel="email", locale="da"
    )
    preview_b = template_preview(
        merchant=merchant_b, kind="congratulation", channel="email", locale="de"
    )
    assert "#A-77" in preview_a.subject
    assert "#A-77" not in preview_b.subject and "#A-77" not in preview_b.html


def test_send_test_goes_to_the_merchant_not_the_buyer(api_a, merchant_a, alice):
    place_order(api_a)
    mail.outbox.clear()
    template_send_test(
        merchant=merchant_a,
        actor=alice,
        kind="congratulation",
        channel="email",
        locale="da",
        to="alice@nordic.example",
    )
    (message,) = mail.outbox
    assert message.to == ["alice@nordic.example"]
    assert message.subject.startswith("[Test] ")
    assert Touchpoint.objects.for_merchant(merchant_a).filter(status="sent").count() == 0


def test_one_merchants_wording_never_reaches_anothers_buyers(api_a, api_b, merchant_b):
    message_template_save(
        merchant=merchant_b,
        kind="congratulation",
        channel="email",
        locale="da",
        subject="Bergmann sagt danke",
        body="Bergmann",
    )
    place_order(api_a)
    send_due()
    assert [m.subject for m in mail.outbox] == ["Tak for din ordre #3001!"]


def test_an_edit_of_wording_or_branding_shows_in_the_very_next_send(api_a, merchant_a, alice):
    """What a send reuses (compiled templates, the shop's blocks, its rows) must never
    outlive an edit: the next message after the merchant saves uses the new version."""
    from postpurchase.models import Branding

    def save(subject: str):
        message_template_save(
            merchant=merchant_a,
            actor=alice,
            kind="congratulation",
            channel="email",
            locale="da",
            subject=subject,
            body="Kære {{ customer_first_name }}\n\nVi pakker {{ order_number }}.",
        )

    Branding.objects.update_or_create(merchant=merchant_a, defaults={"primary_color": "#123456"})
    save("Tak, {{ customer_first_name }}!")
    place_order(api_a, "3001")
    send_due()
    save("Mange tak, {{ customer_first_name }}!")
    Branding.objects.filter(merchant=merchant_a).update(primary_color="#0b6e4f")
    place_order(api_a, "3002")
    send_due()

    first, second = mail.outbox
    assert (first.subject, second.subject) == ("Tak, Anna!", "Mange tak, Anna!")
    assert "#123456" in first.alternatives[0][0]
    assert "#0b6e4f" in second.alternatives[0][0] and "#123456" not in second.alternatives[0][0]
