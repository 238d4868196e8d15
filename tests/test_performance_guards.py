"""Guards for the hot paths: query counts that must not grow and indexes that must be used.

These are tests, not benchmarks: they fail CI when a change adds a query per item or
turns an indexed lookup into a scan of the whole table (`make bench` measures speed).
"""

import json
import re
import time
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, Resolver404, resolve

from followups.endorsements import ambassador_enroll
from followups.models import CallSettings, Endorsement, FollowUpCall
from notifications.dispatch import touchpoints_dispatch_due
from notifications.models import Touchpoint
from orders import services
from orders.models import Customer, Order
from orders.serializers import OrderInput
from tests.conftest import make_payload
from tests.followups_factories import account_manager


def validated(payloads: list[dict]) -> list[dict]:
    out = []
    for payload in payloads:
        data = OrderInput(data=payload)
        data.is_valid(raise_exception=True)
        out.append(data.validated_data)
    return out


def new_orders(prefix: str, count: int, domain: str = "example.com") -> list[dict]:
    payloads = []
    for n in range(count):
        payload = make_payload(f"{prefix}{n}")
        payload["customer"]["email"] = f"{prefix}{n}@{domain}"
        payload["items"] = payload["items"] * 3
        payloads.append(payload)
    return validated(payloads)


def queries_of(fn, *, ignore: tuple[str, ...] = ()) -> int:
    """Statements `fn` runs; a PREPARE is not one: it comes once per database session with
    the statement's first EXECUTE (postpurchase/prepared.py)."""
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(
        [
            q
            for q in ctx.captured_queries
            if not q["sql"].startswith("PREPARE ") and not any(t in q["sql"] for t in ignore)
        ]
    )


@pytest.fixture
def team_and_ambassador(merchant_a, anders):
    """Account managers to assign calls to and an ambassador every buyer matches."""
    account_manager(merchant_a, "birgit@nordic.example", "Birgit Lund")
    maria = Customer.objects.create(
        merchant=merchant_a, email="maria@studio-k.dk", first_name="Maria", consent_email=True
    )
    ambassador = ambassador_enroll(merchant=merchant_a, customer=maria, company="Studio K")
    CallSettings.objects.create(merchant=merchant_a, ambassador_monthly_cap=1000)
    return ambassador


def test_batch_ingest_queries_do_not_grow_with_the_number_of_orders(
    merchant_a, team_and_ambassador
):
    ten, fifty = new_orders("ten", 10, "studio-k.dk"), new_orders("fifty", 50, "studio-k.dk")

    for_ten = queries_of(lambda: services.orders_batch_upsert(merchant=merchant_a, orders=ten))
    for_fifty = queries_of(lambda: services.orders_batch_upsert(merchant=merchant_a, orders=fifty))

    # Calls are assigned and ambassadors asked for the whole batch at once, too.
    assert for_fifty == for_ten
    assert Order.objects.for_merchant(merchant_a).count() == 60
    assert (
        FollowUpCall.objects.for_merchant(merchant_a).filter(assignee__isnull=False).count() == 60
    )
    assert Endorsement.objects.for_merchant(merchant_a).count() == 60


def test_batch_ingest_queries_do_not_grow_when_call_rules_skip_orders(merchant_a, anders):
    CallSettings.objects.create(
        merchant=merchant_a, min_order_value=Decimal("5000"), first_time_customers_only=True
    )
    ten, fifty = new_orders("ten", 10), new_orders("fifty", 50)

    for_ten = queries_of(lambda: services.orders_batch_upsert(merchant=merchant_a, orders=ten))
    for_fifty = queries_of(lambda: services.orders_batch_upsert(merchant=merchant_a, orders=fifty))

    assert for_fifty == for_ten
    skipped = FollowUpCall.objects.for_merchant(merchant_a).filter(skip_reason="below_value")
    assert skipped.count() == 60


# Per new order through POST /api/v1/orders/: the order (locked), its buyer, whether the
# buyer's email is opted out and the call rules with whether the shop has a team and
# ambassadors looked up in one statement; the customer inserted, the order with its items;
# touchpoints with their history (one statement); the follow-up call (the team locked,
# their open calls, the call); the transaction (BEGIN and COMMIT, or a savepoint inside a test's
# transaction). The API key is remembered by the process (postpurchase/services.py) and
# nothing is read back for the 201.
SINGLE_ORDER_QUERIES = 9
# When the buyer's company has an ambassador: the ambassadors searched, their requests
# this month, the order's first item for the note, the endorsement, its request
# touchpoint and that one's history.
ENDORSEMENT_QUERIES = 6
# A shop without account managers or ambassadors neither locks a team nor searches.
PLAIN_SHOP_ORDER_QUERIES = 7


def test_a_new_order_of_a_shop_without_team_or_ambassadors_takes_fewer_queries(api_a, merchant_a):
    api_a.post("/api/v1/orders/", make_payload("warm-up"), format="json")  # key use recorded
    plain = make_payload("plain")
    plain["customer"]["email"] = "new-buyer@example.com"
    with CaptureQueriesContext(connection) as ctx:
        response = api_a.post("/api/v1/orders/", plain, format="json")
    assert response.status_code == 201
    call = FollowUpCall.objects.for_merchant(merchant_a).get(order_id=response.json()["id"])
    assert call.assignee_id is None
    sql = [q["sql"] for q in ctx.captured_queries]
    assert len(sql) <= PLAIN_SHOP_ORDER_QUERIES, "\n".join(s[:120] for s in sql)


@pytest.mark.parametrize("buyer_domain", ["studio-k.dk", "gmail.com"])
def test_a_new_order_through_the_api_takes_a_fixed_small_number_of_queries(
    api_a, merchant_a, team_and_ambassador, buyer_domain
):
    api_a.post("/api/v1/orders/", make_payload("warm-up"), format="json")  # key use recorded
    small, big = make_payload("small"), make_payload("big")
    small["customer"]["email"] = f"small@{buyer_domain}"
    big["customer"]["email"] = f"big@{buyer_domain}"
    big["items"] = [{**big["items"][0], "sku": f"SKU-{n}"} for n in range(25)]

    with CaptureQueriesContext(connection) as small_ctx:
        response = api_a.post("/api/v1/orders/", small, format="json")
    for_big = queries_of(lambda: api_a.post("/api/v1/orders/", big, format="json"))

    assert response.status_code == 201
    endorsed = Endorsement.objects.for_merchant(merchant_a).filter(order_id=response.json()["id"])
    expected = SINGLE_ORDER_QUERIES + (ENDORSEMENT_QUERIES if endorsed else 0)
    assert endorsed.exists() == (buyer_domain == "studio-k.dk")
    sql = [q["sql"] for q in small_ctx.captured_queries]
    assert len(sql) <= expected, "\n".join(s[:120] for s in sql)
    # One transaction (here a savepoint in the test's), none per call or endorsement.
    assert len([s for s in sql if s.startswith("SAVEPOINT")]) <= 1
    assert for_big == len(sql)


