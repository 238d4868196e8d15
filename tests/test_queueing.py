"""The table-backed queue primitive (postpurchase/queueing.py), tested once in depth.

Touchpoints, outgoing webhook deliveries and inbound shop deliveries all rely on these
guarantees; their own tests show each queue's behaviour on top. Tested here through two
of them: webhook deliveries (a status claim) and inbound deliveries (a lock claim).
"""

import ast
import graphlib
import random
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from notifications.webhooks_out.models import WebhookDelivery, WebhookEndpoint
from notifications.webhooks_out.services import DELIVERIES
from orders.integrations.models import InboundDelivery
from orders.integrations.services import INBOUND
from postpurchase.queueing import ROW_LOCK, Backoff, TableQueue
from tests.processes import PROJECT_APPS, ROOT, celery_worker, process_env, wait_for

# The real queues: outgoing webhook deliveries (pending -> sending) and inbound shop
# deliveries (pending, held by the claimer's transaction).
STATUS_CLAIM, LOCK_CLAIM = DELIVERIES, INBOUND

# The claims' SQL asks what the database can (SKIP LOCKED): also run on SQLite in CI.
pytestmark = pytest.mark.sqlite


def concurrent_connections(test):
    """Real threads, each on its own PostgreSQL connection, on committed rows."""
    for mark in (
        pytest.mark.services,
        pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL's"),
        pytest.mark.django_db(transaction=True),
    ):
        test = mark(test)
    return test


def deliveries(merchant, count: int, **fields) -> list[int]:
    endpoint = WebhookEndpoint(merchant=merchant, url="https://hooks.example.com/", events=["x"])
    endpoint.secret = "whsec_test"
    endpoint.save()
    rows = WebhookDelivery.objects.for_merchant(merchant).bulk_create(
        WebhookDelivery(merchant=merchant, endpoint=endpoint, event="x", payload={}, **fields)
        for _ in range(count)
    )
    return [row.pk for row in rows]


def inbound(merchant, count: int, **fields) -> list[int]:
    rows = InboundDelivery.objects.for_merchant(merchant).bulk_create(
        InboundDelivery(
            merchant=merchant,
            source="shopify",
            topic="app/uninstalled",  # verified, nothing to apply: ends `ignored`
            delivery_key=f"queue-test-{n}-{time.monotonic_ns()}",
            payload={},
            **fields,
        )
        for n in range(count)
    )
    return [row.pk for row in rows]


def in_threads(count: int, work) -> list:
    """Run work(n) in `count` threads, each with its own database connection, all at once."""
    start, results, errors = threading.Barrier(count), [None] * count, []

    def run(n: int) -> None:
        try:
            start.wait()
            results[n] = work(n)
        except Exception as exc:  # surfaced below: a thread's assertion must fail the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    return results


# --- claims: every row is won by exactly one claimer ---


@concurrent_connections
def test_two_concurrent_claimers_never_both_win_a_row(merchant_a):
    ids = deliveries(merchant_a, 300)

    def claimer(n: int) -> list[int]:
        mine, order = [], random.Random(n).sample(ids, len(ids))
        for start in range(0, len(order), 7):  # overlapping batches, in a different order
            mine += STATUS_CLAIM.claim(ids=order[start : start + 7], now=timezone.now())
        return mine

    first, second = in_threads(2, claimer)

    assert not set(first) & set(second)
    assert sorted(first + second) == sorted(ids)  # and none was left behind
    assert set(STATUS_CLAIM.rows().values_list("status", flat=True)) == {"sending"}


@concurrent_connections
def test_lock_claims_in_concurrent_transactions_work_each_row_once(merchant_a):
    ids = inbound(merchant_a, 120)

    def worker(n: int) -> list[int]:
        worked = []
        for pk in random.Random(n).sample(ids, len(ids)):
            with transaction.atomic():
                if LOCK_CLAIM.claim(ids=[pk], now=timezone.now(), count_attempt=True):
                    LOCK_CLAIM.rows().filter(pk=pk).update(status="done")
                    worked.append(pk)
        return worked

    results = in_threads(3, worker)

    worked = [pk for result in results for pk in result]
    assert sorted(worked) == sorted(ids)  # each row by exactly one worker
    assert set(LOCK_CLAIM.rows().values_list("attempts", flat=True)) == {1}


@concurrent_connections
def test_a_lock_claim_passes_over_a_row_another_worker_holds_without_waiting(merchant_a):
    held, free = inbound(merchant_a, 2)
    claimed, finish = threading.Event(), threading.Event()

    def holder() -> None:
        try:
            with transaction.atomic():
                assert LOCK_CLAIM.claim(ids=[held], now=timezone.now()) == [held]
                claimed.set()
                finish.wait(timeout=30)
        finally:
            connection.close()

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert claimed.wait(timeout=30)
        began = time.monotonic()
        with transaction.atomic():
            won = LOCK_CLAIM.claim(ids=[held, free], now=timezone.now())
        assert won == [free]
        assert time.monotonic() - began < 2  # skipped at once, not waited for
    finally:
        finish.set()
        thread.join(timeout=30)


