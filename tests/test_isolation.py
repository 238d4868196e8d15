"""Merchant B never sees or changes merchant A's data, on any URL the app serves.

One generated test walks every URL pattern (django.urls resolver). Each pattern
is either covered by probes below (A's object asked for as B, by API key or by
dashboard login: always 404; A's data never in B's lists, searches, exports,
previews or metrics) or allowed as public/unscoped with a reason. A new URL that
is in neither list fails `test_every_url_pattern_is_covered_or_explicitly_public`.
"""

import json
import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from orders.models import Order, Shipment, ShipmentEvent
from orders.services import order_upsert, shipment_create, shipment_event_record
from tests.conftest import make_payload
from tests.guarantees import record

pytestmark = pytest.mark.django_db

# Strings that exist only in merchant A's data: none may appear in a response to B.
A_MARKERS = (
    "anna.secret@nordic.example",
    "Holmgaard-Secret",
    "#A-SECRET-1",
    "SOFA-SECRET-A",
    "+4531234567",
)
B_MARKER = "#B-OWN-7"


def walk_patterns(patterns=None, prefix: str = "", namespace: str = ""):
    """Yield (route, name) of every URL pattern, namespaces included."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from walk_patterns(pattern.url_patterns, prefix + str(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern):
            route = prefix + str(pattern.pattern)
            yield route, f"{namespace}{pattern.name}" if pattern.name else None


# Public or unscoped URLs, each with the reason it needs no tenant check.
PUBLIC_PREFIXES = {
    "integrations/": "shop-platform webhooks (Shopify, WooCommerce): no session; each is "
    "authenticated by that merchant's own HMAC secret, so B's secret cannot post into A "
    "(tests/test_webhook_input.py)",
    "platform-admin/": "Django admin for platform staff (is_staff) only; merchants cannot sign in "
    "(checked by test_platform_admin_refuses_merchant_owner)",
    "n/webhooks/": "provider callbacks (Twilio, anymail ESPs): authenticated by the provider's "
    "signature or webhook secret, rows found by unguessable callback code "
    "(tests/test_notification_webhooks.py)",
    "n/u/": "one-click unsubscribe: the signed token names merchant and address; a forged "
    "token is a 404 (tests/test_notification_webhooks.py)",
}
PUBLIC = {
    "followups:endorse": "ambassador's page, authorised by a signed single-purpose token",
    "followups:twilio-status": "Twilio's click-to-call report: X-Twilio-Signature checked first",
    "followups:ambassador-opt-out": "ambassador's opt-out, authorised by a signed token",
    "notifications:unsubscribe": "buyer's one-click opt-out, authorised by a signed token",
    "healthz": "liveness probe, returns 'ok' and nothing else",
    "root": "redirects to the dashboard, which then asks for sign-in",
    "merchant-logo": "merchants' logos, public by design (tracking pages, emails)",
    "api-schema": "OpenAPI description of the API, no merchant data",
    "api-docs": "Swagger UI page around the schema, no merchant data",
    "demo-product-image": "drawn pictures of the demo catalogue by product slug; no merchant "
    "data (tests/test_demo_images.py)",
    # Shop and carrier webhooks: no session or API key, each merchant's URL accepts only
    # bodies signed with that merchant's secret; tests/test_integrations_*.py and
    # tests/test_carriers_easypost.py show B's secret cannot post into A.
    "integrations:shopify-webhook": "signed with the merchant's own Shopify secret",
    "integrations:woocommerce-webhook": "signed with the merchant's own WooCommerce secret",
    "integrations:easypost-webhook": "signed with the merchant's own EasyPost secret",
    # Buyer-facing tracking pages: no session or key; the 192-bit tracking token names the
    # order (and so the merchant). tests/test_tracking_page.py and
    # tests/test_tracking_lookup_and_clicks.py show B's page never carries A's branding,
    # B's lookup never finds A's orders, and A's token cannot redirect to B's products.
    "tracking:page": "order page by unguessable token, or the merchant's public lookup form",
    "tracking:rating": "buyer's rating, authorised by the order's tracking token",
    "tracking:delivery": "buyer's answer to a failed delivery, authorised by the order's "
    "tracking token (tests/test_delivery_answers.py)",
    "tracking:click": "cross-sell redirect, authorised by the tracking token; only that "
    "merchant's products",
    "tracking:theme": "CSS generated from colours in the URL; no merchant data",
}


@dataclass
class Probe:
    """One request made as merchant B for something of merchant A."""

    method: str = "GET"
    auth: str = "api"  # "api" (B's key) or "dashboard" (Bob signed in)
    kwargs: Any = None  # world -> URL kwargs naming A's objects
    body: Any = None  # world -> request body
    query: Any = field(default_factory=dict)  # a dict, or world -> dict
    expect: str = "404"  # "404", or "no-leak" (any 2xx without A's data)
    check: Any = None  # (world, response) -> bool, an extra condition


@dataclass
class World:
    merchant_a: Any
    merchant_b: Any
    order_a: Order
    shipment_a: Shipment
    event_a: ShipmentEvent
    order_b: Order
    extra: dict = field(default_factory=dict)


def _a_order_payload():
    payload = make_payload("A-1", number="#A-SECRET-1")
    payload["customer"].update(
        email="anna.secret@nordic.example", last_name="Holmgaard-Secret", phone="+4531234567"
    )
    payload["items"][0]["sku"] = "SOFA-SECRET-A"
    return payload


EVENT = {"status": "delivered", "occurred_at": "2026-11-22T10:00:00Z"}

# Route name (or route string when unnamed) -> the probes that cover it.
COVERED: dict[str, list[Probe]] = {
    "orders_api:order-list": [
        Probe(expect="no-leak"),
        Probe(expect="no-leak", query={"search": "anna.secret@nordic.example"}),
        # Upserting A's external_id as B creates B's own order; A's stays untouched.
        Probe(
            method="POST",
            expect="no-leak",
            body=lambda w: make_payload("A-1"),
            check=lambda w, r: r.json()["id"] != w.order_a.pk,
        ),
    ],
    "orders_api:order-batch": [
        Probe(
            method="POST",
            expect="no-leak",
            body=lambda w: {"orders": [make_payload("A-1")]},
            check=lambda w, r: r.json()["results"][0]["id"] != w.order_a.pk,
        ),
    ],
    "orders_api:order-detail": [Probe(kwargs=lambda w: {"order_id": w.order_a.pk})],
    "orders_api:shipment-create": [
        Probe(
            method="POST",
            kwargs=lambda w: {"order_id": w.order_a.pk},
            body=lambda w: {"carrier": "gls", "tracking_number": "B-INJECTED"},
        )
    ],
    "orders_api:shipment-event-create": [
        Probe(
            method="POST",
            kwargs=lambda w: {"shipment_id": w.shipment_a.pk},
            body=lambda w: {"status": "returned_to_sender", "occurred_at": "2026-11-23T10:00:00Z"},
        )
    ],
    # Follow-up calls (followups/).
    "followups_api:call-list": [
        Probe(expect="no-leak"),
        Probe(expect="no-leak", query={"status": "scheduled"}),
    ],
    "followups_api:call-outcome": [
        Probe(
            method="POST",
            kwargs=lambda w: {"call_id": _call_a(w).pk},
            body=lambda w: {"outcome": "reached_happy", "note": "B was here"},
        )
    ],
    "followups:queue": [
        Probe(auth="dashboard", expect="no-leak"),
        Probe(auth="dashboard", expect="no-leak", query={"who": "all"}),
    ],
    "followups:dial": [
        Probe(method="POST", auth="dashboard", kwargs=lambda w: {"call_id": _call_a(w).pk}),
    ],
    "followups:settings": [
        Probe(auth="dashboard", expect="no-leak"),
        # Enrolling A's customer as B's ambassador: to B that customer does not exist.
        Probe(
            method="POST",
            auth="dashboard",
            expect="no-leak",
            body=lambda w: {
                "form": "ambassador",
                "email": "anna.secret@nordic.example",
                "consent": "on",
            },
            check=lambda w, r: "No customer with this email" in r.content.decode(),
        ),
    ],
    "followups:outcome": [
        Probe(
            auth="dashboard",
            method="POST",
            kwargs=lambda w: {"call_id": _call_a(w).pk},
            body=lambda w: {"outcome": "do_not_call", "note": "B was here"},
        )
    ],
    "followups:reassign": [
        Probe(
            auth="dashboard",
            method="POST",
            kwargs=lambda w: {"call_id": _call_a(w).pk},
            body=lambda w: {"assignee": w.merchant_b.pk},
        )
    ],
    "followups:snooze": [
        Probe(
            auth="dashboard",
            method="POST",
            kwargs=lambda w: {"call_id": _call_a(w).pk},
            body=lambda w: {"snooze": "tomorrow"},
        )
    ],
    # Data rights (orders/privacy_api.py, orders/privacy_dashboard.py).
    "orders_api:customer-lookup": [
        Probe(
            method="POST",
            expect="no-leak",
            body=lambda w: {"email": "anna.secret@nordic.example"},
            check=lambda w, r: r.json() == {"customers": []},
        )
    ],
    "orders_api:customer-erase-by-contact": [
        Probe(
            method="POST",
            expect="no-leak",
            body=lambda w: {"email": "anna.secret@nordic.example"},
            check=lambda w, r: r.json() == {"customers": []},
        )
    ],
    "orders_api:customer-export": [Probe(kwargs=lambda w: {"customer_id": w.order_a.customer_id})],
    "orders_api:customer-erase": [
        Probe(method="POST", kwargs=lambda w: {"customer_id": w.order_a.customer_id})
    ],
    "privacy:customer-data": [
        Probe(
            auth="dashboard",
            expect="no-leak",
            query={"email": "anna.secret@nordic.example"},
            check=lambda w, r: b"privacy-results" not in r.content,
        ),
        Probe(
            auth="dashboard",
            expect="no-leak",
            query={"phone": "+4531234567"},
            check=lambda w, r: b"privacy-results" not in r.content,
        ),
    ],
    "privacy:customer-export": [
        Probe(auth="dashboard", kwargs=lambda w: {"customer_id": w.order_a.customer_id})
    ],
    "privacy:customer-erase": [
        Probe(
            auth="dashboard",
            method="POST",
            kwargs=lambda w: {"customer_id": w.order_a.customer_id},
            body=lambda w: {"confirm": "yes"},
        )
    ],
    # Integrations (orders/integrations/dashboard.py, notifications/webhooks_out/views.py).
    # The kwargs hooks first give A a file, a connection and an endpoint worth leaking.
    "integrations-dashboard:import": [
        Probe(auth="dashboard", expect="no-leak", kwargs=lambda w: _integrations_a(w, {}))
    ],
    "integrations-dashboard:import-preview": [
        Probe(auth="dashboard", kwargs=lambda w: {"import_id": _integrations_a(w).pk}),
        Probe(
            auth="dashboard", method="POST", kwargs=lambda w: {"import_id": _integrations_a(w).pk}
        ),
    ],
    "integrations-dashboard:connections": [
        Probe(auth="dashboard", expect="no-leak", kwargs=lambda w: _integrations_a(w, {}))
    ],
    "webhooks-out:endpoints": [
        Probe(auth="dashboard", expect="no-leak", kwargs=lambda w: _integrations_a(w, {}))
    ],
    "webhooks-out:endpoint-disable": [
        Probe(
            auth="dashboard",
            method="POST",
            kwargs=lambda w: {"endpoint_id": _webhook_endpoint_a(w).pk},
            check=lambda w, r: _webhook_endpoint_a(w).is_active,
        )
    ],
}


def _integrations_a(world: World, result=None):
    """A's uploaded CSV (returned), Shopify connection, a delivery and a webhook endpoint."""
    from orders.integrations.models import CsvImport, InboundDelivery
    from orders.integrations.services import integration_connect

    merchant = world.merchant_a
    _webhook_endpoint_a(world)
    if not InboundDelivery.objects.for_merchant(merchant).exists():
        integration_connect(merchant=merchant, platform="shopify", secret="a-secret-shopify")
        InboundDelivery.objects.create(
            merchant=merchant,
            source="shopify",
            topic="orders/create",
            delivery_key="SOFA-SECRET-A",
            payload={"email": "anna.secret@nordic.example"},
            error="#A-SECRET-1 failed",
            status="dead",
        )
    upload = CsvImport.objects.for_merchant(merchant).first() or CsvImport.objects.create(
        merchant=merchant,
        filename="#A-SECRET-1.csv",
        content="order_id,order_number\nA-9,#A-SECRET-1\n",
        sha256="0" * 64,
    )
    return upload if result is None else result