def test_batch_reposting_known_orders_takes_no_more_queries_per_order(merchant_a):
    ten, fifty = new_orders("ten", 10), new_orders("fifty", 50)
    services.orders_batch_upsert(merchant=merchant_a, orders=ten)
    services.orders_batch_upsert(merchant=merchant_a, orders=fifty)

    again_ten = queries_of(lambda: services.orders_batch_upsert(merchant=merchant_a, orders=ten))
    again_fifty = queries_of(
        lambda: services.orders_batch_upsert(merchant=merchant_a, orders=fifty)
    )

    # Replacing items deletes per table; Django's collector deletes in chunks of 100 rows.
    assert again_fifty <= again_ten + 1


def test_order_detail_queries_stay_constant_as_items_and_touchpoints_grow(api_a, order_payload):
    small = api_a.post("/api/v1/orders/", order_payload, format="json").json()
    big_payload = make_payload("big")
    big_payload["items"] = big_payload["items"] * 25
    big = api_a.post("/api/v1/orders/", big_payload, format="json").json()
    for n in range(3):
        api_a.post(
            f"/api/v1/orders/{big['id']}/shipments/",
            {"carrier": "gls", "tracking_number": f"T{n}"},
            format="json",
        )
    api_a.get(f"/api/v1/orders/{small['id']}/")  # the key's last-used time is now fresh

    for_small = queries_of(lambda: api_a.get(f"/api/v1/orders/{small['id']}/"))
    for_big = queries_of(lambda: api_a.get(f"/api/v1/orders/{big['id']}/"))

    assert for_big == for_small


# --- sending: what a batch shares is read once; each touchpoint adds its own writes only ---

# Claim (1), the rows with customers, items, shipments (3), the batch's merchants with
# branding and preferences (1; joined to every row until #16's third round), opt-outs
# (1), the merchant's templates (1), benefits, testimonials and product categories (3),
# webhook endpoints (1), then the first touchpoint's attempt start (1: count + row in one
# statement) and per touchpoint the outcome (1: the attempt, status and history in one
# statement; was 2 until #16), which also starts the next touchpoint's attempt (#16,
# second round: each start was a statement and commit of its own). Before the batch
# sender, one send was 19 statements in 5 commits; before one-statement writes, 5 per send.
ONE_SEND_QUERIES = 13
WRITES_PER_SEND = 1
# PREPARE: once per database connection (postpurchase/prepared.py), not per send.
TRANSACTION_CONTROL = ("SAVEPOINT", "RELEASE SAVEPOINT", "BEGIN", "COMMIT", "PREPARE")


