"""Bad order payloads get a 4xx with a clear message and leave the database unchanged.

Hypothesis takes the contract's valid order and breaks one part of it at a time:
unicode of every kind (NUL, lone surrogates, right-to-left, emoji), huge and
negative numbers, malformed phones and emails, wrong types, deep nesting, and
10,000 line items. Whatever it sends, the API answers 201/200 (the input was
valid after all) or 400 with field messages, never a 500, and a 400 writes nothing.
"""

import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from notifications.models import Touchpoint
from orders.models import Customer, Order
from tests.conftest import ORDER_PAYLOAD, make_payload
from tests.guarantees import record

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)

# Every place in the payload a value can be broken: (path, ...).
PATHS = [
    ("external_id",),
    ("number",),
    ("placed_at",),
    ("currency",),
    ("total",),
    ("locale",),
    ("customer",),
    ("customer", "email"),
    ("customer", "phone"),
    ("customer", "first_name"),
    ("customer", "consent"),
    ("customer", "consent", "sms"),
    ("shipping_address",),
    ("shipping_address", "country"),
    ("shipping_address", "postal_code"),
    ("items",),
    ("items", 0),
    ("items", 0, "quantity"),
    ("items", 0, "unit_price"),
    ("items", 0, "name"),
    ("items", 0, "image_url"),
    ("referred_by",),
]

nasty_text = st.one_of(
    st.text(min_size=0, max_size=40),
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "a\x00b",
            "\ud800",
            "\u202eevil",
            "😀" * 30,
            "Ærø Øster Ålborg",
            "x" * 5000,
            "<script>alert(1)</script>",
            "'; DROP TABLE orders_order; --",
            "../../etc/passwd",
            "%s%s%s%n",
        ]
    ),
)
nasty_numbers = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["-1", "1e309", "0.001", "99999999999999999999.99", "NaN", "Infinity", "1,5"]),
)
phones_and_emails = st.sampled_from(
    [
        "12",
        "+45",
        "+4520123456789012345",
        "phone",
        "+1 (555) ABC-DEFG",
        "@",
        "anna@",
        "anna@@example.com",
        "anna@example",
        "a" * 300 + "@example.com",
        "anna@exa mple.com",
    ]
)


def nested(depth: int):
    value: object = "deep"
    for _ in range(depth):
        value = {"a": [value]}
    return value


wrong_types = st.one_of(
    st.none(),
    st.booleans(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
    st.builds(nested, st.integers(min_value=1, max_value=30)),
)

bad_values = st.one_of(nasty_text, nasty_numbers, phones_and_emails, wrong_types)


def _set(payload, path, value):
    target = payload
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value


def _state(merchant) -> tuple:
    return (
        Order.objects.for_merchant(merchant).count(),
        Customer.objects.for_merchant(merchant).count(),
        Touchpoint.objects.for_merchant(merchant).count(),
    )


def _assert_clear_400(response):
    body = response.json()
    assert set(body) == {"errors"}, body
    assert body["errors"], body
    text = json.dumps(body["errors"])
    assert len(text) > 10  # a message, not an empty shell


_seen: dict[int, int] = {}


@FUZZ
@given(path=st.sampled_from(PATHS), value=bad_values, n=st.integers(0, 10**6))
def test_one_broken_field_is_rejected_cleanly_or_accepted(api_a, merchant_a, path, value, n):
    payload = make_payload(f"fuzz-{n}")
    _set(payload, path, value)
    before = _state(merchant_a)
    # Encoded as a client would: json.dumps escapes lone surrogates (\\ud800), which
    # the test client's own renderer cannot encode at all.
    response = api_a.post("/api/v1/orders/", json.dumps(payload), content_type="application/json")
    _seen[response.status_code] = _seen.get(response.status_code, 0) + 1
    assert response.status_code in (200, 201, 400), (path, value, response.status_code)
    if response.status_code == 400:
        _assert_clear_400(response)
        assert _state(merchant_a) == before, f"a rejected order wrote rows: {path}={value!r}"


def test_fuzz_outcomes_are_recorded():
    # Runs after the fuzz test in file order; keeps the summary table honest.
    tried = sum(_seen.values())
    record(
        "inputs",
        "order payload, one field broken (hypothesis)",
        tried=tried,
        outcome=", ".join(f"{k}×{v}" for k, v in sorted(_seen.items())) or "not run",
    )


@FUZZ
@given(
    body=st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=10),
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(st.text(max_size=8), children, max_size=4)
        ),
        max_leaves=30,
    )
)
def test_any_json_document_gets_400_not_500(api_a, merchant_a, body):
    before = _state(merchant_a)
    response = api_a.post("/api/v1/orders/", body, format="json")
    assert response.status_code == 400, (body, response.status_code)
    _assert_clear_400(response)
    assert _state(merchant_a) == before


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"{",
        b"not json",
        b"\xff\xfe\x00",
        b'{"external_id": NaN}',
        b'{"total": Infinity}',
        b"[]",
        b"null",
        b'"string"',
        b"1e999999",
    ],
)
def test_malformed_bytes_get_400(api_a, merchant_a, raw):
    before = _state(merchant_a)
    response = api_a.generic("POST", "/api/v1/orders/", raw, content_type="application/json")
    assert response.status_code == 400, (raw, response.status_code)
    _assert_clear_400(response)
    assert _state(merchant_a) == before


def test_ten_thousand_items_are_refused_with_a_clear_message(api_a, merchant_a):
    payload = make_payload("many")
    payload["items"] = [copy.deepcopy(ORDER_PAYLOAD["items"][0]) for _ in range(10_000)]
    before = _state(merchant_a)
    response = api_a.post("/api/v1/orders/", payload, format="json")
    assert response.status_code == 400
    assert "items" in response.json()["errors"]
    assert _state(merchant_a) == before
    record("inputs", "order with 10,000 items", tried=1, outcome="400 (items)")


def test_batch_of_bad_orders_reports_each_and_writes_none_of_them(api_a, merchant_a):
    bad = [make_payload(f"b{n}", total="-1") for n in range(20)]
    bad += [{"nonsense": True}, [], None, "x", 12]
    before = _state(merchant_a)
    response = api_a.post("/api/v1/orders/batch/", {"orders": bad}, format="json")
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert all(r["status"] == 400 and r["errors"] for r in response.json()["results"])
    assert _state(merchant_a) == before


def test_contract_example_still_accepted(api_a):
    # The fuzzers above would pass on an API that rejects everything; this one would not.
    assert api_a.post("/api/v1/orders/", make_payload("ok"), format="json").status_code == 201
