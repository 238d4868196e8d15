"""Saving Branding keeps every shop link: the form shows them all, and keeps what it did not show."""

from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse

from postpurchase.models import Branding

pytestmark = pytest.mark.django_db

FOUR_LINKS = [
    {"label": "Shop", "url": "https://nordicliving.example/"},
    {"label": "Sofas", "url": "https://nordicliving.example/sofas"},
    {"label": "Care guide", "url": "https://nordicliving.example/care"},
    {"label": "Returns", "url": "https://nordicliving.example/returns"},
]


class _FormFields(HTMLParser):
    """The values a browser would post for the branding form, as rendered."""

    def __init__(self):
        super().__init__()
        self.values: dict[str, str] = {}
        self._select = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("file", "checkbox", "submit"):
            self.values[name] = attrs.get("value") or ""
        elif tag == "textarea" and name:
            self.values[name] = ""
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in attrs:
            self.values[self._select] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def rendered_form(client) -> dict[str, str]:
    response = client.get(reverse("dashboard:branding"))
    assert response.status_code == 200
    parser = _FormFields()
    parser.feed(response.content.decode())
    return parser.values


@pytest.fixture
def owner(alice) -> Client:
    client = Client()
    client.force_login(alice)
    return client


@pytest.fixture
def four_links(merchant_a):
    branding, _ = Branding.objects.get_or_create(merchant=merchant_a)
    branding.shop_links = FOUR_LINKS
    branding.save()
    return branding


def test_saving_branding_as_shown_keeps_all_four_shop_links(owner, four_links):
    values = rendered_form(owner)
    values["banner_message_da"] = "Free delivery this week"
    response = owner.post(reverse("dashboard:branding"), values)
    assert response.status_code == 302
    four_links.refresh_from_db()
    assert [{k: link[k] for k in ("label", "url")} for link in four_links.shop_links] == FOUR_LINKS
    assert four_links.banner_messages == {"da": "Free delivery this week"}


def test_the_form_has_an_empty_row_to_add_a_fifth_link(owner, four_links):
    values = rendered_form(owner)
    assert values["link_3_label"] == "Returns" and values["link_4_label"] == ""
    values.update(link_4_label="Showroom", link_4_url="https://nordicliving.example/showroom")
    owner.post(reverse("dashboard:branding"), values)
    four_links.refresh_from_db()
    assert [link["label"] for link in four_links.shop_links] == [
        "Shop",
        "Sofas",
        "Care guide",
        "Returns",
        "Showroom",
    ]


def test_a_link_added_in_another_tab_survives_a_save_from_an_older_page(owner, four_links):
    four_links.shop_links = FOUR_LINKS[:2]
    four_links.save()
    stale = rendered_form(owner)  # two links and an empty row
    four_links.shop_links = FOUR_LINKS
    four_links.save()  # a colleague adds two more meanwhile
    stale.update(link_0_label="Webshop")
    owner.post(reverse("dashboard:branding"), stale)
    four_links.refresh_from_db()
    assert [link["label"] for link in four_links.shop_links] == [
        "Webshop",
        "Sofas",
        "Care guide",
        "Returns",
    ]


def test_clearing_a_shown_link_removes_only_that_link(owner, four_links):
    values = rendered_form(owner)
    values.update(link_1_label="", link_1_url="")
    owner.post(reverse("dashboard:branding"), values)
    four_links.refresh_from_db()
    assert [link["label"] for link in four_links.shop_links] == ["Shop", "Care guide", "Returns"]
