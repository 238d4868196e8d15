"""Peer endorsement end to end: Maria from Studio K welcomes her colleague Jonas.

Maria is an existing customer of Nordic Living and agreed to be an ambassador.
"""

import datetime as dt
import re

import pytest
from django.core import mail
from django.utils import timezone

from followups.endorsements import ambassador_enroll
from followups.models import Ambassador, CallSettings, Endorsement
from notifications.models import Touchpoint
from notifications.sending import touchpoint_send
from orders.models import Customer
from tests.followups_factories import call_of, make_due_now, place_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def maria(merchant_a) -> Ambassador:
    customer = Customer.objects.create(
        merchant=merchant_a,
        email="maria@studio-k.dk",
        first_name="Maria",
        last_name="Jensen",
        external_id="C-77",
        locale="da",
        consent_email=True,
    )
    return ambassador_enroll(merchant=merchant_a, customer=customer, company="Studio K")


def jonas_orders(merchant_a, external_id="J1", **kwargs):
    return place_order(
        merchant_a,
        external_id,
        first_name="Jonas",
        last_name="Krogh",
        email=kwargs.pop("email", "jonas@studio-k.dk"),
        **kwargs,
    )


def ask_touchpoint(order):
    return Touchpoint.objects.for_merchant(order.merchant).get(
        order=order, kind="endorsement_request", cause__endswith=":ask"
    )


def send(touchpoint) -> None:
    assert touchpoint_send(touchpoint_id=touchpoint.pk) == "sent"


def links_in(text: str) -> list[str]:
    return re.findall(r"http://testserver(/calls/\S+/)", text)


def test_colleague_from_the_same_company_is_welcomed_by_the_ambassador(
    client, merchant_a, anders, maria
):
    order = jonas_orders(merchant_a)
    endorsement = Endorsement.objects.for_merchant(merchant_a).get(order=order)
    assert (endorsement.ambassador, endorsement.matched_by) == (maria, "company")
    # Pre-written in the buyer's language (the order is Danish).
    assert endorsement.message.startswith("Hej Jonas,")
    assert endorsement.message.rstrip().endswith("Maria")

    # 1. Maria is asked, in an email with one button and an opt-out.
    send(ask_touchpoint(order))
    ask = mail.outbox[-1]
    assert ask.to == ["maria@studio-k.dk"]
    assert ask.subject == "Vil du byde Jonas velkommen hos Nordic Living?"  # Maria reads Danish
    send_link, opt_out_link = links_in(ask.body)
    assert "/calls/endorse/" in send_link and "/opt-out/" in opt_out_link
    assert opt_out_link in ask.extra_headers["List-Unsubscribe"]

    # 2. She opens the page, changes the note and presses the button.
    page = client.get(send_link)
    assert page.status_code == 200
    assert "Jonas" in page.content.decode()
    client.post(send_link, {"message": "Hej Jonas! Du kommer til at elske sofaen. /Maria"})
    endorsement.refresh_from_db()
    assert endorsement.status == "sent"

    # 3. Jonas gets it as a personal note from Maria: plain text, replies go to her.
    note_touchpoint = Touchpoint.objects.for_merchant(merchant_a).get(
        order=order, cause__endswith=":note"
    )
    send(note_touchpoint)
    note = mail.outbox[-1]
    assert note.to == ["jonas@studio-k.dk"]
    assert note.reply_to == ["maria@studio-k.dk"]
    assert note.from_email.startswith("Maria Jensen via Nordic Living")
    assert note.body.startswith("Hej Jonas! Du kommer til at elske sofaen. /Maria")
    assert not note.alternatives  # no marketing layout

    # 4. Pressing the button again sends nothing more.
    client.post(send_link, {"message": "again"})
    assert (
        Touchpoint.objects.for_merchant(merchant_a)
        .filter(order=order, kind="endorsement_request")
        .count()
        == 2
    )

    # 5. The account manager sees it on the call entry.
    make_due_now(call_of(order))
    client.force_login(anders)
    assert "Sent to the buyer" in client.get("/calls/").content.decode()


def test_buyer_referred_by_email_or_customer_id_is_matched_to_that_ambassador(merchant_a, maria):
    by_email = place_order(merchant_a, "R1", email="ole@gmail.com", referred_by="MARIA@studio-k.dk")
    by_id = place_order(
        merchant_a, "R2", first_name="Pia", email="pia@gmail.com", referred_by="C-77"
    )
    for order in (by_email, by_id):
        endorsement = Endorsement.objects.for_merchant(merchant_a).get(order=order)
        assert (endorsement.ambassador, endorsement.matched_by) == (maria, "referred_by")


