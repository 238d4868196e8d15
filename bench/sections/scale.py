"""Scale: the measured shop's pages and the dispatcher's pass at two sizes of database."""

import contextlib
import statistics
import time

from bench.harness.config import BROWSER, CONF, log


def run(world):
    from orders.models import Order

    # The measured merchant's working set stays the same (recent orders); data grows
    # around it: other merchants' orders and its own years of history.
    sizes = {"small": world.scale_small}
    large = max(CONF["large_orders"], CONF["small_orders"])
    log(f"scale: growing to {large:,} orders")
    started = time.monotonic()
    world.generate(
        large - Order.objects.unscoped(reason="bench: counts every merchant's orders").count(),
        history_only=True,
    )
    generate_s = time.monotonic() - started
    sizes["large"] = measure(world)
    sizes["large"]["generate_s"] = round(generate_s, 1)
    growth = {}
    for key in ("tracking_p50_ms", "dispatch_pass_ms", "calls_p50_ms", "metrics_p50_ms"):
        a, b = sizes["small"].get(key), sizes["large"].get(key)
        growth[key] = (b / a) if a and b else None
    return {**sizes, "growth": growth}


def measure(world) -> dict:
    from django.conf import settings
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from orders.models import Order
    from postpurchase.celery import app

    world.cancel_due_sends()
    with contextlib.suppress(Exception):
        cache.clear()
    out: dict = {
        "orders": Order.objects.unscoped(reason="bench: counts every merchant's orders").count()
    }
    samples = CONF["samples"]
    plans: dict[str, list] = {}

    # Tracking page: a cache miss each time (a different recent order per request).
    tokens = list(
        Order.objects.for_merchant(world.measured)
        .filter(external_id__startswith="n")
        .order_by("-placed_at")
        .values_list("tracking_token", flat=True)[: samples + 2]
    )
    client = Client(HTTP_USER_AGENT=BROWSER)
    if tokens and client.get(f"/t/{tokens[0]}/").status_code == 200:
        times = []
        for token in tokens[1:-1]:
            started = time.perf_counter()
            client.get(f"/t/{token}/")
            times.append((time.perf_counter() - started) * 1000)
        out["tracking_p50_ms"] = statistics.median(times)
        with CaptureQueriesContext(connection) as ctx, sql_time() as spent:
            client.get(f"/t/{tokens[-1]}/")
        out["tracking_sql_ms"] = round(sum(spent) * 1000, 2)
        plans["tracking"] = explain_all(ctx.captured_queries)
    else:
        out["tracking_p50_ms"] = None

    # The dispatcher's pass with nothing due, exactly the task beat runs.
    task = app.tasks[settings.CELERY_BEAT_SCHEDULE["dispatch-touchpoints"]["task"]]
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        task.run()
        times.append((time.perf_counter() - started) * 1000)
    out["dispatch_pass_ms"] = statistics.median(times)
    with CaptureQueriesContext(connection) as ctx:
        task.run()
    plans["dispatch"] = explain_all(ctx.captured_queries)

    # Dashboard pages of the measured merchant, signed in as its owner.
    client.force_login(world.measured_owner)
    for key, candidates in (
        ("calls", ["/calls/"]),
        ("metrics", ["/dashboard/metrics/", "/dashboard/"]),
    ):
        path = next((p for p in candidates if client.get(p).status_code == 200), None)
        if path is None:
            out[f"{key}_p50_ms"] = None
            continue
        times = []
        for _ in range(max(5, samples // 3)):
            started = time.perf_counter()
            client.get(path)
            times.append((time.perf_counter() - started) * 1000)
        out[f"{key}_p50_ms"] = statistics.median(times)
        out[f"{key}_path"] = path
        # The database's share of a request (median of 5): tells growth in SQL from a
        # machine that got busier between the two steps.
        sql = []
        for _ in range(5):
            with CaptureQueriesContext(connection) as ctx, sql_time() as spent:
                client.get(path)
            sql.append(sum(spent) * 1000)
        out[f"{key}_sql_ms"] = round(statistics.median(sql), 2)
        plans[key] = explain_all(ctx.captured_queries)
    out["queries"] = {key: len(value) for key, value in plans.items()}
    out["seq_scans"] = {
        key: sorted({t for q in value for t in q["seq_scans"]}) for key, value in plans.items()
    }
    out["plans"] = plans
    return out


@contextlib.contextmanager
def sql_time():
    """Seconds spent in each query run inside the block (round trips included)."""
    from django.db import connection

    spent: list[float] = []

    def timed(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent.append(time.perf_counter() - started)

    with connection.execute_wrapper(timed):
        yield spent


def explain_all(captured: list[dict]) -> list[dict]:
    """EXPLAIN each captured SELECT and list sequential scans of tables over 5,000 rows."""
    from django.db import connection

    plans = []
    with connection.cursor() as cursor:
        for query in captured:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            try:
                cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
            except Exception:  # noqa: S112 - a query that cannot be explained is skipped
                continue
            plan = cursor.fetchone()[0][0]["Plan"]
            scans = []
            for node in walk(plan):
                if node.get("Node Type") == "Seq Scan" and node.get("Plan Rows", 0) > 5000:
                    scans.append(node["Relation Name"])
            plans.append({"sql": sql[:300], "seq_scans": scans, "cost": plan.get("Total Cost")})
    return plans


def walk(node):
    yield node
    for child in node.get("Plans", []):
        yield from walk(child)