def _webhook_endpoint_a(world: World):
    from notifications.webhooks_out.models import WebhookEndpoint
    from notifications.webhooks_out.services import webhook_endpoint_create

    endpoint = WebhookEndpoint.objects.for_merchant(world.merchant_a).first()
    if endpoint is None:
        endpoint, _ = webhook_endpoint_create(
            merchant=world.merchant_a,
            url="http://127.0.0.1:9/SOFA-SECRET-A",
            events=["rating.received"],
        )
    endpoint.refresh_from_db()
    return endpoint


def _call_a(world: World):
    from followups.models import FollowUpCall

    return FollowUpCall.objects.for_merchant(world.merchant_a).get(order=world.order_a)


# The merchant dashboard's pages (#7) keep their probes beside the dashboard's tests.
from tests.isolation_dashboard import DASHBOARD_PUBLIC, dashboard_probes  # noqa: E402

COVERED.update(dashboard_probes(Probe))
PUBLIC.update(DASHBOARD_PUBLIC)


def _is_public(route: str, name: str | None) -> bool:
    return (name in PUBLIC) or any(route.startswith(p) for p in PUBLIC_PREFIXES)


def test_every_url_pattern_is_covered_or_explicitly_public():
    uncovered = [
        f"{route} (name={name})"
        for route, name in walk_patterns()
        if not _is_public(route, name) and (name or route) not in COVERED
    ]
    record("isolation", "URL patterns walked", patterns=len(list(walk_patterns())))
    assert not uncovered, (
        "URL patterns without a tenant-isolation probe: add them to COVERED (or PUBLIC with "
        "a reason) in tests/test_isolation.py:\n  " + "\n  ".join(uncovered)
    )


