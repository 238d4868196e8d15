"""Tenant-isolation probes of the merchant dashboard, for the URL walk in test_isolation.py.

Bob (merchant B) is signed in; every page either 404s for A's objects or shows
only B's data. Objects of A are made on demand with A's secret markers in them.
"""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from dashboard.preview import preview_logo_data_uri, preview_logo_store
from notifications.models import MessageTemplate
from orders.models import Benefit, Product, Testimonial
from postpurchase.models import Membership, User
from postpurchase.services import api_key_create
from tests.dashboard_world import SETTINGS_PAGES
from tracking.models import CrossSellRule

DASHBOARD_PUBLIC = {
    "login": "the sign-in form; shows nothing of any merchant",
    "logout": "signs the current user out; no merchant data",
    "password_reset": "asks for an email; same answer whether it exists or not",
    "password_reset_done": "static 'check your inbox' page",
    "password_reset_confirm": "authorised by Django's signed, expiring reset token",
    "password_reset_complete": "static 'password saved' page",
}

# Every page that lists or shows merchant data: B must see none of A's.
LIST_PAGES = ["dashboard:home", *SETTINGS_PAGES]


def _a_product(w):
    return Product.objects.for_merchant(w.merchant_a).get_or_create(
        merchant=w.merchant_a, sku="SOFA-SECRET-A", defaults={"name": "Holmgaard-Secret sofa"}
    )[0]


def _a_benefit(w):
    return Benefit.objects.create(merchant=w.merchant_a, locale="da", text="Holmgaard-Secret")


def _a_testimonial(w):
    return Testimonial.objects.create(
        merchant=w.merchant_a, author_name="Holmgaard-Secret", quote="x", locale="da"
    )


def _a_template(w):
    return MessageTemplate.objects.create(
        merchant=w.merchant_a,
        kind="congratulation",
        channel="sms",
        locale="da",
        body="Holmgaard-Secret",
    )


def _a_rule(w):
    return CrossSellRule.objects.create(
        merchant=w.merchant_a, product=_a_product(w), trigger_sku="SOFA-SECRET-A"
    )


def _logo_file(colour: str) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (120, 40), colour).save(buffer, format="PNG")
    return SimpleUploadedFile("logo.png", buffer.getvalue(), "image/png")


def _a_pending_logo(w) -> str:
    """Alice chose a logo for A's preview but has not saved it; its token."""
    if "a_logo_token" not in w.extra:
        alice = User.objects.get(email="alice@nordic.example")
        token = preview_logo_store(merchant=w.merchant_a, user=alice, upload=_logo_file("#c0ffee"))
        w.extra["a_logo_token"] = token
        w.extra["a_logo_uri"] = preview_logo_data_uri(
            merchant=w.merchant_a, user=alice, token=token
        )
    return w.extra["a_logo_token"]


def _a_logo_kept_and_unseen(w, response) -> bool:
    """A's chosen logo is still Alice's, and B's response does not carry it."""
    alice = User.objects.get(email="alice@nordic.example")
    kept = preview_logo_data_uri(merchant=w.merchant_a, user=alice, token=w.extra["a_logo_token"])
    return kept == w.extra["a_logo_uri"] and w.extra["a_logo_uri"] not in response.content.decode()


