"""Alice previews Nordic Living's message templates while she writes them.

The preview is the real builder's message for a sample order of her own shop,
in the template's language; a broken draft shows why instead; nothing is kept.
"""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from notifications.models import MessageTemplate, Touchpoint
from notifications.template_preview import message_template_preview
from orders.models import Customer, Order, Product, Shipment
from postpurchase.models import AuditLogEntry, Branding

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_english():
    # The service answers in the active language; another test may leave one active.
    with translation.override("en"):
        yield


PREVIEW = reverse("dashboard:message_template_preview")


def signed_in(user, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


def rows(merchant) -> dict:
    """Everything a preview could leave behind, counted."""
    return {
        "orders": Order.objects.for_merchant(merchant).count(),
        "customers": Customer.objects.for_merchant(merchant).count(),
        "shipments": Shipment.objects.for_merchant(merchant).count(),
        "touchpoints": Touchpoint.objects.for_merchant(merchant).count(),
        "templates": list(
            MessageTemplate.objects.for_merchant(merchant).values_list(
                "pk", "body", "is_active", "updated_at", "last_error"
            )
        ),
        "audit": AuditLogEntry.objects.for_merchant(merchant).count(),
        "branding": list(Branding.objects.filter(merchant=merchant).values_list("updated_at")),
    }


def sms_draft(**overrides) -> dict:
    return {
        "kind": "shipment_update",
        "channel": "sms",
        "locale": "da",
        "shipment_status": "in_transit",
        "subject": "",
        "body": "Hej {{ customer_first_name }}, {{ carrier }} har din pakke: {{ tracking_url }}",
        **overrides,
    }


def email_draft(**overrides) -> dict:
    return {
        "kind": "congratulation",
        "channel": "email",
        "locale": "de",
        "shipment_status": "",
        "subject": "Danke, {{ customer_first_name }}!",
        "body": "Hallo {{ customer_first_name }},\n\nwir packen {{ order_number }} mit Sorgfalt.",
        **overrides,
    }


# ---- the service ------------------------------------------------------------------------


def test_email_draft_is_shown_in_the_branded_layout_for_a_buyer_of_its_language(merchant_a):
    Branding.objects.update_or_create(merchant=merchant_a, defaults={"primary_color": "#0b6e4f"})
    preview = message_template_preview(merchant=merchant_a, **email_draft())
    assert preview.errors == {}
    assert preview.message.subject == "Danke, Lena!"  # the German sample buyer
    assert "Hallo Lena," in preview.message.html
    assert "wir packen #1042 mit Sorgfalt." in preview.message.html
    # Our layout around it, in German, in the merchant's own branding.
    assert "Herzlichen Glückwunsch zu Ihrem neuen Kauf!" in preview.message.html
    assert "#0b6e4f" in preview.message.html
    assert "Nordic Living" in preview.message.html


def test_sms_draft_is_the_text_with_its_length_and_parts(merchant_a):
    long_body = (
        "Hej {{ customer_first_name }}! " + "Din sofa er på vej. " * 8 + "{{ tracking_url }}"
    )
    preview = message_template_preview(merchant=merchant_a, **sms_draft(body=long_body))
    message = preview.message
    assert message.channel == "sms"
    assert message.text.startswith("Hej Anna! Din sofa er på vej.")
    assert message.length == len(message.text) > 160
    assert (message.encoding, message.segments) == ("gsm7", 2)


def test_shipment_update_email_uses_the_templates_status(merchant_a):
    draft = email_draft(
        kind="shipment_update",
        shipment_status="out_for_delivery",
        subject="{{ status_label }}: {{ order_number }}",
        body="{{ carrier }} kommt heute.",
    )
    preview = message_template_preview(merchant=merchant_a, **draft)
    assert preview.message.subject == "In Zustellung: #1042"
    assert "GLS kommt heute." in preview.message.html


def test_draft_with_a_syntax_error_shows_the_error_instead_of_a_message(merchant_a):
    preview = message_template_preview(
        merchant=merchant_a, **sms_draft(body="Hej {% if customer_first_name %}")
    )
    assert preview.message is None
    assert any("Template syntax error" in text for text in preview.errors["body"])


def test_draft_reaching_beyond_its_variables_is_refused_as_when_saving(merchant_a):
    preview = message_template_preview(
        merchant=merchant_a, **sms_draft(body="{{ order.customer.email }} {% now 'Y' %}")
    )
    assert preview.message is None
    assert any("Unknown variable" in text for text in preview.errors["body"])
    assert any("Only {{ variables }}" in text for text in preview.errors["body"])


def test_draft_for_every_status_is_shown_over_a_saved_status_specific_wording(merchant_a):
    MessageTemplate.objects.create(
        merchant=merchant_a,
        kind="shipment_update",
        channel="sms",
        locale="da",
        shipment_status="in_transit",
        body="Gammel tekst {{ tracking_url }}",
    )
    preview = message_template_preview(
        merchant=merchant_a, **sms_draft(shipment_status="", body="Ny tekst {{ carrier }}")
    )
    assert preview.message.text == "Ny tekst GLS"


def test_preview_keeps_no_row_and_changes_no_saved_template(merchant_a):
    Product.objects.create(merchant=merchant_a, sku="SOFA-1", name="Sofa Hygge", price="7999.00")
    saved = MessageTemplate.objects.create(
        merchant=merchant_a, kind="shipment_update", channel="sms", locale="da", body="Tak!"
    )
    before = rows(merchant_a)
    preview = message_template_preview(merchant=merchant_a, **sms_draft(shipment_status=""))
    assert preview.message.text.startswith("Hej Anna, GLS har din pakke")
    assert rows(merchant_a) == before
    saved.refresh_from_db()
    assert (saved.body, saved.is_active) == ("Tak!", True)


# ---- the endpoint -----------------------------------------------------------------------


def test_endpoint_answers_the_preview_panel_and_keeps_nothing(merchant_a, alice):
    before = rows(merchant_a)
    response = signed_in(alice).post(PREVIEW, sms_draft())
    assert response.status_code == 200, response.content
    html = response.json()["html"]
    assert "Hej Anna, GLS har din pakke" in html
    assert "data-preview-sms-count" in html
    assert response["Cache-Control"] == "no-store"
    assert rows(merchant_a) == before


def test_endpoint_answers_400_with_field_messages_for_bad_input(merchant_a, alice):
    response = signed_in(alice).post(PREVIEW, sms_draft(kind="followup_call", locale="xx"))
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"kind", "locale"}
    assert "Select a valid choice" in errors["locale"][0]


