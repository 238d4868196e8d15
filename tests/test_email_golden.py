"""The branded emails, byte for byte: what the builder made before #16's second round.

`tests/fixtures/emails/` holds the subject, text and HTML of congratulations and
shipment updates in en, da and de (a fully branded shop with benefits and
testimonials, a merchant's own wording, a shop without branding, data full of
characters HTML must escape), written by the builder as it was before the
rendering fast paths. A change to the layout or wording rewrites them on purpose:
`UPDATE_GOLDEN_EMAILS=1 pytest tests/test_email_golden.py`, then read the diff.
"""

import datetime as dt
import os
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.core import signing
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

from notifications.batch import batch_reads
from notifications.messages import build_email
from notifications.models import Touchpoint
from notifications.sending import _load_claimed
from notifications.services import message_template_save
from orders.models import Benefit, Product, Shipment
from orders.models import Testimonial as ShopTestimonial  # not "Test…": pytest would collect it
from orders.serializers import OrderInput
from orders.services import order_upsert
from postpurchase.models import Branding
from tests.conftest import make_payload

pytestmark = pytest.mark.django_db

GOLDEN = Path(__file__).resolve().parent / "fixtures" / "emails"
NOW = 1_796_000_000  # the signed unsubscribe link carries the time it was made


def _order(merchant, external_id: str, **overrides):
    payload = make_payload(external_id, **overrides)
    payload["customer"]["email"] = f"buyer{external_id}@example.com"
    payload["items"] += [
        {
            "sku": "PILLOW-2",
            "name": "Pude Lin, sand",
            "quantity": 2,
            "unit_price": "149.50",
            "image_url": "",
            "product_url": "https://shop.example.com/p/pillow",
        },
        {
            "sku": "THROW-3",
            "name": "Plaid “Uld” 130×170",
            "quantity": 1,
            "unit_price": "12499.95",
            "image_url": "https://shop.example.com/img/throw.jpg",
            "product_url": "",
        },
    ]
    payload["total"] = "13997.95"
    serializer = OrderInput(data=payload)
    serializer.is_valid(raise_exception=True)
    order = order_upsert(merchant=merchant, data=serializer.validated_data).order
    order.tracking_token = f"token-{external_id}"  # random otherwise
    order.save(update_fields=["tracking_token"])
    return order


def _shop(merchant):
    merchant.support_email = "hej@nordic.example"
    merchant.support_phone = "+45 70 20 30 40"
    merchant.website_url = "https://nordic.example"
    merchant.save()
    Branding.objects.filter(merchant=merchant).update(
        logo="logos/nordic.png",
        primary_color="#0b5d4b",
        accent_color="#d98e04",
        font="serif",
        banner_messages={"da": "Fri fragt over 500 kr.", "en": "Free shipping over 500 DKK"},
        shop_links=[
            {"url": "https://nordic.example/faq", "label": "FAQ"},
            {"url": "https://nordic.example/returns?a=1&b=2", "label": "Returns & exchanges"},
        ],
        reply_to_email="support@nordic.example",
    )
    Product.objects.create(merchant=merchant, sku="SOFA-1", name="Sofa", category="sofas")
    for locale, benefit, quote in [
        ("da", "10 års garanti på stel & fjedre", "Den bedste sofa <vi> har haft."),
        ("en", "10-year warranty on frame & springs", "The best sofa we have owned."),
        ("de", "10 Jahre Garantie auf Gestell", "Das beste Sofa, das wir je hatten."),
    ]:
        Benefit.objects.create(merchant=merchant, category="sofas", locale=locale, text=benefit)
        Benefit.objects.create(
            merchant=merchant, category="sofas", locale=locale, text="Fri retur", position=1
        )
        for rating, detail in [(5, "Aarhus"), (4, ""), (None, "")]:
            ShopTestimonial.objects.create(
                merchant=merchant,
                author_name="Mette",
                author_detail=detail,
                quote=quote,
                rating=rating,
                category="sofas",
                locale=locale,
            )


def _shipment_update(order, status: str, *, estimated=None):
    shipment = Shipment.objects.create(
        merchant=order.merchant,
        order=order,
        carrier="gls",
        tracking_number=f"GLS-{order.external_id}",
        status=status,
        status_at=dt.datetime(2026, 11, 22, 9, 30, tzinfo=dt.UTC),
        estimated_delivery=estimated,
    )
    return Touchpoint.objects.create(
        merchant=order.merchant,
        order=order,
        kind=Touchpoint.Kind.SHIPMENT_UPDATE,
        channel=Touchpoint.Channel.EMAIL,
        cause=f"shipment:{status}",
        payload={"status": status, "shipment_id": shipment.pk},
    )


def _congratulation(order):
    return order.touchpoints.get(kind="congratulation", channel="email")


