"""Anna's congratulation email: her order confirmed in her language, in the shop's colours."""

import os
from pathlib import Path

import pytest
from django.core import mail

from notifications.models import Touchpoint
from notifications.sending import touchpoint_send
from orders.models import Benefit, Product
from orders.models import Testimonial as ShopTestimonial  # not "Test…": pytest would collect it
from orders.serializers import OrderInput
from orders.services import order_upsert
from postpurchase.models import Branding
from tests.conftest import make_payload

pytestmark = pytest.mark.django_db

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def _order(merchant, payload):
    serializer = OrderInput(data=payload)
    serializer.is_valid(raise_exception=True)
    return order_upsert(merchant=merchant, data=serializer.validated_data).order


def _content(merchant):
    Product.objects.create(merchant=merchant, sku="SOFA-1", name="Sofa Hygge", category="sofas")
    for locale, benefits, quote in [
        (
            "da",
            ["10 års garanti på stel og fjedre", "Betrækket kan tages af og vaskes ved 40 grader"],
            "Den bedste sofa vi har haft. Levering var hurtig og venlig.",
        ),
        (
            "en",
            ["10-year warranty on frame and springs", "Removable covers, washable at 40 °C"],
            "The best sofa we have owned. Delivery was quick and friendly.",
        ),
        (
            "de",
            ["10 Jahre Garantie auf Gestell und Federn", "Bezüge abnehmbar, waschbar bei 40 °C"],
            "Das beste Sofa, das wir je hatten. Die Lieferung war schnell und freundlich.",
        ),
    ]:
        for position, text in enumerate(benefits):
            Benefit.objects.create(
                merchant=merchant, category="sofas", locale=locale, text=text, position=position
            )
        ShopTestimonial.objects.create(
            merchant=merchant,
            author_name="Mette",
            author_detail="Aarhus",
            quote=quote,
            rating=5,
            category="sofas",
            locale=locale,
        )


def _send_congratulation(merchant, **payload_overrides):
    payload = make_payload(payload_overrides.pop("external_id", "2001"), **payload_overrides)
    payload["items"].append(
        {
            "sku": "PILLOW-2",
            "name": "Pude Lin, sand",
            "quantity": 2,
            "unit_price": "149.50",
            "image_url": "",
            "product_url": "https://shop.example.com/p/pillow",
        }
    )
    payload["total"] = "1598.00"
    order = _order(merchant, payload)
    congratulation = order.touchpoints.get(kind=Touchpoint.Kind.CONGRATULATION)
    mail.outbox.clear()
    assert touchpoint_send(touchpoint_id=congratulation.pk) == "sent"
    assert len(mail.outbox) == 1
    return order, mail.outbox[0]


def test_danish_congratulation_confirms_items_total_address_and_delivery(merchant_a):
    _content(merchant_a)
    order, message = _send_congratulation(merchant_a)
    html = message.alternatives[0][0]
    assert message.subject == "Tak for din ordre #2001!"
    assert "Tillykke med dit nye køb!" in html
    assert "Hej Anna," in message.body
    for text in (
        "Sofa Hygge 3-seater",
        "Pude Lin, sand",
        "2 × 149,50\u00a0kr.",
        "1.598,00\u00a0kr.",
    ):
        assert text in html, text
    assert "Strandvejen 12" in html and "8000 Aarhus" in html
    assert "Forventet levering" in html
    assert "10 års garanti på stel og fjedre" in html
    assert "Den bedste sofa vi har haft" in html
    assert order.tracking_url in html and order.tracking_url in message.body
    assert "/n/u/" in html  # the visible unsubscribe link
    assert "<link" not in html and "stylesheet" not in html


def test_english_and_german_congratulations_speak_the_buyers_language(merchant_a):
    _content(merchant_a)
    _, english = _send_congratulation(merchant_a, external_id="2002", locale="en")
    assert english.subject == "Thank you for your order #2002!"
    assert "Congratulations on your new purchase!" in english.alternatives[0][0]
    assert "DKK\u00a01,598.00" in english.alternatives[0][0]
    assert "10-year warranty on frame and springs" in english.body
    _, german = _send_congratulation(merchant_a, external_id="2003", locale="de")
    assert german.subject == "Vielen Dank für Ihre Bestellung #2003!"
    assert "Herzlichen Glückwunsch zu Ihrem neuen Kauf!" in german.alternatives[0][0]
    assert "Das beste Sofa" in german.body


def test_congratulation_uses_the_merchants_branding(merchant_a):
    _content(merchant_a)
    Branding.objects.filter(merchant=merchant_a).update(
        primary_color="#0b5d4b", accent_color="#d98e04", sender_name="Nordic Living Studio"
    )
    _, message = _send_congratulation(merchant_a)
    html = message.alternatives[0][0]
    assert "#0b5d4b" in html and "#d98e04" in html
    assert message.from_email.startswith("Nordic Living Studio <")


def test_congratulation_without_matching_content_still_reads_well(merchant_b):
    _, message = _send_congratulation(merchant_b, locale="de")
    html = message.alternatives[0][0]
    assert "Was andere Kunden sagen" not in html
    assert "Bergmann Möbel" in html