def dashboard_probes(Probe) -> dict:
    probes = {name: [Probe(auth="dashboard", expect="no-leak")] for name in LIST_PAGES}

    def with_a(make):
        # Make A's row first (kwargs runs before the request), then ask for the list as B.
        return lambda w: (make(w), {})[1]

    probes["dashboard:products"] = [
        Probe(auth="dashboard", expect="no-leak", kwargs=with_a(_a_product)),
        Probe(
            auth="dashboard",
            expect="no-leak",
            kwargs=with_a(_a_product),
            query={"q": "SOFA-SECRET-A"},
        ),
    ]
    probes["dashboard:product_export"] = [
        Probe(auth="dashboard", expect="no-leak", kwargs=with_a(_a_product))
    ]
    probes["dashboard:benefits"] = [
        Probe(auth="dashboard", expect="no-leak", kwargs=with_a(_a_benefit))
    ]
    probes["dashboard:testimonials"] = [
        Probe(auth="dashboard", expect="no-leak", kwargs=with_a(_a_testimonial))
    ]
    probes["dashboard:orders"] = [
        Probe(auth="dashboard", expect="no-leak"),
        Probe(auth="dashboard", expect="no-leak", query={"q": "anna.secret@nordic.example"}),
        Probe(auth="dashboard", expect="no-leak", query={"q": "Holmgaard-Secret"}),
    ]
    order = {"kwargs": lambda w: {"order_id": w.order_a.pk}, "auth": "dashboard"}
    probes["dashboard:order_detail"] = [Probe(**order)]
    probes["dashboard:order_note"] = [Probe(method="POST", body=lambda w: {"text": "B"}, **order)]
    probes["dashboard:order_resend"] = [
        Probe(method="POST", body=lambda w: {"message": "congratulation:email"}, **order)
    ]
    probes["dashboard:message_templates"] = [
        Probe(auth="dashboard", expect="no-leak", kwargs=with_a(_a_template))
    ]
    probes["dashboard:crosssell_rules"] = [
        Probe(auth="dashboard", expect="no-leak", kwargs=with_a(_a_rule))
    ]
    # B's draft previewed beside A's saved wording and products: B's shop only.
    probes["dashboard:message_template_preview"] = [
        Probe(
            auth="dashboard",
            method="POST",
            expect="no-leak",
            kwargs=with_a(lambda w: (_a_template(w), _a_product(w))),
            body=lambda w, channel=channel: {
                "kind": "congratulation",
                "channel": channel,
                "locale": "da",
                "subject": "Tak, {{ customer_first_name }}",
                "body": "Hej fra {{ shop_name }}",
            },
            check=lambda w, r: "Hej fra Bergmann" in r.json()["html"],
        )
        for channel in ("sms", "email")
    ]
    for name in ("message_template_test", "message_template_delete"):
        probes[f"dashboard:{name}"] = [
            Probe(auth="dashboard", method="POST", kwargs=lambda w: {"pk": _a_template(w).pk})
        ]
    for name, make in (
        ("message_template", _a_template),
        ("crosssell_rule", _a_rule),
        ("product", _a_product),
        ("benefit", _a_benefit),
        ("testimonial", _a_testimonial),
    ):
        probes[f"dashboard:{name}_edit"] = [
            Probe(auth="dashboard", kwargs=lambda w, make=make: {"pk": make(w).pk}),
            Probe(
                auth="dashboard",
                method="POST",
                kwargs=lambda w, make=make: {"pk": make(w).pk},
                body=lambda w: {"name": "B", "sku": "B", "text": "B", "locale": "de"},
            ),
        ]
        probes[f"dashboard:{name}_delete"] = [
            Probe(auth="dashboard", method="POST", kwargs=lambda w, make=make: {"pk": make(w).pk})
        ]
    # A logo Alice chose but did not save: B's own choice lands in B's slot, and B's
    # preview asked with A's token shows B's saved branding, never A's image.
    probes["dashboard:branding_preview_logo"] = [
        Probe(
            auth="dashboard",
            method="POST",
            expect="no-leak",
            kwargs=with_a(_a_pending_logo),
            body=lambda w: {"logo_upload": _logo_file("#0000ff")},
            check=lambda w, r: (
                r.json()["token"] != w.extra["a_logo_token"] and _a_logo_kept_and_unseen(w, r)
            ),
        )
    ]
    probes["dashboard:branding_preview"].extend(
        Probe(
            auth="dashboard",
            expect="no-leak",
            query=lambda w, view=view: {"view": view, "preview_logo": _a_pending_logo(w)},
            check=lambda w, r: (
                "data:image/png" not in r.content.decode() and _a_logo_kept_and_unseen(w, r)
            ),
        )
        for view in ("tracking", "email")
    )
    probes["dashboard:api_key_revoke"] = [
        Probe(
            auth="dashboard",
            method="POST",
            kwargs=lambda w: {"key_id": api_key_create(merchant=w.merchant_a, name="A")[0].pk},
        )
    ]
    probes["dashboard:team_deactivate"] = [
        Probe(
            auth="dashboard",
            method="POST",
            kwargs=lambda w: {
                "membership_id": Membership.objects.for_merchant(w.merchant_a).first().pk
            },
        )
    ]
    # A's GLS account: B's carriers page shows all five carriers unconnected.
    probes["carriers-dashboard:accounts"] = [
        Probe(
            auth="dashboard",
            expect="no-leak",
            kwargs=with_a(_a_carrier_account),
            check=lambda w, r: r.content.decode().count("badge-inactive") == 5,
        )
    ]
    # A's buyer answered a failed delivery: B's list shows nothing of it.
    probes["deliveries-dashboard:list"] = [
        Probe(auth="dashboard", expect="no-leak", kwargs=with_a(_a_delivery_answer))
    ]
    probes["carriers-dashboard:account-remove"] = [
        Probe(
            auth="dashboard",
            method="POST",
            kwargs=lambda w: {"account_id": _a_carrier_account(w).pk},
        )
    ]
    return probes


def _a_carrier_account(w):
    from tracking.carriers.services_accounts import carrier_account_connect

    return carrier_account_connect(
        merchant=w.merchant_a,
        carrier="gls",
        credentials={"client_id": "SOFA-SECRET-A", "client_secret": "Holmgaard-Secret"},
    )


def _a_delivery_answer(w):
    from tracking.delivery.models import DeliveryInstruction

    return DeliveryInstruction.objects.create(
        merchant=w.merchant_a,
        order=w.order_a,
        shipment=w.shipment_a,
        shipment_status="attempt_failed",
        choice="instruction",
        note="Holmgaard-Secret",
    )
