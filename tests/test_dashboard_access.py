"""Every dashboard page: signed-out goes to sign-in, wrong role gets 403, other merchant 404."""

import re
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse, reverse_lazy

from notifications.models import MessageTemplate
from orders.models import Benefit, OrderNote, Product
from orders.models import Testimonial as ShopTestimonial
from postpurchase.models import ApiKey, Membership
from postpurchase.services import api_key_create, audit_record
from tests.dashboard_world import SETTINGS_PAGES, place_order, ship
from tracking.models import CrossSellRule

pytestmark = pytest.mark.django_db

# Pages every member may use (account managers included).
MEMBER_PAGES = ["dashboard:home", "dashboard:orders"]


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def a_world(merchant_a, alice, anders, bob):
    order = place_order(merchant_a, "A-100", number="#A-100")
    ship(merchant_a, order, "label_created", "in_transit")
    product = Product.objects.create(merchant=merchant_a, sku="SOFA-1", name="Sofa Hygge")
    benefit = Benefit.objects.create(merchant=merchant_a, locale="da", text="Håndlavet i Danmark")
    testimonial = ShopTestimonial.objects.create(
        merchant=merchant_a, author_name="Mette", quote="Elsker den", locale="da"
    )
    key, _raw = api_key_create(merchant=merchant_a, name="Shopify")
    template = MessageTemplate.objects.create(
        merchant=merchant_a, kind="congratulation", channel="sms", locale="da", body="Tak!"
    )
    rule = CrossSellRule.objects.create(merchant=merchant_a, product=product, trigger_sku="SOFA-1")
    note = OrderNote.objects.create(merchant=merchant_a, order=order, author=alice, text="Ringet")
    anders_membership = Membership.objects.for_merchant(merchant_a).get(user=anders)
    return {
        "order": order,
        "product": product,
        "benefit": benefit,
        "testimonial": testimonial,
        "key": key,
        "note": note,
        "membership": anders_membership,
        "template": template,
        "rule": rule,
    }


# One test per role walks every page: a world per page would cost minutes, not seconds.


def test_signed_out_visitor_is_sent_to_sign_in(client):
    for name in MEMBER_PAGES + SETTINGS_PAGES:
        response = client.get(reverse(name))
        assert response.status_code == 302, name
        assert response["Location"].startswith("/login/?next="), name


def test_site_root_leads_a_merchant_to_the_dashboard(client, alice):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == reverse("dashboard:home")
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/login/?next=")
    assert signed_in(alice).get("/", follow=True).status_code == 200


def test_owner_opens_every_page(a_world, alice):
    client = signed_in(alice)
    for name in MEMBER_PAGES + SETTINGS_PAGES:
        response = client.get(reverse(name))
        assert response.status_code == 200, (name, response.content[:300])


def test_account_manager_opens_member_pages_and_is_refused_settings(a_world, anders):
    client = signed_in(anders)
    for name in MEMBER_PAGES:
        assert client.get(reverse(name)).status_code == 200, name
    for name in SETTINGS_PAGES:
        assert client.get(reverse(name)).status_code == 403, name


OBJECT_URLS = [
    ("dashboard:order_detail", "order_id", "order", "GET"),
    ("dashboard:order_note", "order_id", "order", "POST"),
    ("dashboard:order_resend", "order_id", "order", "POST"),
    ("dashboard:product_edit", "pk", "product", "GET"),
    ("dashboard:product_edit", "pk", "product", "POST"),
    ("dashboard:product_delete", "pk", "product", "POST"),
    ("dashboard:benefit_edit", "pk", "benefit", "GET"),
    ("dashboard:benefit_delete", "pk", "benefit", "POST"),
    ("dashboard:testimonial_edit", "pk", "testimonial", "GET"),
    ("dashboard:testimonial_delete", "pk", "testimonial", "POST"),
    ("dashboard:api_key_revoke", "key_id", "key", "POST"),
    ("dashboard:message_template_edit", "pk", "template", "GET"),
    ("dashboard:message_template_edit", "pk", "template", "POST"),
    ("dashboard:message_template_test", "pk", "template", "POST"),
    ("dashboard:message_template_delete", "pk", "template", "POST"),
    ("dashboard:crosssell_rule_edit", "pk", "rule", "GET"),
    ("dashboard:crosssell_rule_delete", "pk", "rule", "POST"),
    ("dashboard:team_deactivate", "membership_id", "membership", "POST"),
]


def test_other_merchant_gets_404_for_a_objects(a_world, bob, merchant_a):
    client = signed_in(bob)
    for name, kwarg, obj, method in OBJECT_URLS:
        url = reverse(name, kwargs={kwarg: a_world[obj].pk})
        response = client.get(url) if method == "GET" else client.post(url, {"text": "x"})
        assert response.status_code == 404, (method, name)
    # Nothing of A's changed.
    assert ApiKey.objects.for_merchant(merchant_a).get().revoked_at is None
    assert Membership.objects.for_merchant(merchant_a).filter(is_active=True).count() == 2
    assert Product.objects.for_merchant(merchant_a).count() == 1
    assert MessageTemplate.objects.for_merchant(merchant_a).get().body == "Tak!"