def test_registry_names_only_urls_that_exist():
    known = {name or route for route, name in walk_patterns()}
    stale = sorted(set(COVERED) - known)
    assert not stale, f"COVERED names URLs that no longer exist: {stale}"


@pytest.fixture
def world(merchant_a, merchant_b, alice, bob):
    from orders.serializers import OrderInput

    def upsert(merchant, payload):
        data = OrderInput(data=payload)
        data.is_valid(raise_exception=True)
        return order_upsert(merchant=merchant, data=data.validated_data).order

    order_a = upsert(merchant_a, _a_order_payload())
    shipment_a = shipment_create(
        merchant=merchant_a,
        order=order_a,
        data={"carrier": "gls", "tracking_number": "A-TRACK-SECRET"},
    )
    from django.utils.dateparse import parse_datetime

    event_a = shipment_event_record(
        merchant=merchant_a,
        shipment=shipment_a,
        data={"status": "in_transit", "occurred_at": parse_datetime("2026-11-21T10:00:00Z")},
    ).event
    order_b = upsert(merchant_b, make_payload("B-7", number=B_MARKER))
    return World(merchant_a, merchant_b, order_a, shipment_a, event_a, order_b)


def _snapshot(world: World) -> dict:
    """Everything of A's that a probe could change."""
    a = world.merchant_a
    order = Order.objects.for_merchant(a).get(pk=world.order_a.pk)
    return {
        "orders": sorted(Order.objects.for_merchant(a).values_list("pk", "number", "total")),
        "customer": (
            order.customer.email,
            order.customer.last_name,
            order.customer.phone,
            order.customer.erased_at,
        ),
        "shipments": sorted(
            Shipment.objects.for_merchant(a).values_list("pk", "status", "tracking_number")
        ),
        "events": ShipmentEvent.objects.for_merchant(a).count(),
        "calls": _calls_snapshot(a),
    }