def _cases(merchant_a, merchant_b) -> dict[str, int]:
    """name -> touchpoint id, for every case the golden files hold."""
    _shop(merchant_a)
    cases = {}
    for locale in ("da", "en", "de"):
        cases[f"congratulation-{locale}"] = _congratulation(
            _order(merchant_a, f"50{locale}", locale=locale)
        ).pk
    hostile = make_payload("5100")["customer"]
    hostile.update(first_name='<b>Ånne</b> & "Co"', last_name="O'Brien <script>")
    order = _order(
        merchant_a,
        "5100",
        customer=hostile,
        shipping_address={
            "line1": "Vej <1> & 'B'",
            "line2": "2. tv",
            "city": "Aarhus & C",
            "postal_code": "8000",
            "region": "Midtjylland",
            "country": "DK",
        },
    )
    cases["congratulation-da-escaping"] = _congratulation(order).pk
    order = _order(merchant_a, "5200", locale="da")
    order.customer.first_name = ""
    order.customer.save()
    Shipment.objects.create(
        merchant=merchant_a,
        order=order,
        carrier="gls",
        tracking_number="GLS-1",
        estimated_delivery=dt.date(2026, 11, 24),
    )
    cases["congratulation-da-estimate-no-first-name"] = _congratulation(order).pk
    for status, locale, estimated in [
        ("in_transit", "en", dt.date(2026, 11, 24)),
        ("delivered", "da", None),
        ("attempt_failed", "de", None),
        ("available_for_pickup", "da", None),
    ]:
        order = _order(merchant_a, f"53{status}", locale=locale)
        cases[f"shipment-{status}-{locale}"] = _shipment_update(
            order, status, estimated=estimated
        ).pk
    # A shop without branding, benefits or testimonials, in German.
    Branding.objects.filter(merchant=merchant_b).delete()
    cases["congratulation-de-plain-shop"] = _congratulation(
        _order(merchant_b, "5400", locale="de")
    ).pk
    # The merchant's own wording, with characters that must be escaped in HTML.
    for locale in ("da", "en"):
        message_template_save(
            merchant=merchant_b,
            kind="congratulation",
            channel="email",
            locale=locale,
            subject="{{ customer_first_name|upper }} & {{ shop_name }}: {{ order_number }}",
            body=(
                "Kære {{ customer_first_name|default:'kunde' }} <3\n\n"
                "{% if item_count %}{{ item_count }} varer{% endif %} til {{ order_total }},\n"
                "levering {{ expected_delivery }}.\n\n"
                '<a href="x">Spørgsmål?</a> {{ support_email }}'
            ),
        )
        cases[f"congratulation-{locale}-merchant-wording"] = _congratulation(
            _order(merchant_b, f"55{locale}", locale=locale)
        ).pk
    return cases


def _unsubscribe_url(touchpoint) -> str:
    """The link as Django's own signing makes it (the merchant's id varies between runs)."""
    data = {"m": touchpoint.merchant_id, "c": "email", "a": touchpoint.order.customer.email}
    data["l"] = touchpoint.order.locale
    token = signing.dumps(data, salt="notifications.unsubscribe", compress=True)
    return settings.PUBLIC_BASE_URL + reverse("notifications:unsubscribe", args=[token])


def _render(touchpoint) -> str:
    with translation.override(touchpoint.order.locale):
        email = build_email(touchpoint)
    unsubscribe = _unsubscribe_url(touchpoint)
    assert email.text.count(unsubscribe) == 1 and email.html.count(unsubscribe) == 1
    return (
        f"To: {email.to}\nReply-To: {email.reply_to}\nSubject: {email.subject}\n"
        f"--- text\n{email.text}--- html\n{email.html}"
    ).replace(unsubscribe, "{{ unsubscribe_url }}")


@override_settings(SECRET_KEY="golden-emails-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
def test_emails_are_byte_for_byte_the_golden_ones(merchant_a, merchant_b):
    cases = _cases(merchant_a, merchant_b)
    with mock.patch("time.time", return_value=NOW):
        alone = {name: _render(_load_claimed([pk])[0]) for name, pk in cases.items()}
        # Built in one batch, as the sender does: the shared parts render once.
        touchpoints = _load_claimed(list(cases.values()))
        with batch_reads(touchpoints):
            by_id = {tp.pk: _render(tp) for tp in touchpoints}
        # Twice more in a new batch: what a process reuses across batches changes nothing.
        touchpoints = _load_claimed(list(cases.values()))
        with batch_reads(touchpoints):
            again = {tp.pk: _render(tp) for tp in touchpoints}
    in_batch = {name: by_id[pk] for name, pk in cases.items()}
    assert in_batch == alone
    assert {name: again[pk] for name, pk in cases.items()} == alone

    if os.environ.get("UPDATE_GOLDEN_EMAILS"):
        GOLDEN.mkdir(parents=True, exist_ok=True)
        for name, content in alone.items():
            (GOLDEN / f"{name}.eml.txt").write_text(content, encoding="utf-8")
    golden = {
        path.name.removesuffix(".eml.txt"): path.read_text(encoding="utf-8")
        for path in GOLDEN.glob("*.eml.txt")
    }
    assert sorted(golden) == sorted(alone)
    for name, content in alone.items():
        assert content == golden[name], name