def test_account_manager_gets_403_for_settings_objects(a_world, anders):
    client = signed_in(anders)
    for name, kwarg, obj, method in OBJECT_URLS:
        if name.startswith("dashboard:order_"):
            continue
        url = reverse(name, kwargs={kwarg: a_world[obj].pk})
        response = client.get(url) if method == "GET" else client.post(url)
        assert response.status_code == 403, (method, name)


def test_account_manager_opens_order_timeline(a_world, anders):
    url = reverse("dashboard:order_detail", kwargs={"order_id": a_world["order"].pk})
    response = signed_in(anders).get(url)
    assert response.status_code == 200
    assert b"#A-100" in response.content


def test_b_order_search_never_shows_a_orders(a_world, bob):
    response = signed_in(bob).get(reverse("dashboard:orders"), {"q": "anna"})
    assert response.status_code == 200
    assert b"#A-100" not in response.content


def test_platform_admin_refuses_merchant_owner(alice):
    response = signed_in(alice).get("/platform-admin/")
    assert response.status_code == 302
    assert "/platform-admin/login/" in response["Location"]


# Every screen an owner reads, in English and in each of the shop owners' languages:
# text that comes out the same is a string someone forgot to translate, unless the
# word is the same in that language or it is the shop's own data.
READ_PAGES = [
    # Not the CSV downloads, nor the branding preview (the buyer's page in the buyer's language).
    *[
        reverse_lazy(n)
        for n in MEMBER_PAGES + SETTINGS_PAGES
        if not any(part in n for part in ("csv", "export", "preview"))
    ],
    "/calls/",
    "/calls/settings/",
    "/dashboard/privacy/",
    "/dashboard/webhooks/",
    "/dashboard/integrations/",
    "/dashboard/import/",
]
SAME_WORD = {
    "da": {
        "Endpoints",
        "Menu",
        "Monospace",
        "Note",
        "Platform",
        "Send invitation",
        "Send test",
        "Serif (Georgia)",
    },
    "de": {"Details", "Name", "Position", "Text", "Upgrade"},
}
SAME_IN_BOTH = {"Branding", "Logo", "Person", "SMS", "Status", "Tags", "Team", "URL (https)"}
SHOP_DATA = re.compile(
    r"[\d@{_]|://|^[a-z]+\.[a-z]+$|\b(da|de|en|DA|DE|EN)$|Nordic Living|Alice Nordahl|Anders Berg|Anna Holm|Sofa Hygge"
    r"|Håndlavet|Elsker den|Mette|Tak!|Ringet|Postpurchase|Dansk|Deutsch|English|Shopify"
    r"|WooCommerce|EasyPost|GLS|X-Postpurchase-Signature"
)


def _visible_texts(html: str) -> set[str]:
    # Code (CSV columns, variables) is the same in every language.
    html = re.sub(r"<(script|style|svg|code)\b.*?</\1>", " ", html, flags=re.S)
    found = {m for m in re.findall(r'(?:title|placeholder|aria-label|alt)="([^"]*)"', html)}
    found |= {t for t in re.split(r"<[^>]*>", html)}
    return {" ".join(unescape(t).split()) for t in found} - {""}


@pytest.mark.parametrize("lang", ["da", "de"])
def test_every_owner_page_is_fully_in_danish_and_german(a_world, alice, merchant_a, lang):
    audit_record(merchant=merchant_a, actor=alice, action="api_key.revoked", target="Shopify")
    client = signed_in(alice)
    order, template = a_world["order"], a_world["template"]
    pages = [
        *READ_PAGES,
        reverse("dashboard:order_detail", kwargs={"order_id": order.pk}),
        reverse("dashboard:message_template_edit", kwargs={"pk": template.pk}),
        reverse("dashboard:product_edit", kwargs={"pk": a_world["product"].pk}),
        reverse("dashboard:benefit_edit", kwargs={"pk": a_world["benefit"].pk}),
        reverse("dashboard:testimonial_edit", kwargs={"pk": a_world["testimonial"].pk}),
        reverse("dashboard:crosssell_rule_edit", kwargs={"pk": a_world["rule"].pk}),
    ]
    english_left = {}
    for url in map(str, pages):
        english = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
        translated = client.get(url, HTTP_ACCEPT_LANGUAGE=lang)
        assert english.status_code == translated.status_code == 200, url
        same = _visible_texts(english.content.decode()) & _visible_texts(
            translated.content.decode()
        )
        left = {
            text
            for text in same
            if re.search(r"[A-Za-z]{2}", text)
            and not SHOP_DATA.search(text)
            and text not in SAME_IN_BOTH | SAME_WORD[lang]
        }
        if left:
            english_left[url] = sorted(left)
    assert not english_left, english_left