def congratulations_of(merchant, orders: list[dict]) -> list[int]:
    created = services.orders_batch_upsert(merchant=merchant, orders=orders)
    return list(
        Touchpoint.objects.for_merchant(merchant)
        .filter(order__in=[r.order for r in created], kind="congratulation")
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def send_queries(ids: list[int]) -> int:
    from notifications.sending import touchpoints_send

    with CaptureQueriesContext(connection) as ctx:
        results = touchpoints_send(touchpoint_ids=ids)
    assert set(results.values()) == {"sent"}
    return len([q for q in ctx.captured_queries if not q["sql"].startswith(TRANSACTION_CONTROL)])


def test_one_send_takes_a_constant_and_small_number_of_queries(merchant_a):
    small = validated([make_payload("s1")])
    big_payload = make_payload("b1")
    big_payload["customer"]["email"] = "big@example.com"
    big_payload["items"] = big_payload["items"] * 25
    big = validated([big_payload])
    warm = congratulations_of(merchant_a, new_orders("warm", 1))
    send_queries(warm)  # first use of the URL resolver and templates

    for_small = send_queries(congratulations_of(merchant_a, small))
    for_big = send_queries(congratulations_of(merchant_a, big))

    assert for_big == for_small
    assert for_small <= ONE_SEND_QUERIES


def test_a_batch_reads_once_and_adds_only_each_touchpoints_writes(merchant_a):
    one = congratulations_of(merchant_a, new_orders("one", 1))
    ten = congratulations_of(merchant_a, new_orders("ten", 10))

    for_one = send_queries(one)
    for_ten = send_queries(ten)

    assert for_ten == for_one + 9 * WRITES_PER_SEND


def test_a_batch_reads_its_merchant_once_for_all_its_rows(merchant_a):
    """#16, third round: the merchant, its branding and preferences are one object per
    batch, not joined to and built for every row (2% of a send's instructions)."""
    from notifications.sending import _load_claimed

    ids = congratulations_of(merchant_a, new_orders("one-merchant", 3))
    with CaptureQueriesContext(connection) as ctx:
        touchpoints = _load_claimed(ids)
        merchants = {id(tp.merchant) for tp in touchpoints} | {
            id(tp.order.merchant) for tp in touchpoints
        }
        branding = [getattr(tp.merchant, "branding", None) for tp in touchpoints]
        getattr(touchpoints[0].merchant, "messaging_preferences", None)

    assert len(touchpoints) == 3 and len(merchants) == 1
    assert len({id(b) for b in branding}) == 1
    assert len(ctx.captured_queries) == 4  # rows, items, shipments, merchants
    assert "postpurchase_merchant" not in ctx.captured_queries[0]["sql"]


def test_send_tasks_carry_fifty_touchpoints_by_default():
    """What a batch reads is shared by 50 sends, not 20 (#16, second round: 0.3 fewer
    statements and 6% fewer worker instructions per send)."""
    from notifications.queue import batches

    assert [len(batch) for batch in batches(list(range(120)))] == [50, 50, 20]


def test_a_batch_of_orders_of_different_products_reads_their_content_once(merchant_a):
    """Benefits and testimonials are chosen per order by its products' categories: the
    categories of all the batch's products come in one query, not one per order."""
    from orders.models import Benefit, Product

    for n in range(11):
        Product.objects.create(merchant=merchant_a, sku=f"P-{n}", name=f"P {n}", category=f"c{n}")
        Benefit.objects.create(merchant=merchant_a, category=f"c{n}", locale="da", text=f"b{n}")

    def orders_of(prefix: str, count: int) -> list[dict]:
        payloads = new_orders(prefix, count)
        for n, payload in enumerate(payloads):
            for item in payload["items"]:
                item["sku"] = f"P-{n}"
        return payloads

    one = congratulations_of(merchant_a, orders_of("diff-one", 1))
    ten = congratulations_of(merchant_a, orders_of("diff-ten", 10))

    for_one = send_queries(one)
    for_ten = send_queries(ten)

    assert for_ten == for_one + 9 * WRITES_PER_SEND


def test_building_a_batch_of_emails_compiles_nothing_and_makes_the_shops_parts_once(
    merchant_a, monkeypatch
):
    """The congratulation's build (#16): the layout is compiled once per process and its
    plain variables never take Django's node path; the shop's look, its {% shared %}
    blocks, the unsubscribe URL around the token and each price are made once per batch
    (or process), not per email. Golden emails (tests/test_email_golden.py) prove the
    output unchanged; this proves the fast paths are still taken."""
    from django.template.base import VariableNode
    from django.utils import translation

    from notifications import messages, rendering, tokens
    from notifications.batch import batch_reads
    from notifications.sending import _load_claimed
    from notifications.templatetags.email_blocks import SharedNode

    ids = congratulations_of(merchant_a, new_orders("build", 6))

    def build(batch_ids):
        touchpoints = _load_claimed(batch_ids)
        with batch_reads(touchpoints):
            for touchpoint in touchpoints:
                with translation.override(touchpoint.order.locale):
                    messages.build_email(touchpoint)

    build(ids[:1])  # first use: templates loaded and compiled
    compiled = rendering.compilations
    calls = {"variable": 0, "brand": 0, "shared": 0, "reverse": 0, "money": 0}

    def counting(name, real):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return real(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(VariableNode, "render", counting("variable", VariableNode.render))
    monkeypatch.setattr(
        messages, "_branding_context", counting("brand", messages._branding_context)
    )
    monkeypatch.setattr(tokens, "reverse", counting("reverse", tokens.reverse))
    monkeypatch.setattr(messages, "format_money", counting("money", messages.format_money))
    messages._money.cache_clear()
    layout = messages._template("notifications/email/message.html").template
    for node in layout.nodelist.get_nodes_by_type(SharedNode):
        monkeypatch.setattr(node, "body", counting("shared", node.body))

    build(ids[1:])  # five emails of one shop, same products and prices, in one batch

    assert rendering.compilations == compiled
    assert calls["variable"] == 0  # every variable of a congratulation is a plain lookup
    assert calls["brand"] == 1
    assert calls["shared"] == 4  # header, benefits, testimonials, footer: once each
    assert calls["reverse"] == 1
    assert calls["money"] == 1  # every price of these orders is 1,299.00: formatted once


# --- indexes (PostgreSQL's planner; sequential scans are switched off to ask
# "can an index answer this?" independent of how few rows a test table has) ---


def plan_of(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("SET LOCAL enable_seqscan = on")
    return plan


def plan_nodes(sql: str):
    """Every node of the plan PostgreSQL makes for `sql` with sequential scans switched
    off: a Seq Scan that remains means no index could serve the read."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        # An EXECUTE (a prepared statement) planned now, not its cached generic plan.
        cursor.execute("SET LOCAL plan_cache_mode = force_custom_plan")
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
        plan = cursor.fetchone()[0][0]["Plan"]
        cursor.execute("SET LOCAL enable_seqscan = on")
        cursor.execute("SET LOCAL plan_cache_mode = auto")
    stack = [plan]
    while stack:
        node = stack.pop()
        stack.extend(node.get("Plans", []))
        yield node


def full_scans(sql: str) -> list[str]:
    """Scans that read a whole table: Seq Scans, and index scans without a condition
    (what the planner falls back to when no index fits and seq scans are off), unless
    the index is partial: it holds only the rows of its predicate (e.g. the claims in
    flight, touchpoint_sending_idx)."""
    found = []
    for node in plan_nodes(sql):
        kind = node.get("Node Type", "")
        if kind == "Seq Scan" or (
            kind in ("Index Scan", "Index Only Scan")
            and "Index Cond" not in node
            and not is_partial_index(node.get("Index Name"))
        ):
            found.append(f"{kind} on {node.get('Relation Name')}")
    return found


def is_partial_index(name: str | None) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indpred IS NOT NULL FROM pg_index WHERE indexrelid = to_regclass(%s)", [name]
        )
        row = cursor.fetchone()
    return bool(row and row[0])


def selects_of(fn) -> list[str]:
    """The reads `fn` sends: SELECTs, and EXECUTEs of a prepared SELECT (EXPLAIN EXECUTE
    shows the prepared statement's plan)."""
    with CaptureQueriesContext(connection) as ctx:
        fn()
    texts = prepared_texts() if connection.vendor == "postgresql" else {}
    found = []
    for query in ctx.captured_queries:
        sql = query["sql"]
        if sql.startswith("EXECUTE "):
            text = texts[sql.split()[1]].split(" AS ", 1)[1]
            if text.startswith("SELECT"):
                found.append(sql)
        elif sql.lstrip().upper().startswith("SELECT"):
            found.append(sql)
    return found


needs_postgres = pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="EXPLAIN plans are PostgreSQL's"
)


def prepared_texts() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, statement FROM pg_prepared_statements")
        return dict(cursor.fetchall())


def executed_statements(ctx) -> list[tuple[str, str]]:
    """(the statement's text, the SQL sent) for each prepared statement executed."""
    texts = prepared_texts()
    found = []
    for query in ctx.captured_queries:
        if query["sql"].startswith("EXECUTE "):
            name = query["sql"].split()[1]
            found.append((texts[name].split(" AS ", 1)[1], query["sql"]))
    return found


@pytest.mark.services
@needs_postgres
def test_a_sends_outcome_is_one_prepared_statement_by_primary_keys(merchant_a):
    """The attempt's outcome, the move to sent with its history row (or, after a delivery
    webhook, only what was sent) go to PostgreSQL as one statement per send (#16), with
    the next send's attempt start (#16, second round), prepared once per connection
    (#16, second round: PostgreSQL no longer parses and plans it per send), and none of
    its parts scans a table."""
    from notifications.sending import touchpoints_send

    for run in ("first", "again"):
        ids = congratulations_of(merchant_a, new_orders(f"outcome-{run}", 3))
        with CaptureQueriesContext(connection) as ctx:
            assert set(touchpoints_send(touchpoint_ids=ids).values()) == {"sent"}
        executed = executed_statements(ctx)
        outcomes = [(text, sql) for text, sql in executed if text.startswith("WITH attempt AS")]
        starts = [(text, sql) for text, sql in executed if text.startswith("WITH ours AS")]

        assert len(outcomes) == len(ids)
        # Each outcome but the last starts the next send's attempt; the first starts alone.
        assert ["started AS" in text for text, _ in outcomes] == [True, True, False]
        assert len(starts) == 1
        if run == "again":  # the connection's statements are prepared already
            assert not [q for q in ctx.captured_queries if q["sql"].startswith("PREPARE")]
    assert full_scans(outcomes[0][1]) == []
    assert full_scans(starts[0][1]) == []


def touchpoint_updates() -> tuple[int, int]:
    """(updates, HOT updates) of touchpoint rows in this transaction so far."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables WHERE relid = %s::regclass",
            [Touchpoint._meta.db_table],
        )
        return cursor.fetchone()


@pytest.mark.services
@needs_postgres
def test_a_sends_start_is_a_hot_update_and_its_writes_touch_few_indexes(merchant_a):
    """A send updates its touchpoint three times and a non-HOT update writes every index
    whose predicate the row meets (#16, third round): no index on a column an attempt's
    start changes (so it is a HOT update, no index written), none that no query needs
    (merchant_id or order_id alone, LIKE-prefix twins), the metrics' sent_at index only
    on sent rows, room on each page for HOT updates."""
    ids = congratulations_of(merchant_a, new_orders("hot", 3))
    before = touchpoint_updates()
    from notifications.sending import touchpoints_send

    assert set(touchpoints_send(touchpoint_ids=ids).values()) == {"sent"}
    updates, hot = (after - was for after, was in zip(touchpoint_updates(), before, strict=True))

    assert updates == 3 * len(ids)  # claim, start, outcome
    assert hot >= len(ids)  # every start
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s",
            [Touchpoint._meta.db_table],
        )
        indexes = dict(cursor.fetchall())
        cursor.execute(
            "SELECT reloptions FROM pg_class WHERE relname = %s", [Touchpoint._meta.db_table]
        )
        assert "fillfactor=85" in cursor.fetchone()[0]
    always_written = {name for name, sql in indexes.items() if " WHERE " not in sql}
    assert always_written == {
        "notifications_touchpoint_pkey",
        "notifications_touchpoint_callback_code_key",
        "notifications_touchpoint_provider_message_id_53824498",
        "touchpoint_kind_due_idx",
        "uniq_touchpoint_per_cause",
    }
    assert "WHERE (sent_at IS NOT NULL)" in indexes["touchpoint_sent_idx"]
    for column in ("claimed_at", "attempts", "updated_at"):
        assert not [name for name, sql in indexes.items() if column in sql], column


@pytest.mark.services
@needs_postgres
def test_the_stuck_claim_recovery_reads_only_the_claims_in_flight(merchant_a):
    ids = congratulations_of(merchant_a, new_orders("stuck", 2))
    Touchpoint.objects.for_merchant(merchant_a).filter(pk__in=ids).update(
        status=Touchpoint.Status.SENDING, claimed_at="2020-01-01T00:00:00Z"
    )
    from notifications.dispatch import touchpoints_recover_stuck

    selects = selects_of(lambda: touchpoints_recover_stuck())
    stuck = next(sql for sql in selects if "notifications_touchpoint" in sql)

    assert "touchpoint_sending_idx" in plan_of(stuck)


@pytest.mark.services
@needs_postgres
def test_a_sends_writes_go_as_text_when_prepared_statements_are_off(merchant_a, settings):
    """DATABASE_PREPARED_STATEMENTS=0 (a pooler in transaction mode): the same statements,
    sent as text."""
    from notifications.sending import touchpoints_send

    settings.DATABASE_PREPARED_STATEMENTS = False
    ids = congratulations_of(merchant_a, new_orders("as-text", 2))
    with CaptureQueriesContext(connection) as ctx:
        assert set(touchpoints_send(touchpoint_ids=ids).values()) == {"sent"}
    sent = [q["sql"] for q in ctx.captured_queries]

    assert not [sql for sql in sent if sql.startswith(("PREPARE", "EXECUTE"))]
    assert len([sql for sql in sent if sql.startswith("WITH attempt AS")]) == 2


# What a new order's statements begin with, prepared (#16, third round).
NEW_ORDER_PREPARED = [
    "SELECT found_order.*",
    'INSERT INTO "orders_customer"',
    'WITH parent AS (INSERT INTO "orders_order"',
    'WITH new AS (INSERT INTO "notifications_touchpoint"',
    'INSERT INTO "followups_followupcall"',
]


def post_new_order(api, name: str) -> list[str]:
    payload = make_payload(name)
    payload["customer"]["email"] = f"{name}@example.com"
    with CaptureQueriesContext(connection) as ctx:
        assert api.post("/api/v1/orders/", payload, format="json").status_code == 201
    return ctx


@pytest.mark.services
@needs_postgres
def test_a_new_orders_statements_are_prepared_once_per_connection(api_a, merchant_a):
    """The lookup, the customer, the order with its items, the touchpoints with their
    history and the call are EXECUTEs of statements prepared once per connection (#16,
    third round: PostgreSQL's parsing and planning them was ~40% of its CPU per order),
    and the lookup's reads are indexed as prepared."""
    post_new_order(api_a, "prepared-warm-up")
    ctx = post_new_order(api_a, "prepared")
    sent = [q["sql"] for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]]
    executed = executed_statements(ctx)

    assert not [sql for sql in sent if sql.startswith("PREPARE")]
    assert len(sent) == len(executed) == len(NEW_ORDER_PREPARED), sent
    for (text, _), start in zip(executed, NEW_ORDER_PREPARED, strict=True):
        assert text.startswith(start), text[:80]
    assert full_scans(executed[0][1]) == []


@pytest.mark.services
@needs_postgres
def test_a_new_orders_statements_go_as_text_when_prepared_statements_are_off(api_a, settings):
    settings.DATABASE_PREPARED_STATEMENTS = False
    post_new_order(api_a, "as-text-warm-up")
    ctx = post_new_order(api_a, "as-text")
    sent = [q["sql"] for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]]

    assert not [sql for sql in sent if sql.startswith(("PREPARE", "EXECUTE"))]
    assert len(sent) == len(NEW_ORDER_PREPARED), sent
    for sql, start in zip(sent, NEW_ORDER_PREPARED, strict=True):
        assert sql.startswith(start), sql[:80]


@pytest.mark.services
@needs_postgres
def test_a_batchs_large_inserts_go_as_text(merchant_a):
    """Prepared, each row count of a batch's INSERTs would be a statement of its own in
    the session (postpurchase/prepared.py, PREPARED_MAX_PARAMS)."""
    orders = new_orders("large", 40)
    with CaptureQueriesContext(connection) as ctx:
        services.orders_batch_upsert(merchant=merchant_a, orders=orders)
    inserts = [
        q["sql"] for q in ctx.captured_queries if 'INSERT INTO "orders_lineitem"' in q["sql"]
    ]

    assert inserts
    assert not [sql for sql in ctx.captured_queries if sql["sql"].startswith("PREPARE")]


@pytest.mark.services
@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_a_statement_is_prepared_again_in_a_new_database_session():
    from postpurchase.prepared import execute_prepared

    def add(a: int, b: int) -> tuple[int, list[str]]:
        with CaptureQueriesContext(connection) as ctx, connection.cursor() as cursor:
            execute_prepared(cursor, "SELECT %s::int + %s::int", [a, b])
            total = cursor.fetchone()[0]
        return total, [q["sql"].split()[0] for q in ctx.captured_queries]

    add(1, 1)
    assert add(1, 2) == (3, ["EXECUTE"])
    connection.close()  # as after a broken connection or CONN_MAX_AGE: a new session
    assert add(2, 2) == (4, ["PREPARE", "EXECUTE"])
    assert add(2, 3) == (5, ["EXECUTE"])


@pytest.mark.services
@needs_postgres
def test_dispatcher_due_query_uses_the_partial_due_index(merchant_a, api_a, order_payload):
    api_a.post("/api/v1/orders/", order_payload, format="json")
    Touchpoint.objects.for_merchant(merchant_a).update(status=Touchpoint.Status.SENT)

    selects = selects_of(lambda: touchpoints_dispatch_due())

    due = [sql for sql in selects if "notifications_touchpoint" in sql]
    assert due, "the dispatcher no longer reads touchpoints?"
    for sql in due:
        assert full_scans(sql) == [], sql
    assert any("touchpoint_due_idx" in plan_of(sql) for sql in due)


@pytest.mark.services
@needs_postgres
def test_order_lookup_by_external_id_uses_the_unique_index(merchant_a):
    services.orders_batch_upsert(merchant=merchant_a, orders=new_orders("e", 200))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE orders_order")
    sql, params = (
        Order.objects.for_merchant(merchant_a).filter(external_id="e42").query.sql_with_params()
    )
    with connection.cursor() as cursor:
        literal = cursor.mogrify(sql, params).decode()

    plan = plan_of(literal)

    assert "uniq_order_external_id_per_merchant" in plan, plan


@pytest.mark.django_db
@needs_postgres
@pytest.mark.parametrize(
    "table", ["orders_order", "orders_customer", "orders_lineitem", "followups_followupcall"]
)
def test_no_index_a_new_order_maintains_is_served_by_another(table):
    """Every new order writes these rows: an index whose columns lead another index (as
    merchant_id alone led (merchant_id, placed_at)) only cost each insert, and so does
    one for LIKE on a column only looked up whole (#16, third round)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, i.indisunique, i.indpred IS NOT NULL, "
            "i.indkey::int2[], pg_get_indexdef(i.indexrelid) "
            "FROM pg_index i WHERE i.indrelid = %s::regclass",
            [table],
        )
        indexes = cursor.fetchall()
    # A partial index serves only its rows: it takes no other's place.
    plain = [(name, list(keys)) for name, _, partial, keys, _ in indexes if not partial]
    for name, unique, partial, keys, _ in indexes:
        served_by = [
            other
            for other, other_keys in plain
            if other != name and other_keys[: len(keys)] == list(keys)
        ]
        if not unique and not partial:
            assert served_by == [], f"{name} leads {served_by}"
    assert not [sql for *_, sql in indexes if "pattern_ops" in sql]


@pytest.mark.services
@needs_postgres
def test_every_read_of_an_order_upsert_is_indexed(api_a, merchant_a, order_payload):
    api_a.post("/api/v1/orders/", order_payload, format="json")
    data = validated([order_payload])[0]

    selects = selects_of(lambda: services.order_upsert(merchant=merchant_a, data=data))

    assert selects
    for sql in selects:
        assert full_scans(sql) == [], sql


# --- the tracking page (helper #5's page; this guards its cost) ---


def tracking_page_available(token: str) -> bool:
    try:
        resolve(f"/t/{token}/")
    except (Resolver404, NoReverseMatch):
        return False
    return True


def order_with_shipment(api, external_id: str, *, items: int, events: list[str]) -> str:
    payload = make_payload(external_id)
    payload["items"] = [
        {**payload["items"][0], "sku": f"SKU-{n}", "name": f"Item {n}"} for n in range(items)
    ]
    order = api.post("/api/v1/orders/", payload, format="json").json()
    shipment = api.post(
        f"/api/v1/orders/{order['id']}/shipments/",
        {"carrier": "gls", "tracking_number": f"T{external_id}"},
        format="json",
    ).json()
    for n, status in enumerate(events):
        api.post(
            f"/api/v1/shipments/{shipment['id']}/events/",
            {"status": status, "occurred_at": f"2026-11-2{n + 1}T10:00:00Z"},
            format="json",
        )
    return "/t/" + order["tracking_url"].rstrip("/").rsplit("/", 1)[1] + "/"


@pytest.mark.services
def test_tracking_page_queries_are_constant_and_a_cache_hit_runs_no_sql(api_a, client):
    small = order_with_shipment(api_a, "t1", items=1, events=["label_created"])
    big = order_with_shipment(
        api_a, "t2", items=20, events=["label_created", "in_transit", "out_for_delivery"]
    )
    if not tracking_page_available("x") or client.get(small).status_code == 404:
        pytest.skip("the tracking page is not on main yet")
    from django.core.cache import cache

    cache.clear()
    buyer = {"HTTP_USER_AGENT": "Mozilla/5.0 (iPhone)"}

    first_small = queries_of(lambda: client.get(small, **buyer))
    first_big = queries_of(lambda: client.get(big, **buyer))
    hit = queries_of(lambda: client.get(big, **buyer))

    assert first_big == first_small
    # A cache hit is served from Redis and the buyer's visit is buffered there (#10).
    assert hit == 0


@pytest.mark.services
def test_a_tracking_page_cache_hit_is_one_redis_round_trip(api_a, client, monkeypatch):
    import redis.connection

    page = order_with_shipment(api_a, "t3", items=2, events=["label_created"])
    buyer = {"HTTP_USER_AGENT": "Mozilla/5.0 (iPhone)"}
    assert client.get(page, **buyer).status_code == 200
    sent = []
    send = redis.connection.AbstractConnection.send_packed_command

    def counting(self, command, *args, **kwargs):
        sent.append(command)
        return send(self, command, *args, **kwargs)

    monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", counting)
    client.cookies.clear()  # a new visitor: the CSRF cookie is made too
    assert client.get(page, **buyer).status_code == 200
    # Token-probe block, versions, day, page and the buffered visit: one script call.
    assert len(sent) == 1


# --- the metrics page: every read bounded by the period or by a short list ---

# Tables that grow with every order. Reading all of a merchant's rows in one of them is
# what made the metrics page slow down with the merchant's years of history.
GROWING_TABLES = {
    "orders_customer",
    "orders_order",
    "orders_lineitem",
    "orders_shipment",
    "orders_shipmentevent",
    "notifications_touchpoint",
    "tracking_trackingvisit",
    "tracking_rating",
    "tracking_crosssellimpression",
    "tracking_crosssellclick",
    "followups_followupcall",
}
MERCHANT_ONLY = re.compile(r"^\(merchant_id = \d+\)$")


def merchant_wide_reads(sql: str) -> list[str]:
    """Scans of a growing table that read all its rows, or all of one merchant's.

    An index condition on merchant_id alone is a merchant-wide read, unless the index is
    partial (it then holds only the few rows that matter: failed messages, problem
    shipments…). Sequential scans are switched off, as in `full_scans`.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, i.indrelid::regclass::text, "
            "i.indpred IS NOT NULL FROM pg_index i"
        )
        indexes = {name: (table, partial) for name, table, partial in cursor.fetchall()}
    found = []
    for node in plan_nodes(sql):
        kind = node.get("Node Type", "")
        if kind == "Seq Scan":
            table, partial, index = node.get("Relation Name"), False, ""
        elif kind in ("Index Scan", "Index Only Scan", "Bitmap Index Scan"):
            index = node["Index Name"]
            table, partial = indexes.get(index, ("?", False))
        else:
            continue
        if table not in GROWING_TABLES:
            continue
        condition = node.get("Index Cond", "")
        if kind == "Seq Scan" or not condition or (MERCHANT_ONLY.match(condition) and not partial):
            found.append(f"{kind} on {table} {index} {condition}".strip())
    return found


def add_buyer_activity(*, where: str) -> None:
    """Two visits, a rating, a done follow-up call and cross-sell rows per order `where`."""
    from bench.datagen import insert_from
    from followups.models import FollowUpCall
    from tracking.models import CrossSellClick, CrossSellImpression, Rating, TrackingVisit

    orders = f"FROM orders_order o WHERE {where}"
    day_after = "o.placed_at + interval '1 day'"
    for _ in range(2):
        insert_from(
            TrackingVisit,
            orders,
            {
                "merchant_id": "o.merchant_id",
                "order_id": "o.id",
                "visited_at": day_after,
                "client_hash": "'x'",
                "source": "'direct'",
            },
        )
    insert_from(
        Rating,
        orders,
        {
            "merchant_id": "o.merchant_id",
            "order_id": "o.id",
            "score": "4",
            "created_at": day_after,
            "updated_at": day_after,
        },
    )
    insert_from(
        FollowUpCall,
        "FROM orders_order o JOIN notifications_touchpoint t "
        f"ON t.order_id = o.id AND t.kind = 'followup_call' WHERE {where}",
        {
            "merchant_id": "o.merchant_id",
            "order_id": "o.id",
            "touchpoint_id": "t.id",
            "status": "'completed'",
            "outcome": "'reached_happy'",
            "due_at": day_after,
            "created_at": "o.placed_at",
            "updated_at": day_after,
        },
    )
    for model, at in ((CrossSellImpression, "shown_at"), (CrossSellClick, "clicked_at")):
        insert_from(
            model,
            "FROM orders_order o JOIN orders_product p ON p.merchant_id = o.merchant_id "
            f"WHERE {where}",
            {
                "merchant_id": "o.merchant_id",
                "order_id": "o.id",
                "product_id": "p.id",
                "slot": "1",
                at: day_after,
            },
        )


@pytest.mark.services
@needs_postgres
def test_every_read_of_the_metrics_page_is_bounded_not_merchant_wide(merchant_a, alice):
    from django.test import Client
    from django.urls import reverse

    from bench.datagen import generate_orders
    from orders.risk import orders_at_risk
    from tests.test_dashboard_metrics import make_history

    make_history(merchant_a, seed=7, staff=[alice, None])  # every kind of row the page reads
    # Years of history around it, so the planner sees what a grown merchant looks like
    # (with a few hundred orders, reading them all is the cheapest plan, and right).
    generate_orders(
        merchant_ids=[merchant_a.pk],
        count=12_000,
        days_ago_min=400,
        days_ago_max=1500,
        label="hist",
    )
    add_buyer_activity(where="o.external_id LIKE 'hist-%%'")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    client = Client()
    client.force_login(alice)

    selects = selects_of(lambda: client.get(reverse("dashboard:metrics")))
    selects += selects_of(
        lambda: list(
            orders_at_risk(merchant=merchant_a)
            .select_related("customer")
            .order_by("-placed_at")[:8]
        )
    )

    assert len(selects) > 20
    for sql in selects:
        assert merchant_wide_reads(sql) == [], sql


@pytest.mark.django_db
def test_postgresql_jit_is_off_for_the_apps_connections():
    """JIT compiled the metrics page's queries once the tables' size pushed their cost
    estimates past jit_above_cost: 10 of 18 ms at 1M orders, for nothing (#10)."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL setting")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


# --- the broker: queueing a task (every ingested order does, after commit) ---


@pytest.mark.services
@pytest.mark.skipif("not settings.REDIS_URL", reason="the Redis broker's own transport")
def test_queueing_a_task_builds_no_new_redis_client(monkeypatch):
    import redis

    from postpurchase.celery import app

    queue = "perf-guard-publish"
    app.send_task("perf_guard.never_run", queue=queue)  # the channel, its pool and client
    built = []
    init = redis.Redis.__init__

    def counting(self, *args, **kwargs):
        built.append(1)
        init(self, *args, **kwargs)

    monkeypatch.setattr(redis.Redis, "__init__", counting)
    try:
        for _ in range(3):
            app.send_task("perf_guard.never_run", queue=queue)
    finally:
        monkeypatch.undo()
        redis.Redis.from_url(settings.REDIS_URL).delete(queue)
    # kombu's own Redis channel made a client (~170 response callbacks) per message.
    assert built == []


@pytest.mark.services
def test_new_orders_publish_nothing_the_due_soon_tick_queues_their_congratulations(
    api_a, merchant_a, monkeypatch, django_capture_on_commit_callbacks
):
    import redis.connection

    from notifications.tasks import send_touchpoints

    api_a.post("/api/v1/orders/", make_payload("warm-up"), format="json")  # key remembered
    queued, sent = [], []
    monkeypatch.setattr(send_touchpoints, "delay", queued.append)
    send = redis.connection.AbstractConnection.send_packed_command

    def counting(self, command, *args, **kwargs):
        sent.append(command)
        return send(self, command, *args, **kwargs)

    monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", counting)
    with django_capture_on_commit_callbacks(execute=True) as after_commit:
        single = api_a.post("/api/v1/orders/", make_payload("single"), format="json")
    assert single.status_code == 201
    # A Celery message per order after commit (and the note of its queued id in Redis)
    # was a sixth of an order's CPU (#16): nothing runs after commit, one round trip
    # (the rate limit's counter) is all of Redis.
    assert after_commit == []
    assert len(sent) == 1
    batch = {"orders": [make_payload(f"batch-{n}") for n in range(3)]}
    with django_capture_on_commit_callbacks(execute=True):
        assert api_a.post("/api/v1/orders/batch/", batch, format="json").status_code == 200
    assert queued == []

    # Beat's due-soon tick (TOUCHPOINT_TICK_SECONDS) queues them, in one batch.
    congratulations = set(
        Touchpoint.objects.for_merchant(merchant_a)
        .filter(kind="congratulation", status="scheduled")
        .values_list("pk", flat=True)
    )
    assert len(congratulations) == 5
    with django_capture_on_commit_callbacks(execute=True):
        assert set(touchpoints_dispatch_due(recover=False)) == congratulations
    assert [set(ids) for ids in queued] == [congratulations]


@pytest.mark.services
def test_the_api_rate_limit_is_one_round_trip_packed_without_redis_pys_pipeline(api_a, monkeypatch):
    import redis.client

    from postpurchase import ratelimit

    api_a.post("/api/v1/orders/", make_payload("warm-up"), format="json")
    pipelines = []
    monkeypatch.setattr(redis.client.Pipeline, "execute", lambda *a, **k: pipelines.append(a))
    counts = []
    count = ratelimit._set_and_incr
    monkeypatch.setattr(
        ratelimit, "_set_and_incr", lambda *a: counts.append(count(*a)) or counts[-1]
    )
    for _ in range(2):
        assert api_a.get("/api/v1/orders/").status_code == 200
    # redis-py's pipeline cost several times the round trip's CPU on every call (#16).
    assert pipelines == []
    assert counts[1] == counts[0] + 1


# --- the middleware of an API call ---


def test_an_api_call_skips_the_browsers_middleware_and_keeps_its_headers(
    api_a, alice, client, monkeypatch
):
    from django.contrib.auth.middleware import AuthenticationMiddleware
    from django.contrib.messages.middleware import MessageMiddleware
    from django.contrib.sessions.middleware import SessionMiddleware

    from postpurchase import dashboard_auth

    ran = []
    for cls in (SessionMiddleware, AuthenticationMiddleware, MessageMiddleware):
        step = cls.process_request
        monkeypatch.setattr(
            cls,
            "process_request",
            lambda self, r, step=step: ran.append(type(self)) or step(self, r),
        )
    membership = dashboard_auth.active_membership
    monkeypatch.setattr(
        dashboard_auth, "active_membership", lambda r: ran.append("merchant") or membership(r)
    )
    client.force_login(alice)  # a dashboard session cookie rides along: still unused
    api_a.cookies = client.cookies
    response = api_a.post("/api/v1/orders/", make_payload("lean"), format="json")
    assert response.status_code == 201
    # Sessions, auth, the dashboard's merchant and messages were ~2.5% of an order (#16).
    assert ran == []
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] and response["Content-Length"]
    assert response["Content-Language"] == "en" and response["Vary"] == "Accept-Language"
    # A page still runs them all.
    assert client.get("/dashboard/").status_code == 200
    assert len(ran) == 4


# --- validation of a single order ---


def test_an_orders_text_is_checked_for_nul_and_surrogates_once_by_the_parser(api_a, monkeypatch):
    from django.core.validators import ProhibitNullCharactersValidator
    from rest_framework.validators import ProhibitSurrogateCharactersValidator

    walked = []
    for check in (ProhibitNullCharactersValidator, ProhibitSurrogateCharactersValidator):
        monkeypatch.setattr(check, "__call__", lambda self, value: walked.append(value))
    assert api_a.post("/api/v1/orders/", make_payload("text"), format="json").status_code == 201
    # DRF's per-field checks walked every character of every text field a second time.
    assert walked == []
    for bad in ("An\x00na", "An\ud800na"):
        body = make_payload("bad")
        body["customer"]["first_name"] = bad
        # json.dumps escapes a lone surrogate (\\ud800), as a client's encoder would.
        response = api_a.post("/api/v1/orders/", json.dumps(body), content_type="application/json")
        assert response.status_code == 400, bad


# --- the tenancy scope ---


def test_writing_through_a_merchants_scope_builds_no_filter(merchant_a, merchant_b, monkeypatch):
    from django.db.models.sql.query import Query

    from orders.models import Customer

    Customer.objects.create(merchant=merchant_b, email="b@example.com")
    built = []
    add_q = Query.add_q
    monkeypatch.setattr(Query, "add_q", lambda self, q: built.append(q) or add_q(self, q))
    Customer.objects.for_merchant(merchant_a).bulk_create(
        [Customer(merchant=merchant_a, email="a@example.com")]
    )
    # Planning an order writes touchpoints and calls this way: the scope's filter was
    # compiled for each and never run.
    assert built == []
    # Read, the scope still holds only the merchant's rows.
    emails = Customer.objects.for_merchant(merchant_a).values_list("email", flat=True)
    assert list(emails) == ["a@example.com"]
    assert len(built) == 1


# --- INSERTs compiled once (postpurchase/inserts.py) ---


def test_no_insert_of_a_new_order_is_compiled_per_order(api_a, merchant_a, monkeypatch):
    from django.db.models.sql.compiler import SQLInsertCompiler

    api_a.post("/api/v1/orders/", make_payload("warm-up"), format="json")
    compiled = []
    as_sql = SQLInsertCompiler.as_sql
    monkeypatch.setattr(
        SQLInsertCompiler,
        "as_sql",
        lambda self, *a, **k: compiled.append(self.query.model.__name__) or as_sql(self, *a, **k),
    )
    payload = make_payload("compiled")
    payload["customer"]["email"] = "new-buyer@example.com"
    response = api_a.post("/api/v1/orders/", payload, format="json")
    assert response.status_code == 201
    # Customer, order, items, touchpoints with their history, the call: all reuse statements.
    assert compiled == []
    body = response.json()
    assert [item["sku"] for item in body["items"]] == ["SOFA-1"]
    assert len(body["touchpoints"]) == 2


def test_a_new_orders_text_flags_and_numbers_are_written_as_they_are(api_a, monkeypatch):
    from django.db.models import Field

    api_a.post("/api/v1/orders/", make_payload("warm-up"), format="json")
    prepared = []
    prep = Field.get_db_prep_save
    monkeypatch.setattr(
        Field,
        "get_db_prep_save",
        lambda self, value, connection: (
            prepared.append(type(value)) or prep(self, value, connection)
        ),
    )
    payload = make_payload("as-is")
    payload["customer"]["email"] = "as-is@example.com"
    assert api_a.post("/api/v1/orders/", payload, format="json").status_code == 201
    # ~100 calls per order that gave the value back unchanged (postpurchase/inserts.py).
    assert prepared, "times, amounts and JSON are still prepared by their fields"
    assert not {str, bool, int, type(None)} & set(prepared), prepared


def test_a_new_customer_and_order_written_without_save_still_send_its_signals(api_a):
    from django.db.models.signals import post_save, pre_save

    heard = []

    def receiver(signal_name):
        def hear(sender, instance, **kwargs):
            heard.append((signal_name, sender.__name__, kwargs.get("created"), bool(instance.pk)))

        return hear

    receivers = {pre_save: receiver("pre"), post_save: receiver("post")}
    for signal, hear in receivers.items():
        for model in (Customer, Order):
            signal.connect(hear, sender=model, weak=False)
    try:
        payload = make_payload("signals")
        payload["customer"]["email"] = "signals@example.com"
        assert api_a.post("/api/v1/orders/", payload, format="json").status_code == 201
    finally:
        for signal, hear in receivers.items():
            for model in (Customer, Order):
                signal.disconnect(hear, sender=model)
    # What save() sends: pre_save before the row exists, post_save (created) after.
    assert heard == [
        ("pre", "Customer", None, False),
        ("post", "Customer", True, True),
        ("pre", "Order", None, False),
        ("post", "Order", True, True),
    ]


@pytest.mark.sqlite
@pytest.mark.django_db
def test_insert_new_gives_each_row_its_key_in_order_on_either_database(merchant_a):
    from postpurchase.inserts import insert_new

    rows = [
        Customer(merchant=merchant_a, email=f"c{n}@example.com", consent_sms=n % 2 == 1)
        for n in range(5)
    ]
    assert insert_new(Customer.objects.for_merchant(merchant_a), rows) is rows
    stored = Customer.objects.for_merchant(merchant_a).in_bulk([row.pk for row in rows])
    assert [stored[row.pk].email for row in rows] == [row.email for row in rows]
    # Text, flags, keys and NULLs written as they are, the times by their fields.
    assert [stored[row.pk].consent_sms for row in rows] == [False, True, False, True, False]
    assert all(stored[row.pk].account_manager_id is None for row in rows)
    assert all(stored[row.pk].merchant_id == merchant_a.pk for row in rows)
    assert all(stored[row.pk].created_at == row.created_at for row in rows)
    assert all(not row._state.adding and row.created_at for row in rows)
    assert insert_new(Customer.objects.for_merchant(merchant_a), []) == []


@pytest.mark.sqlite
@pytest.mark.django_db
def test_insert_new_without_returning_writes_the_rows_as_bulk_create_does(merchant_a, monkeypatch):
    from postpurchase.inserts import insert_new

    # An SQLite older than 3.35 (the embedded database of `make run` on an old system).
    monkeypatch.setattr(type(connection.features), "can_return_rows_from_bulk_insert", False)
    rows = [Customer(merchant=merchant_a, email=f"old{n}@example.com") for n in range(3)]
    insert_new(Customer.objects.for_merchant(merchant_a), rows)
    stored = Customer.objects.for_merchant(merchant_a).values_list("email", flat=True)
    assert sorted(stored) == [row.email for row in rows]


# --- the connection health check (postpurchase/db/postgresql/base.py) ---


@pytest.mark.services
@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_a_kept_connection_is_checked_by_its_socket_and_by_select_1_once_ended(monkeypatch):
    """CONN_HEALTH_CHECKS sent `SELECT 1` before every request's first query (#16, third
    round); an idle connection with nothing to read is usable as it is, and one the
    server ended (as a restart does) is still found unusable by Django's check."""
    import psycopg2
    from django.db.backends.postgresql.base import DatabaseWrapper as DjangosWrapper

    asked = []
    djangos = DjangosWrapper.is_usable
    monkeypatch.setattr(DjangosWrapper, "is_usable", lambda self: asked.append(1) or djangos(self))
    assert connection.settings_dict["CONN_HEALTH_CHECKS"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]

    assert connection.is_usable()
    assert asked == []

    other = psycopg2.connect(
        **{k: v for k, v in connection.get_connection_params().items() if k != "context"}
    )
    try:
        with other, other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        other.close()
    for _ in range(100):  # the server's goodbye reaches the socket
        if not connection.is_usable():
            break
        time.sleep(0.02)
    assert asked  # SELECT 1 asked, and it failed
    assert not connection.is_usable()
    connection.close()
    with connection.cursor() as cursor:  # and a new connection works
        cursor.execute("SELECT 1")
