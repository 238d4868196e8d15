"""Suppressions (the emails and phone numbers buyers opted out) are walled off per merchant.

A merchant's own rows (unsubscribes, bounces, complaints) are tenant rows: no query runs
without saying whose, B's scope never holds A's rows, and nothing A's buyer did stops B's
messages. One kind of row belongs to no merchant, as before: a STOP texted to the
platform's shared number stops every merchant's texts to that number (SuppressionManager
says why). No API endpoint, dashboard page or export lists suppressions; they act through
planning and sending, which these tests drive through the API and the opt-out URLs.
"""

import pytest
from django.apps import apps
from django.core import mail
from django.test import Client

from notifications.models import Suppression, Touchpoint
from notifications.selectors import is_suppressed
from postpurchase.tenancy import TenantManager, TenantScopeError
from tests.notification_helpers import place_order, send_due
from tests.test_notification_webhooks import (
    _unsubscribe_link,
    esp_hard_bounce,
    merchant_suppresses,
    twilio_post,
)

pytestmark = pytest.mark.django_db

# Rows with a merchant that are not TenantModels, and why that is safe.
UNGUARDED = {
    "postpurchase.Branding": "one row per merchant, reached only as merchant.branding",
    "notifications.MessagingPreferences": "one row per merchant, reached only as "
    "merchant.messaging_preferences",
}


def test_every_model_with_a_merchant_is_tenant_guarded_or_says_why_not():
    unguarded = {
        model._meta.label
        for model in apps.get_models()
        if any(
            field.concrete
            and field.is_relation
            and field.related_model._meta.label == "postpurchase.Merchant"
            for field in model._meta.get_fields()
        )
        and not isinstance(getattr(model, "objects", None), TenantManager)
    }
    assert unguarded == set(UNGUARDED)


def test_suppressions_are_not_read_or_written_without_a_merchant():
    with pytest.raises(TenantScopeError):
        list(Suppression.objects.filter(channel="email", address="anna@example.com"))
    with pytest.raises(TenantScopeError):
        Suppression.objects.create(channel="email", address="anna@example.com", reason="invalid")


def _annas_unsubscribe_at_a(api_a) -> None:
    """Anna, a buyer of A, clicks the unsubscribe link of A's congratulation."""
    place_order(api_a, "A-1")
    send_due()
    link = _unsubscribe_link(mail.outbox[-1])
    assert Client().post(link, {"List-Unsubscribe": "One-Click"}).status_code == 200


def _b_congratulates_anna(api_b, merchant_b) -> None:
    """B's order for the same address is planned and sent as if A did not exist."""
    mail.outbox.clear()
    order = place_order(api_b, "B-1", locale="de")
    assert [t["status"] for t in order["touchpoints"] if t["kind"] == "congratulation"] == [
        "scheduled"
    ]
    send_due()
    congratulation = Touchpoint.objects.for_merchant(merchant_b).get(kind="congratulation")
    assert congratulation.status == "sent"
    assert [m.to for m in mail.outbox] == [["anna@example.com"]]


def test_an_unsubscribe_at_a_is_in_as_scope_only(api_a, merchant_a, merchant_b):
    _annas_unsubscribe_at_a(api_a)
    assert Suppression.objects.for_merchant(merchant_a).get().address == "anna@example.com"
    assert not Suppression.objects.for_merchant(merchant_b).exists()
    assert not Suppression.objects.in_force_for(merchant_b).exists()
    assert not is_suppressed(merchant=merchant_b, channel="email", address="anna@example.com")


def test_an_unsubscribe_at_a_leaves_bs_messages_to_the_address(api_a, api_b, merchant_b):
    _annas_unsubscribe_at_a(api_a)
    _b_congratulates_anna(api_b, merchant_b)


def test_a_hard_bounce_at_a_leaves_bs_messages_to_the_address(api_a, api_b, merchant_a, merchant_b):
    place_order(api_a, "A-1")
    send_due()
    congratulation = Touchpoint.objects.for_merchant(merchant_a).get(kind="congratulation")
    esp_hard_bounce(congratulation.callback_code)
    assert merchant_suppresses(merchant_a, "email", "anna@example.com")
    _b_congratulates_anna(api_b, merchant_b)


def test_a_stop_to_the_shared_number_still_stops_every_merchants_texts(
    client, api_a, merchant_a, merchant_b
):
    place_order(api_a, "A-1")
    twilio_post(client, "/n/webhooks/twilio/inbound/", {"From": "+4520123456", "Body": "STOP"})
    (stop,) = Suppression.objects.platform_wide()
    assert (stop.merchant_id, stop.channel, stop.address) == (None, "sms", "+4520123456")
    for merchant in (merchant_a, merchant_b):
        assert list(Suppression.objects.in_force_for(merchant)) == [stop]
        assert not Suppression.objects.for_merchant(merchant).exists()  # no merchant's own row
        assert is_suppressed(merchant=merchant, channel="sms", address="+4520123456")
