"""The bulk batch path gives exactly what posting the same orders one by one gives.

Nordic Living gets the orders one POST at a time; its twin shop, Nordic Living
Outlet (same time zone, same language, the same team and ambassadors), gets the very
same orders as one batch. Their orders, customers, items, touchpoints, follow-up calls
(who got which) and endorsements (who was asked) must end up the same.
"""

import copy
import re
from decimal import Decimal

import pytest

from followups.endorsements import ambassador_enroll
from followups.models import CallSettings, Endorsement, FollowUpCall
from notifications.models import Touchpoint
from orders.models import Customer, Order
from postpurchase.models import Membership, User
from postpurchase.services import merchant_create
from tests.conftest import _api_client, make_payload
from tests.test_performance_guards import validated

TEAM = ["Anders Berg", "Birgit Lund", "Carl Dahl"]


@pytest.fixture
def outlet(db, merchant_a):
    return merchant_create(
        name="Nordic Living Outlet",
        slug="nordic-living-outlet",
        timezone_name=merchant_a.timezone,
        owner_email="alice@outlet.example",
        locale=merchant_a.default_locale,
    )


def staff(merchant, rules: dict) -> None:
    """The same account managers, VIP buyer, ambassadors and call rules in either shop."""
    managers = []
    for name in TEAM:
        user = User.objects.create_user(f"{name.split()[0].lower()}@{merchant.slug}.example")
        user.full_name = name
        user.save()
        Membership.objects.create(
            merchant=merchant, user=user, role=Membership.Role.ACCOUNT_MANAGER
        )
        managers.append(user)
    # Birgit looks after her VIP buyer herself, whatever the rotation says.
    Customer.objects.create(
        merchant=merchant, email="vip@holm.dk", first_name="Vera", account_manager=managers[1]
    )
    for name, external_id in (("Maria", "C-77"), ("Peter", "C-78")):
        customer = Customer.objects.create(
            merchant=merchant,
            email=f"{name.lower()}@studio-k.dk",
            first_name=name,
            external_id=external_id,
            consent_email=True,
        )
        ambassador_enroll(merchant=merchant, customer=customer, company="Studio K")
    if rules:
        CallSettings.objects.create(merchant=merchant, **rules)


def scenario() -> tuple[dict, list[dict]]:
    """An order posted before, and a batch that exercises every upsert rule."""
    earlier = make_payload("500")
    earlier["customer"]["email"] = "karen@example.com"
    orders = [make_payload(str(n)) for n in range(1, 6)]
    for n, order in enumerate(orders):
        order["customer"]["email"] = f"buyer{n}@example.com"
        order["items"] = order["items"] * (n % 3 + 1)
    # Karen's earlier order again with a new total: 200, updated, no second congratulation.
    again = copy.deepcopy(earlier)
    again["total"] = "1500.00"
    again["customer"]["first_name"] = "Karen Marie"
    # The same new order twice in one batch: the second is an update of the first.
    twice = make_payload("600", total="10.00")
    twice_again = make_payload("600", total="20.00")
    # Two orders by one new customer: one customer, updated by the later order.
    one_buyer = make_payload("700")
    one_buyer["customer"]["email"] = "jens@example.com"
    one_buyer_later = make_payload("701")
    one_buyer_later["customer"]["email"] = "jens@example.com"
    one_buyer_later["customer"]["last_name"] = "Jensen"
    one_buyer_later["customer"]["consent"] = {"email": False, "sms": True}
    # A buyer known only by phone, without consent to email.
    by_phone = make_payload("800")
    by_phone["customer"] = {"phone": "+4540404040", "first_name": "Mette"}
    bad = make_payload("900", currency="kroner")
    # Karen again, a new order: a returning customer.
    karen_new = make_payload("501", placed_at="2026-11-21T10:00:00Z")
    karen_new["customer"]["email"] = "karen@example.com"
    # Jens's later order (returning), then one that says it was placed before both.
    one_buyer_later["placed_at"] = "2026-11-21T09:00:00Z"
    one_buyer_backdated = make_payload("702", placed_at="2026-11-19T09:00:00Z")
    one_buyer_backdated["customer"]["email"] = "jens@example.com"
    small = make_payload("950", total="500.00")
    small["customer"]["email"] = "small@example.com"
    vip = make_payload("960")
    vip["customer"]["email"] = "vip@holm.dk"
    # Colleagues of the Studio K ambassadors, one of them an ambassador himself, and a
    # buyer who names Maria's customer id.
    colleagues = []
    for n, email in enumerate(
        ["jonas@studio-k.dk", "lise@studio-k.dk", "peter@studio-k.dk", "kim@studio-k.dk"]
    ):
        colleague = make_payload(f"97{n}")
        colleague["customer"]["email"] = email
        # (Peter's order keeps his name: notes planned in a batch greet with the
        # ambassador's name as the whole batch leaves it.)
        colleague["customer"]["first_name"] = email.split("@")[0].capitalize()
        colleagues.append(colleague)
    referred = make_payload("980", referred_by="C-77")
    referred["customer"]["email"] = "ole@gmail.com"
    no_email_consent = make_payload("990")
    no_email_consent["customer"]["email"] = "mads@studio-k.dk"
    no_email_consent["customer"]["consent"] = {"email": False, "sms": True}
    return earlier, [
        *orders,
        again,
        twice,
        bad,
        twice_again,
        one_buyer,
        one_buyer_later,
        by_phone,
        karen_new,
        one_buyer_backdated,
        small,
        vip,
        colleagues[0],
        referred,
        *colleagues[1:],
        no_email_consent,
    ]


