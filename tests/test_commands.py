"""The contract's management commands: create_merchant and dispatch_touchpoints."""

import io
import json

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from notifications.models import Touchpoint
from postpurchase.models import ApiKey, Membership, Merchant

pytestmark = pytest.mark.django_db


def _create_merchant(*args) -> str:
    out = io.StringIO()
    call_command("create_merchant", *args, stdout=out)
    return out.getvalue()


def test_create_merchant_prints_one_json_line_with_a_working_key():
    output = _create_merchant(
        "--name",
        "Fjord & Co",
        "--slug",
        "fjord",
        "--timezone",
        "Europe/Oslo",
        "--owner-email",
        "Ingrid@Fjord.example",
    )
    lines = output.splitlines()
    assert len(lines) == 1
    printed = json.loads(lines[0])
    assert set(printed) == {"merchant", "api_key"}
    assert printed["merchant"] == "fjord"
    merchant = Merchant.objects.get(slug="fjord")
    assert merchant.timezone == "Europe/Oslo"
    owner = Membership.objects.for_merchant(merchant).get()
    assert (owner.user.email, owner.role) == ("ingrid@fjord.example", "owner")
    assert not owner.user.has_usable_password()
    # Stored only as a hash, and it works.
    assert not ApiKey.objects.for_merchant(merchant).filter(hashed_key=printed["api_key"]).exists()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {printed['api_key']}")
    assert client.get("/api/v1/orders/").status_code == 200


@pytest.mark.parametrize(
    "args, message",
    [
        (["--name", "X", "--slug", "x", "--timezone", "Mars/Olympus"], "timezone"),
        (["--name", "X", "--slug", "not a slug"], "slug"),
        (["--name", "X", "--slug", "nordic-living"], "slug"),
    ],
    ids=["bad-timezone", "bad-slug", "taken-slug"],
)
def test_create_merchant_refuses_bad_input_and_creates_nothing(merchant_a, args, message):
    before = Merchant.objects.count()
    with pytest.raises(CommandError, match=message):
        _create_merchant(*args)
    assert Merchant.objects.count() == before


def test_dispatch_touchpoints_sends_what_is_due_once(api_a, merchant_a, order_payload):
    # Inside a test transaction the on-commit send never ran: the congratulation waits.
    api_a.post("/api/v1/orders/", order_payload, format="json")
    congratulation = Touchpoint.objects.for_merchant(merchant_a).get(kind="congratulation")
    assert congratulation.status == "scheduled"

    out = io.StringIO()
    call_command("dispatch_touchpoints", "--inline", stdout=out)
    assert "1 touchpoint" in out.getvalue()
    assert [m.to for m in mail.outbox] == [["anna@example.com"]]
    congratulation.refresh_from_db()
    assert congratulation.status == "sent"

    call_command("dispatch_touchpoints", "--inline", stdout=io.StringIO())
    assert len(mail.outbox) == 1


def test_dispatch_touchpoints_queues_a_send_after_commit(
    api_a, merchant_a, order_payload, django_capture_on_commit_callbacks
):
    api_a.post("/api/v1/orders/", order_payload, format="json")
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=False) as queued:
        call_command("dispatch_touchpoints", stdout=out)
    assert "queued 1 touchpoint" in out.getvalue()
    assert len(queued) == 1
    assert mail.outbox == []