def test_free_mail_domains_are_not_a_company(merchant_a, maria):
    maria.company_domain = "gmail.com"
    maria.save()
    order = place_order(merchant_a, "G1", email="someone@gmail.com")
    assert not Endorsement.objects.for_merchant(merchant_a).filter(order=order).exists()


def test_ambassador_is_asked_at_most_the_monthly_cap(merchant_a, anders, maria, client):
    CallSettings.objects.create(merchant=merchant_a, ambassador_monthly_cap=1)
    first = jonas_orders(merchant_a, "J1")
    second = jonas_orders(merchant_a, "J2", email="lise@studio-k.dk")
    assert Endorsement.objects.for_merchant(merchant_a).filter(order=first).exists()
    assert not Endorsement.objects.for_merchant(merchant_a).filter(order=second).exists()
    # The call entry suggests mentioning Maria instead.
    make_due_now(call_of(second))
    client.force_login(anders)
    page = client.get(f"/calls/?call={call_of(second).pk}").content.decode()
    assert "Maria Jensen from the same company is a customer too" in page
    # Next month she may be asked again.
    Endorsement.objects.for_merchant(merchant_a).update(
        requested_at=timezone.now() - dt.timedelta(days=40)
    )
    third = jonas_orders(merchant_a, "J3", email="kim@studio-k.dk")
    assert Endorsement.objects.for_merchant(merchant_a).filter(order=third).exists()


def test_ambassador_who_opts_out_is_never_asked_again(client, merchant_a, maria):
    order = jonas_orders(merchant_a)
    send(ask_touchpoint(order))
    send_link, opt_out_link = links_in(mail.outbox[-1].body)
    assert "Vil du ikke længere spørges" in client.get(opt_out_link).content.decode()
    client.post(opt_out_link)
    maria.refresh_from_db()
    assert maria.opted_out_at is not None
    assert Endorsement.objects.for_merchant(merchant_a).get(order=order).status == "declined"
    # The pending button no longer sends anything.
    client.post(send_link, {"message": "Hi"})
    assert not Touchpoint.objects.for_merchant(merchant_a).filter(cause__endswith=":note").exists()
    later = jonas_orders(merchant_a, "J2", email="lise@studio-k.dk")
    assert not Endorsement.objects.for_merchant(merchant_a).filter(order=later).exists()


def test_mail_client_one_click_unsubscribe_opts_out_without_a_page(client, merchant_a, maria):
    send(ask_touchpoint(jonas_orders(merchant_a)))
    _send_link, opt_out_link = links_in(mail.outbox[-1].body)
    response = client.post(opt_out_link, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    maria.refresh_from_db()
    assert maria.opted_out_at is not None


def test_ambassador_without_consent_is_not_asked_but_suggested_on_the_call(
    client, merchant_a, anders, maria
):
    maria.consent = False
    maria.save()
    order = jonas_orders(merchant_a)
    assert not Endorsement.objects.for_merchant(merchant_a).filter(order=order).exists()
    make_due_now(call_of(order))
    client.force_login(anders)
    page = client.get("/calls/").content.decode()
    assert "Maria Jensen from the same company is a customer too" in page


def test_buyer_without_email_consent_gets_no_endorsement(merchant_a, maria):
    order = jonas_orders(merchant_a, consent_email=False)
    assert not Endorsement.objects.for_merchant(merchant_a).filter(order=order).exists()


def test_forged_or_foreign_links_are_404(client, merchant_a, maria):
    assert client.get("/calls/endorse/not-a-token/").status_code == 404
    assert client.post("/calls/ambassador/opt-out/forged:token/").status_code == 404
    maria.refresh_from_db()
    assert maria.opted_out_at is None


def test_german_buyer_gets_the_pre_written_note_in_german(merchant_a, maria):
    order = place_order(
        merchant_a, "DE1", first_name="Lena", email="lena@studio-k.dk", referred_by="C-77"
    )
    order.locale = "de"
    order.save()
    from followups.endorsements import default_message

    assert default_message(order=order, ambassador=maria).startswith("Hallo Lena,")


def test_every_order_of_a_batch_is_matched_not_only_the_last(api_a, merchant_a, maria):
    from tests.conftest import make_payload

    orders = []
    for n, email in enumerate(["jonas@studio-k.dk", "lise@studio-k.dk"]):
        payload = make_payload(f"B{n}")
        payload["customer"]["email"] = email
        orders.append(payload)
    response = api_a.post("/api/v1/orders/batch/", {"orders": orders}, format="json")
    assert [r["status"] for r in response.json()["results"]] == [201, 201]
    assert Endorsement.objects.for_merchant(merchant_a).count() == 2