def test_each_congratulation_of_a_batch_shows_the_content_of_its_own_products(merchant_a):
    from notifications.sending import touchpoints_send

    _content(merchant_a)
    Product.objects.create(merchant=merchant_a, sku="LAMP-1", name="Lamp", category="lamps")
    Benefit.objects.create(merchant=merchant_a, category="lamps", locale="da", text="Dæmpbar")
    sofa = _order(merchant_a, make_payload("3001"))
    lamp_payload = make_payload("3002")
    lamp_payload["customer"]["email"] = "lamp@example.com"
    for item in lamp_payload["items"]:
        item["sku"] = "LAMP-1"
    lamp = _order(merchant_a, lamp_payload)
    ids = [o.touchpoints.get(kind=Touchpoint.Kind.CONGRATULATION).pk for o in (sofa, lamp)]
    mail.outbox.clear()

    assert set(touchpoints_send(touchpoint_ids=ids).values()) == {"sent"}

    by_recipient = {m.to[0]: m.alternatives[0][0] for m in mail.outbox}
    sofa_html, lamp_html = by_recipient[sofa.customer.email], by_recipient["lamp@example.com"]
    assert "10 års garanti på stel og fjedre" in sofa_html and "Dæmpbar" not in sofa_html
    assert "Dæmpbar" in lamp_html and "10 års garanti" not in lamp_html


def test_emails_built_in_a_batch_are_the_ones_built_alone(merchant_a, merchant_b):
    """A batch renders the parts that only depend on the shop once ({% shared %}): each
    email must still be exactly what it is alone, whatever shop and language is next."""
    from django.utils import translation

    from notifications.batch import batch_reads
    from notifications.messages import build_email
    from notifications.sending import _load_claimed

    _content(merchant_a)
    Branding.objects.filter(merchant=merchant_a).update(
        banner_messages={"en": "Free returns"},
        shop_links=[{"url": "https://a.example/", "label": "FAQ"}],
    )
    ids = []
    for n, (merchant, locale) in enumerate(
        [(merchant_a, "da"), (merchant_b, "de"), (merchant_a, "en"), (merchant_a, "da")]
    ):
        payload = make_payload(f"40{n}", locale=locale)
        payload["customer"]["email"] = f"buyer{n}@example.com"
        if n == 3:
            payload["items"][0]["sku"] = "NOT-A-SOFA"  # no content for this one
        ids.append(_order(merchant, payload).touchpoints.get(kind="congratulation").pk)

    def built(touchpoint):
        with translation.override(touchpoint.order.locale):
            email = build_email(touchpoint, unsubscribe=f"https://u/{touchpoint.pk}")
        return email.html, email.text

    alone = [built(tp) for tp in _load_claimed(ids)]
    touchpoints = _load_claimed(ids)
    with batch_reads(touchpoints):
        in_batch = [built(tp) for tp in touchpoints]

    assert in_batch == alone
    assert "Free returns" in alone[0][0] and "Free returns" not in alone[1][0]
    assert "Bergmann Möbel" in alone[1][1] and "Bergmann Möbel" not in alone[2][1]
    assert "10 års garanti" in alone[0][0] and "10 års garanti" not in alone[3][0]


def _photo() -> bytes:
    """A stand-in product photo: a sofa-coloured gradient."""
    import io

    from PIL import Image

    image = Image.new("RGB", (128, 128))
    image.putdata(
        [(150 + y // 4, 120 + y // 5, 90 + x // 6) for y in range(128) for x in range(128)]
    )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _screenshots(html: str, name: str, *, must_show: str) -> None:
    """Desktop and phone screenshots into test-artifacts/; fails on horizontal scroll."""
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    page_file = ARTIFACTS / f"{name}.html"
    page_file.write_text(html)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        for device, width in (("desktop", 1200), ("phone", 390)):
            page = browser.new_page(viewport={"width": width, "height": 900})
            # Product images point at the shop's CDN; keep the test offline.
            page.route(
                lambda url: url.startswith("http"),
                lambda route: route.fulfill(status=200, content_type="image/png", body=_photo()),
            )
            page.goto(page_file.as_uri())
            page.screenshot(path=ARTIFACTS / f"{name}-{device}.png", full_page=True)
            overflow = page.evaluate(
                "document.documentElement.scrollWidth > document.documentElement.clientWidth"
            )
            assert not overflow, f"{name}: horizontal scroll at {width}px"
            assert page.get_by_text(must_show).first.is_visible()
            page.close()
        browser.close()


def _needs_chromium():
    if not Path("/usr/bin/chromium").exists() and not os.environ.get("CI"):
        pytest.skip("chromium is not installed")


@pytest.mark.browser
def test_congratulation_email_looks_right_on_desktop_and_phone(merchant_a):
    _needs_chromium()
    _content(merchant_a)
    Branding.objects.filter(merchant=merchant_a).update(
        banner_messages={"da": "Fri fragt over 500 kr."}
    )
    _, message = _send_congratulation(merchant_a)
    _screenshots(message.alternatives[0][0], "congratulation-email", must_show="Spor din ordre")


@pytest.mark.browser
def test_shipment_problem_email_and_unsubscribe_page_look_right(api_b, merchant_b, client):
    from tests.notification_helpers import place_order, scan, send_due, ship

    _needs_chromium()
    order = place_order(api_b, "B-42", locale="de")
    send_due()
    mail.outbox.clear()
    shipment = ship(api_b, order["id"], estimated_delivery="2026-11-27")
    scan(api_b, shipment, "delayed", "2026-11-23T08:00:00Z", location="Hamburg")
    send_due()
    (message,) = mail.outbox
    _screenshots(
        message.alternatives[0][0], "shipment-delayed-email", must_show="So geht es weiter"
    )
    link = message.extra_headers["List-Unsubscribe"].strip("<>").replace("http://testserver", "")
    page = client.get(link).content.decode()
    _screenshots(page, "unsubscribe-page", must_show="Abmelden")