def test_endpoint_shows_a_template_error_inline_as_400(merchant_a, alice):
    response = signed_in(alice).post(PREVIEW, sms_draft(body="Hej {{ customer_first_name|nope }}"))
    assert response.status_code == 400
    data = response.json()
    assert "Template syntax error" in data["errors"]["body"][0]
    assert "data-preview-errors" in data["html"] and "Template syntax error" in data["html"]


def test_endpoint_is_for_owners_and_admins_like_the_editor(merchant_a, anders):
    assert signed_in(anders).post(PREVIEW, sms_draft()).status_code == 403
    response = Client().post(PREVIEW, sms_draft())
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_endpoint_refuses_a_post_without_the_csrf_token(merchant_a, alice):
    client = signed_in(alice, enforce_csrf_checks=True)
    assert client.post(PREVIEW, sms_draft()).status_code == 403


def test_endpoint_only_answers_post(merchant_a, alice):
    assert signed_in(alice).get(PREVIEW, sms_draft()).status_code == 405


def test_endpoint_slows_down_a_flood_of_previews(merchant_a, alice, settings):
    from notifications import dashboard

    client = signed_in(alice)
    for _ in range(dashboard.PREVIEW_LIMIT):
        assert client.post(PREVIEW, sms_draft(kind="x")).status_code == 400
    response = client.post(PREVIEW, sms_draft())
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "a lot of previews" in response.json()["html"]


def test_merchant_b_previews_with_its_own_shop_never_with_a_s(merchant_a, merchant_b, alice, bob):
    Product.objects.create(
        merchant=merchant_a, sku="SOFA-A", name="Holmgaard sofa", price="7999.00"
    )
    MessageTemplate.objects.create(
        merchant=merchant_a,
        kind="congratulation",
        channel="email",
        locale="de",
        subject="A-Geheimnis",
        body="A-Geheimnis",
    )
    draft = email_draft(body="{{ shop_name }} sagt danke.")
    a_html = signed_in(alice).post(PREVIEW, draft).json()["html"]
    b_html = signed_in(bob).post(PREVIEW, draft).json()["html"]
    assert "Nordic Living sagt danke." in a_html and "Holmgaard sofa" in a_html
    assert "Bergmann Möbel sagt danke." in b_html
    for secret in ("Nordic Living", "Holmgaard sofa", "A-Geheimnis"):
        assert secret not in b_html


# ---- the editor page --------------------------------------------------------------------


def test_editor_opens_with_the_preview_and_the_variables_of_its_kind(merchant_a, alice):
    template = MessageTemplate.objects.create(
        merchant=merchant_a,
        kind="shipment_update",
        channel="sms",
        locale="da",
        body="{{ status_label }}: {{ tracking_url }}",
    )
    url = reverse("dashboard:message_template_edit", kwargs={"pk": template.pk})
    html = signed_in(alice).get(url).content.decode()
    assert "data-preview-sms-body>I transit:" in html or "data-preview-sms-body>Undervejs" in html
    assert '<ul class="variable-list" data-show-when="kind=shipment_update">' in html
    assert '<ul class="variable-list" data-show-when="kind=congratulation" hidden>' in html
    assert 'data-insert-variable="status_label"' in html


def test_preview_button_without_javascript_shows_the_draft_and_saves_nothing(merchant_a, alice):
    template = MessageTemplate.objects.create(
        merchant=merchant_a, kind="shipment_update", channel="sms", locale="da", body="Tak!"
    )
    url = reverse("dashboard:message_template_edit", kwargs={"pk": template.pk})
    before = rows(merchant_a)
    response = signed_in(alice).post(url, {**sms_draft(shipment_status=""), "preview": "1"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Hej Anna, GLS har din pakke" in html
    assert "{{ carrier }}" in html  # the editor keeps the draft
    assert rows(merchant_a) == before


def test_preview_button_with_a_broken_draft_shows_the_error_beside_the_editor(merchant_a, alice):
    url = reverse("dashboard:message_template_add")
    response = signed_in(alice).post(url, {**sms_draft(body="{% for x in y %}"), "preview": "1"})
    assert response.status_code == 400
    assert "data-preview-errors" in response.content.decode()
    assert not MessageTemplate.objects.for_merchant(merchant_a).exists()