def snapshot(merchant) -> dict:
    orders = {}
    for order in (
        Order.objects.for_merchant(merchant)
        .select_related("customer")
        .prefetch_related("items", "touchpoints")
    ):
        c = order.customer
        orders[order.external_id] = {
            "fields": (
                order.number,
                order.placed_at,
                str(order.total),
                order.currency,
                order.locale,
                order.shipping_city,
                order.shipping_country,
            ),
            "customer": (
                c.email,
                c.phone,
                c.first_name,
                c.last_name,
                c.locale,
                c.consent_email,
                c.consent_sms,
                c.consent_call,
            ),
            "items": [
                (i.position, i.sku, i.name, i.quantity, str(i.unit_price))
                for i in order.items.all()
            ],
            "touchpoints": sorted(
                # An endorsement request's cause names its endorsement's id.
                (
                    t.kind,
                    t.channel,
                    re.sub(r"\d+", "#", t.cause),
                    t.status,
                    t.error,
                    t.due_at.date(),
                )
                for t in order.touchpoints.all()
            ),
        }
    for call in FollowUpCall.objects.for_merchant(merchant).select_related("order", "assignee"):
        orders[call.order.external_id]["call"] = (
            call.status,
            call.skip_reason,
            call.assignee.full_name if call.assignee else None,
            call.due_at,
        )
    for endorsement in Endorsement.objects.for_merchant(merchant).select_related(
        "order", "ambassador__customer"
    ):
        orders[endorsement.order.external_id]["endorsement"] = (
            endorsement.ambassador.customer.email,
            endorsement.matched_by,
            endorsement.message.replace(merchant.name, "<shop>"),
            endorsement.status,
        )
    return {
        "orders": orders,
        "customers": Customer.objects.for_merchant(merchant).count(),
    }


RULES = {
    "default rules": {},
    "strict rules": {
        "min_order_value": Decimal("1000.00"),
        "first_time_customers_only": True,
        "ambassador_monthly_cap": 1,
    },
}


@pytest.mark.parametrize("rules", RULES.values(), ids=RULES.keys())
def test_batch_gives_the_same_orders_customers_calls_and_endorsements_as_single_posts(
    merchant_a, outlet, rules
):
    staff(merchant_a, rules)
    staff(outlet, rules)
    api_nordic, api_outlet = _api_client(merchant_a), _api_client(outlet)
    earlier, batch = scenario()
    assert api_nordic.post("/api/v1/orders/", earlier, format="json").status_code == 201
    assert api_outlet.post("/api/v1/orders/", earlier, format="json").status_code == 201

    singles = [
        api_nordic.post("/api/v1/orders/", payload, format="json").status_code for payload in batch
    ]
    response = api_outlet.post("/api/v1/orders/batch/", {"orders": batch}, format="json")

    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == singles
    assert singles == [201] * 5 + [200, 201, 400, 200, 201, 201, 201] + [201] * 10
    assert results[7]["errors"]["currency"]
    nordic, outlet_ = snapshot(merchant_a), snapshot(outlet)
    assert outlet_ == nordic
    # The scenario exercises what it means to: every rule decided something.
    calls = {external_id: order["call"] for external_id, order in nordic["orders"].items()}
    assert {call[2] for call in calls.values() if call[0] == "scheduled"} == set(TEAM)
    assert calls["960"][2] == "Birgit Lund"
    endorsed = {k: o["endorsement"][:2] for k, o in nordic["orders"].items() if "endorsement" in o}
    if rules:
        assert calls["950"][:2] == ("skipped", "below_value")
        assert calls["501"][:2] == calls["701"][:2] == ("skipped", "returning_customer")
        assert calls["702"][0] == calls["700"][0] == "scheduled"
        assert endorsed == {
            "970": ("maria@studio-k.dk", "company"),
            "971": ("peter@studio-k.dk", "company"),
        }
    else:
        assert endorsed == {
            "970": ("maria@studio-k.dk", "company"),
            "980": ("maria@studio-k.dk", "referred_by"),
            "971": ("peter@studio-k.dk", "company"),  # Maria had her two this month
            # 972 is Peter's own order: nobody left to ask but himself.
            "973": ("peter@studio-k.dk", "company"),
        }