@pytest.mark.django_db
def test_a_claim_takes_only_ready_rows_that_are_due(merchant_a):
    due, later, taken = deliveries(merchant_a, 3)
    now = timezone.now()
    STATUS_CLAIM.rows().filter(pk=later).update(next_attempt_at=now + timedelta(hours=1))
    STATUS_CLAIM.rows().filter(pk=taken).update(status="delivered")

    assert STATUS_CLAIM.claim(ids=[due, later, taken], now=now) == [due]
    row = STATUS_CLAIM.rows().get(pk=due)
    assert (row.status, row.claimed_at) == ("sending", now)
    assert STATUS_CLAIM.claim(ids=[due], now=now) == []  # a second claim finds it taken


@pytest.mark.django_db
def test_a_lock_claim_keeps_the_status_and_counts_the_attempt(merchant_a):
    (pk,) = inbound(merchant_a, 1)
    with transaction.atomic():
        assert LOCK_CLAIM.claim(ids=[pk], now=timezone.now(), count_attempt=True) == [pk]
    row = LOCK_CLAIM.rows().get(pk=pk)
    assert (row.status, row.attempts) == ("pending", 1)


@pytest.mark.django_db
def test_the_beat_pass_lists_due_ready_rows_oldest_first(merchant_a):
    now = timezone.now()
    newer, older, future = deliveries(merchant_a, 3)
    for pk, due in (
        (newer, now),
        (older, now - timedelta(minutes=5)),
        (future, now + timedelta(1)),
    ):
        STATUS_CLAIM.rows().filter(pk=pk).update(next_attempt_at=due)

    assert STATUS_CLAIM.due_ids(now=now, limit=10) == [older, newer]
    assert STATUS_CLAIM.due_ids(now=now, limit=1) == [older]


@pytest.mark.django_db
def test_a_claim_older_than_the_stuck_time_is_found_and_given_back(merchant_a, settings):
    settings.WEBHOOKS_OUT_STUCK_AFTER_SECONDS = 60
    now = timezone.now()
    stale, fresh = deliveries(merchant_a, 2, next_attempt_at=now - timedelta(minutes=5))
    STATUS_CLAIM.claim(ids=[stale], now=now - timedelta(seconds=61))
    STATUS_CLAIM.claim(ids=[fresh], now=now - timedelta(seconds=59))

    assert list(STATUS_CLAIM.stuck(now=now).values_list("pk", flat=True)) == [stale]
    assert STATUS_CLAIM.release(STATUS_CLAIM.stuck(now=now), next_attempt_at=now) == 1

    row = STATUS_CLAIM.rows().get(pk=stale)
    assert (row.status, row.claimed_at, row.next_attempt_at) == ("pending", None, now)
    assert STATUS_CLAIM.rows().get(pk=fresh).status == "sending"
    assert STATUS_CLAIM.claim(ids=[stale], now=now) == [stale]  # claimable again


# --- the one backoff curve ---


def test_backoff_grows_by_its_factor_up_to_the_cap():
    doubling = Backoff(base_seconds=30, max_seconds=3600)
    assert [doubling.seconds(n) for n in (1, 2, 3, 4, 8, 9)] == [30, 60, 120, 240, 3600, 3600]
    tripling = Backoff(base_seconds=10, max_seconds=3600, factor=3)
    assert [tripling.seconds(n) for n in (1, 2, 3, 4)] == [10, 30, 90, 270]
    assert doubling.delay(2) == timedelta(seconds=60)


def test_backoff_jitter_stays_within_its_share_and_spreads_retries():
    backoff = Backoff(base_seconds=30, max_seconds=3600, jitter=0.5)
    for attempt, full in [(1, 30), (3, 120), (8, 3600), (50, 3600)]:
        delays = {backoff.seconds(attempt) for _ in range(200)}
        assert all(full / 2 <= delay <= full for delay in delays), attempt
        assert len(delays) > 100  # spread, so a burst that failed together comes back apart


def test_backoff_stays_finite_for_any_attempt_and_starts_at_the_base():
    backoff = Backoff(base_seconds=10, max_seconds=3600, factor=3)
    assert backoff.seconds(10_000) == 3600
    assert backoff.seconds(0) == backoff.seconds(1) == 10


