"""Every webhook parser answers broken input with a clear refusal and writes nothing.

Shop platforms (Shopify, WooCommerce), the carrier feed (EasyPost) and the SMS
provider (Twilio) post to us. Hypothesis breaks their real payloads one field at
a time (wrong types, missing keys, nasty strings, huge numbers). A signed but
broken delivery is stored and then dead-lettered with a readable error; it
never raises anything but a payload error, never answers 500, and never half-
writes an order. Unsigned or wrongly signed posts get 401/403 before anything is read.
"""

import copy
import json
import uuid

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orders.integrations import shopify, woocommerce
from orders.integrations.models import InboundDelivery
from orders.integrations.normalized import PayloadError
from orders.integrations.services import integration_connect
from orders.models import Order, Shipment, ShipmentEvent
from tests.guarantees import record
from tests.integrations_helpers import apply_pending, b64_hmac, fixture

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)

bad_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.sampled_from(["", "\x00", "\ud800", "x" * 3000, "2026-13-45T99:99:99Z", "-1", "1e400"]),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3),
)


def _paths(value, prefix=()):
    """Every key path in a JSON document."""
    if isinstance(value, dict):
        for key, child in value.items():
            yield (*prefix, key)
            yield from _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value[:3]):
            yield (*prefix, index)
            yield from _paths(child, (*prefix, index))


def _break(document, path, value, *, delete: bool):
    broken = copy.deepcopy(document)
    target = broken
    for key in path[:-1]:
        target = target[key]
    if delete:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return broken


def broken_documents(document):
    paths = list(_paths(document))
    return st.tuples(st.sampled_from(paths), bad_values, st.booleans()).map(
        lambda t: _break(document, t[0], t[1], delete=t[2])
    )


PARSERS = {
    "shopify orders/create": (shopify.order_update, fixture("shopify", "orders_create")),
    "shopify fulfillments/create": (
        shopify.fulfillment_update,
        fixture("shopify", "fulfillments_create"),
    ),
    "woocommerce order.created": (
        woocommerce.order_update,
        fixture("woocommerce", "order_created"),
    ),
}
try:
    from tracking.carriers import easypost

    PARSERS["easypost tracker.updated"] = (
        easypost.tracker_update,
        fixture("easypost", "tracker_updated"),
    )
except ImportError:  # the carrier feed is optional
    pass

_outcomes: dict[str, dict[str, int]] = {}


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_parser_refuses_broken_payloads_only_with_payload_errors(name):
    parse, document = PARSERS[name]
    seen = _outcomes.setdefault(name, {})

    @FUZZ
    @given(payload=broken_documents(document))
    def check(payload):
        try:
            parse(payload)
        except (PayloadError, ValidationError) as exc:
            assert str(exc).strip(), "a refusal needs a message"
            seen["refused"] = seen.get("refused", 0) + 1
        else:
            seen["accepted"] = seen.get("accepted", 0) + 1

    check()
    record(
        "inputs",
        f"webhook parser: {name}",
        tried=sum(seen.values()),
        outcome=", ".join(f"{k} {v}" for k, v in sorted(seen.items())),
    )


SECRET_A = "shpss_fuzz_nordic_0123456789abcdef"


@pytest.fixture
def shop_a(merchant_a):
    return integration_connect(merchant=merchant_a, platform="shopify", secret=SECRET_A)


def _state(merchant):
    return (
        Order.objects.for_merchant(merchant).count(),
        Shipment.objects.for_merchant(merchant).count(),
        ShipmentEvent.objects.for_merchant(merchant).count(),
    )


def _post_shopify(client, topic, body: bytes, *, secret=SECRET_A):
    return client.post(
        "/integrations/shopify/nordic-living/",
        body,
        content_type="application/json",
        HTTP_X_SHOPIFY_TOPIC=topic,
        HTTP_X_SHOPIFY_WEBHOOK_ID=str(uuid.uuid4()),
        HTTP_X_SHOPIFY_HMAC_SHA256=b64_hmac(secret, body),
    )


@FUZZ
@given(payload=broken_documents(fixture("shopify", "fulfillments_create")))
def test_signed_but_broken_shopify_delivery_is_dead_lettered_not_half_applied(
    client, merchant_a, shop_a, payload
):
    # An order to attach fulfilments to, so a broken fulfilment has something to break.
    order_body = json.dumps(fixture("shopify", "orders_create")).encode()
    _post_shopify(client, "orders/create", order_body)
    apply_pending()
    before = _state(merchant_a)
    body = json.dumps(payload).encode()
    response = _post_shopify(client, "fulfillments/create", body)
    assert response.status_code in (200, 400), response.status_code
    outcomes = apply_pending()
    delivery = InboundDelivery.objects.for_merchant(merchant_a).order_by("-pk").first()
    if delivery.status == "dead":
        assert delivery.error.strip()
        assert _state(merchant_a) == before
    assert delivery.status != "pending", outcomes  # never left to retry a parse error


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"{",
        b"[1,2]",
        b"null",
        b"\xff\xfe",
        b'"x"',
        b"{}" * 1000,
        b"1e999999",
        b'{"id": "\\u0000"}',
        b'{"id": 1, "note": "\\ud800"}',
    ],
)
def test_signed_garbage_to_shopify_gets_4xx_or_is_dead_lettered(client, merchant_a, shop_a, raw):
    before = _state(merchant_a)
    response = _post_shopify(client, "orders/create", raw)
    assert response.status_code < 500
    apply_pending()
    assert _state(merchant_a) == before


def test_bergmanns_secret_cannot_post_into_nordic_living(client, merchant_a, merchant_b, shop_a):
    integration_connect(merchant=merchant_b, platform="shopify", secret="shpss_bergmann_secret_x")
    body = json.dumps(fixture("shopify", "orders_create")).encode()
    response = _post_shopify(client, "orders/create", body, secret="shpss_bergmann_secret_x")
    assert response.status_code == 401
    assert not InboundDelivery.objects.for_merchant(merchant_a).exists()
    record("isolation", "shop webhook signed with B's secret into A", status=401, leaked=0)


def test_unsigned_twilio_callbacks_are_refused(client, settings):
    settings.TWILIO_AUTH_TOKEN = "twilio-test-token"
    for url in ("/n/webhooks/twilio/status/anycode/", "/n/webhooks/twilio/inbound/"):
        response = client.post(
            url, {"MessageStatus": "delivered", "From": "+4520123456", "Body": "STOP"}
        )
        assert response.status_code == 403


@FUZZ
@given(
    form=st.dictionaries(
        st.sampled_from(["MessageStatus", "ErrorCode", "From", "Body", "MessageSid", "To"]),
        st.text(max_size=40),
        max_size=6,
    )
)
def test_signed_twilio_callbacks_with_any_fields_never_error(client, settings, form):
    from twilio.request_validator import RequestValidator

    settings.TWILIO_AUTH_TOKEN = "twilio-test-token"
    form = {k: v.replace("\x00", "") for k, v in form.items()}
    for path in ("/n/webhooks/twilio/status/nosuchcode/", "/n/webhooks/twilio/inbound/"):
        signature = RequestValidator("twilio-test-token").compute_signature(
            settings.PUBLIC_BASE_URL + path, form
        )
        response = client.post(path, form, HTTP_X_TWILIO_SIGNATURE=signature)
        assert response.status_code < 500, (path, form)