def test_batch_result_ids_and_tracking_urls_point_at_the_saved_orders(api_a, merchant_a):
    batch = [make_payload("a1"), make_payload("a2"), make_payload("a1", total="5.00")]

    results = api_a.post("/api/v1/orders/batch/", {"orders": batch}, format="json").json()[
        "results"
    ]

    saved = Order.objects.for_merchant(merchant_a).get(external_id="a1")
    assert results[0]["id"] == results[2]["id"] == saved.pk
    assert results[0]["tracking_url"] == saved.tracking_url
    assert str(saved.total) == "5.00"
    congratulations = Touchpoint.objects.for_merchant(merchant_a).filter(
        order=saved, kind=Touchpoint.Kind.CONGRATULATION
    )
    assert congratulations.count() == 1


def test_batch_repost_of_known_orders_plans_no_second_congratulation(api_a, merchant_a):
    batch = [make_payload(f"r{n}") for n in range(4)]
    api_a.post("/api/v1/orders/batch/", {"orders": batch}, format="json")

    again = api_a.post("/api/v1/orders/batch/", {"orders": batch}, format="json").json()

    assert [r["status"] for r in again["results"]] == [200] * 4
    assert (
        Touchpoint.objects.for_merchant(merchant_a)
        .filter(kind=Touchpoint.Kind.CONGRATULATION)
        .count()
        == 4
    )


def colleague_orders(prefix: str, count: int) -> list[dict]:
    orders = []
    for n in range(count):
        payload = make_payload(f"{prefix}{n}")
        payload["customer"]["email"] = f"{prefix}{n}@studio-k.dk"
        orders.append(payload)
    return validated(orders)


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_concurrent_batches_share_calls_fairly_and_respect_the_ambassadors_cap(merchant_a):
    """Two batches of one shop at the same moment: each sees what the other committed."""
    staff(merchant_a, {"ambassador_monthly_cap": 3})
    # 8 calls for 3 account managers: 3, 3 and 2 if each batch counts the other's.
    errors = _ingest_together(merchant_a, [colleague_orders("a", 4), colleague_orders("b", 4)])

    assert not errors
    calls = FollowUpCall.objects.for_merchant(merchant_a)
    assert sorted(calls.filter(assignee__full_name=name).count() for name in TEAM) == [2, 3, 3]
    # Maria and Peter, three requests each at most this month, never a fourth.
    asked = Endorsement.objects.for_merchant(merchant_a)
    assert asked.count() == 6
    assert {e.ambassador.customer.first_name for e in asked} == {"Maria", "Peter"}
    assert asked.filter(ambassador__customer__first_name="Maria").count() == 3


@pytest.mark.services
def test_a_batch_bumps_tracking_page_versions_once_not_per_order(
    merchant_a, django_capture_on_commit_callbacks
):
    from unittest import mock

    from orders.services import orders_batch_upsert
    from tracking import cache

    known = validated([make_payload("known")])
    orders_batch_upsert(merchant=merchant_a, orders=known)
    order = Order.objects.for_merchant(merchant_a).get(external_id="known")
    key = cache.version_key(cache.ORDER, order.pk)
    before = cache.client().get(key)
    changed = validated([make_payload("known", total="1.00")])
    batch = changed + validated([make_payload(f"new{n}") for n in range(20)])

    with (
        mock.patch.object(cache, "_bump", wraps=cache._bump) as bumps,
        django_capture_on_commit_callbacks(execute=True),
    ):
        orders_batch_upsert(merchant=merchant_a, orders=batch)

    # One round trip at once and one after commit, each naming every changed order.
    assert bumps.call_count == 2
    assert key in bumps.call_args_list[0].args
    assert cache.client().get(key) != before


def _ingest_together(merchant, batches) -> list[Exception]:
    import threading

    from django.db import connection

    from orders.services import orders_batch_upsert

    start, errors = threading.Barrier(len(batches)), []

    def ingest(orders):
        try:
            start.wait()
            orders_batch_upsert(merchant=merchant, orders=orders)
        except Exception as exc:  # reported by the caller's assertion
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=ingest, args=(batch,)) for batch in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("known", [False, True], ids=["new orders", "known orders"])
def test_overlapping_batches_in_opposite_orders_both_succeed_with_one_row_each(merchant_a, known):
    """A shop's retry overlapping its first try, in another order (no deadlock, no duplicate)."""
    orders = colleague_orders("x", 300)
    if known:
        assert not _ingest_together(merchant_a, [orders])
        for data in orders:
            data["total"] += 1
    errors = _ingest_together(merchant_a, [orders, list(reversed(orders))])
    assert not errors, errors
    saved = Order.objects.for_merchant(merchant_a)
    assert saved.count() == 300
    assert Customer.objects.for_merchant(merchant_a).count() == 300
    congratulations = Touchpoint.objects.for_merchant(merchant_a).filter(kind="congratulation")
    assert congratulations.values("order").distinct().count() == congratulations.count() == 300