def test_a_queue_reads_its_policy_from_its_own_settings(settings):
    settings.INBOUND_DELIVERY_MAX_ATTEMPTS = 3
    settings.INBOUND_DELIVERY_RETRY_BASE_SECONDS = 2
    settings.INBOUND_DELIVERY_RETRY_MAX_SECONDS = 50
    policy = TableQueue(
        model=InboundDelivery, task="-", claimed=ROW_LOCK, settings_prefix="INBOUND_DELIVERY"
    ).policy()

    assert [policy.gives_up(n) for n in (1, 2, 3, 4)] == [False, False, True, True]
    assert [policy.backoff.seconds(n) for n in (1, 2, 3, 6)] == [2, 4, 8, 50]
    assert policy.stuck_after_seconds == 0  # a lock claim is never stuck
    settings.WEBHOOKS_OUT_STUCK_AFTER_SECONDS = 42
    assert STATUS_CLAIM.policy().stuck_after_seconds == 42


# --- handing work to Celery after commit, with or without a broker ---


@pytest.mark.django_db
def test_nothing_is_queued_when_the_transaction_rolls_back(
    merchant_a, monkeypatch, django_capture_on_commit_callbacks
):
    from orders.integrations.tasks import process_inbound_delivery

    queued = []
    monkeypatch.setattr(process_inbound_delivery, "delay", queued.append)
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            (pk,) = inbound(merchant_a, 1)
            LOCK_CLAIM.enqueue_on_commit([(pk,)])
            raise RuntimeError("the request failed after all")
        (kept,) = inbound(merchant_a, 1)
        LOCK_CLAIM.enqueue_on_commit([(kept,)], then=queued.append)
    assert queued == [kept, 1]  # the committed row, then how many went


BROKER_DOWN = """
import django
django.setup()
from django.db import transaction
from notifications.webhooks_out.services import DELIVERIES
from orders.integrations.models import InboundDelivery
from orders.integrations.services import INBOUND
from tests.test_queueing import LOCK_CLAIM

with transaction.atomic():
    row = LOCK_CLAIM.rows().create(
        merchant_id={merchant}, source="shopify", topic="app/uninstalled",
        delivery_key="while-the-broker-was-down", payload={{}},
    )
    LOCK_CLAIM.enqueue_on_commit([(row.pk,)], then=lambda sent: print("queued", sent))
print("committed", row.pk)
"""


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_an_enqueue_with_the_broker_down_loses_nothing(merchant_a, tmp_path):
    """A process whose broker is down commits its row and goes on; the beat pass (with the
    broker back) queues the row, and a real worker works it."""
    down = process_env(REDIS_URL="redis://127.0.0.1:1/0")  # nothing listens there
    script = BROKER_DOWN.format(merchant=merchant_a.pk)
    run = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=down, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    assert "queued 0" in run.stdout and "broker unavailable" in run.stderr
    row = LOCK_CLAIM.rows().get(delivery_key="while-the-broker-was-down")
    assert row.status == "pending"

    with celery_worker(tmp_path / "worker.log"):
        assert row.pk in LOCK_CLAIM.due_ids(now=timezone.now(), limit=1000)
        assert LOCK_CLAIM.enqueue([(row.pk,)]) == 1  # the beat pass, the broker up again
        wait_for(lambda: LOCK_CLAIM.rows().get(pk=row.pk).status == "ignored")


# --- who hands work to whom: tasks import services, never the reverse ---

QUEUE_MODULES = [
    "notifications.dispatch",
    "notifications.sending",
    "notifications.queue",
    "notifications.tasks",
    "notifications.webhooks_out.services",
    "notifications.webhooks_out.tasks",
    "orders.integrations.services",
    "orders.integrations.tasks",
]


def _imports(module: str) -> set[str]:
    """Every project module `module` imports, at its top or inside a function."""
    tree = ast.parse((ROOT / (module.replace(".", "/") + ".py")).read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return found


def test_no_module_but_a_task_module_imports_a_task_module():
    code = [
        path
        for app in PROJECT_APPS
        for path in (ROOT / app).rglob("*.py")
        if path.name not in ("tasks.py", "celery.py") and "migrations" not in path.parts
    ]
    importers = [
        str(path.relative_to(ROOT))
        for path in code
        if any(
            name.endswith(".tasks") or ".tasks." in name
            for name in _imports(".".join(path.relative_to(ROOT).with_suffix("").parts))
        )
    ]
    assert importers == []


def test_the_queues_modules_import_one_another_without_a_circle():
    edges = {module: _imports(module) & set(QUEUE_MODULES) for module in QUEUE_MODULES}
    order = list(graphlib.TopologicalSorter(edges).static_order())  # raises on a cycle
    assert order.index("notifications.queue") < order.index("notifications.sending")
    assert order.index("notifications.sending") < order.index("notifications.dispatch")