def _calls_snapshot(merchant) -> list:
    from followups.models import CallAttempt, FollowUpCall

    calls = FollowUpCall.objects.for_merchant(merchant).order_by("pk")
    rows = list(
        calls.values_list("pk", "status", "assignee_id", "snoozed_until", "outcome", "notes")
    )
    return [*rows, CallAttempt.objects.for_merchant(merchant).count()]


def _url_for(key: str, kwargs: dict) -> str:
    """Reverse a named pattern; an unnamed one is keyed by its route string."""
    if "/" not in key:
        return reverse(key, kwargs=kwargs)
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(kwargs[m.group(1)]), key)


def _client_as_b(auth: str, api_b, bob) -> Any:
    if auth == "api":
        return api_b
    client = Client()
    client.force_login(bob)
    return client


def _probe_ids():
    return [f"{name}[{i}]" for name, probes in COVERED.items() for i in range(len(probes))]


@pytest.mark.parametrize("probe_id", _probe_ids())
def test_merchant_b_cannot_reach_merchant_a_data(probe_id, world, api_b, bob):
    name, index = probe_id[:-1].rsplit("[", 1)
    probe = COVERED[name][int(index)]
    kwargs = probe.kwargs(world) if probe.kwargs else {}
    url = _url_for(name, kwargs)
    client = _client_as_b(probe.auth, api_b, bob)
    query = probe.query(world) if callable(probe.query) else probe.query
    before = _snapshot(world)
    if probe.method == "GET":
        response = client.get(url, query)
    else:
        body = probe.body(world) if probe.body else {}
        if probe.auth == "api":
            response = client.generic(
                probe.method, url, data=json.dumps(body), content_type="application/json"
            )
        else:
            response = client.post(url, body)
    content = response.content.decode(errors="replace")
    # A search form may echo what B typed; that is B's own input, not A's data.
    typed = json.dumps([query, probe.body(world) if probe.body else None], default=str)
    leaked = [marker for marker in A_MARKERS if marker in content and marker not in typed]
    assert not leaked, f"{probe.method} {url} as B shows A's data: {leaked}"
    if probe.expect == "404":
        assert response.status_code == 404, (probe.method, url, response.status_code, content[:300])
    else:
        assert 200 <= response.status_code < 300, (
            probe.method,
            url,
            response.status_code,
            content[:300],
        )
    assert _snapshot(world) == before, f"{probe.method} {url} as B changed A's data"
    if probe.check:
        assert probe.check(world, response), (probe.method, url, content[:300])
    record(
        "isolation",
        f"{probe.method} {name}",
        as_b=probe.auth,
        status=response.status_code,
        leaked=0,
    )


def test_b_lists_show_b_own_orders_so_absence_of_a_means_something(world, api_b):
    body = api_b.get("/api/v1/orders/").json()
    numbers = [row["number"] for row in body["results"]]
    assert numbers == [B_MARKER]


def test_platform_admin_refuses_merchant_owner(world, bob):
    client = Client()
    client.force_login(bob)
    response = client.get("/platform-admin/orders/order/")
    assert response.status_code == 302
    assert "/platform-admin/login/" in response["Location"]
