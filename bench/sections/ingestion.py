"""Ingestion: single orders and batches through the API against the same rows in raw SQL."""

import json
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import psycopg2

from bench.harness import loadgen
from bench.harness.config import BATCH_SIZE, CONF
from bench.harness.payloads import next_serial, order_payload
from bench.harness.processes import cpu_seconds
from bench.harness.stats import median_run, percentile


def run(world):
    from django.db import connection

    # Single orders, CONF["repeats"] runs: the figure is their median, with the range.
    runs = [_single_run(world, n) for n in range(CONF["repeats"])]
    single = {**median_run(runs, "orders_per_s"), "runs": runs}

    # Batches of 1000 from two clients (one per web worker).
    batches = [
        [order_payload(f"b{b}-{i}", next_serial() + 100_000) for i in range(BATCH_SIZE)]
        for b in range(CONF["batches"])
    ]
    statuses: list[int] = []
    lock = threading.Lock()

    def send(batch):
        response = world.api().post(
            f"{world.base_url}/api/v1/orders/batch/", json={"orders": batch}, timeout=300
        )
        response.raise_for_status()
        with lock:
            statuses.extend(r["status"] for r in response.json()["results"])

    started = time.monotonic()

    def send_within_budget(batch):
        if time.monotonic() - started < CONF["budget_s"]:
            send(batch)

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(send_within_budget, batches))
    batch_elapsed = time.monotonic() - started
    batch = {
        "orders": statuses.count(201),
        "orders_per_s": statuses.count(201) / batch_elapsed,
        "non_201": len(statuses) - statuses.count(201),
    }

    # Raw psycopg2: the same rows (customer, order, 3 items, 2 touchpoints) per batch.
    raw_runs = []
    for run in range(CONF["repeats"]):
        raw_batches = [
            [order_payload(f"r{run}-{b}-{i}", next_serial() + 200_000) for i in range(BATCH_SIZE)]
            for b in range(max(1, len(statuses) // BATCH_SIZE))
        ]
        conn = psycopg2.connect(dbname=world.db_name, **world.pg)
        started = time.monotonic()
        for raw in raw_batches:
            raw_insert(conn, world.merchant.pk, raw)
        raw_runs.append(
            {"orders_per_s": len(raw_batches) * BATCH_SIZE / (time.monotonic() - started)}
        )
        conn.close()
    raw = median_run(raw_runs, "orders_per_s")
    raw_rate = raw["orders_per_s"]

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM notifications_touchpoint t JOIN orders_order o "
            "ON o.id = t.order_id WHERE o.external_id LIKE 'b%%' AND o.merchant_id = %s",
            [world.merchant.pk],
        )
        batch_touchpoints = cursor.fetchone()[0]
    return {
        "single": single,
        "batch": {**batch, "touchpoints": batch_touchpoints},
        "raw_psycopg2": raw,
        "single_ratio": single["orders_per_s"] / raw_rate,
        "batch_ratio": batch["orders_per_s"] / raw_rate,
    }


def _single_run(world, run: int) -> dict:
    """One timed run of single-order POSTs, each a new order of a new buyer."""
    from orders.models import Order

    prefix = f"s{run}_"
    if not loadgen.WRK:
        return _python_single_ingest(world, CONF["single_seconds"], prefix)
    # wrk with a Lua script that makes every request a new order.
    template = json.dumps(order_payload("__ID__", 0)).replace("buyer0@", "buyer__ID__@")
    script = world.tmp / f"single{run}.lua"
    script.write_text(
        "local counter = 0\n"
        "local threads = {}\n"
        "function setup(thread) thread:set('tid', #threads + 1); "
        "table.insert(threads, thread) end\n"
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.headers["Authorization"] = "Bearer {world.api_key}"\n'
        f"local template = [==[{template}]==]\n"
        "request = function()\n"
        "  counter = counter + 1\n"
        f'  local id = "{prefix}" .. tid .. "x" .. counter\n'
        '  return wrk.format(nil, "/api/v1/orders/", nil, (template:gsub("__ID__", id)))\n'
        "end\n"
    )
    web = world.procs.running["gunicorn"].pid
    cpu_before = cpu_seconds(web)
    started = time.monotonic()
    out = loadgen.run_wrk(
        f"{world.base_url}/api/v1/orders/",
        seconds=CONF["single_seconds"],
        connections=16,
        script=script,
    )
    elapsed = time.monotonic() - started
    web_cpu = cpu_seconds(web) - cpu_before
    count = (
        Order.objects.for_merchant(world.merchant).filter(external_id__startswith=prefix).count()
    )
    return {
        "tool": "wrk (16 connections)",
        "orders": count,
        "orders_per_s": count / CONF["single_seconds"],
        "p50_ms": out["p50_ms"],
        "p99_ms": out["p99_ms"],
        "errors": out["errors"],
        "wall_s": round(elapsed, 1),
        "web_cpu_ms_per_order": round(1000 * web_cpu / count, 2) if count else None,
    }


def _python_single_ingest(world, seconds: int, prefix: str) -> dict:
    latencies, codes = [], []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(n):
        session = world.api()
        while time.monotonic() < deadline:
            serial = next_serial()
            start = time.perf_counter()
            response = session.post(
                f"{world.base_url}/api/v1/orders/",
                json=order_payload(f"{prefix}{n}x{serial}", serial),
                timeout=60,
            )
            with lock:
                latencies.append((time.perf_counter() - start) * 1000)
                codes.append(response.status_code)

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(client, range(16)))
    return {
        "tool": "python-threads (16)",
        "orders": codes.count(201),
        "orders_per_s": codes.count(201) / seconds,
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "errors": len(codes) - codes.count(201),
    }


def raw_insert(conn, merchant_id: int, payloads: list[dict]) -> None:
    """The floor for ingestion: the same rows written with execute_values, one transaction."""
    from bench.datagen import insert_rows
    from notifications.models import Touchpoint
    from orders.models import Customer, LineItem, Order

    now = datetime.now(UTC)
    with conn, conn.cursor() as cur:
        customers = insert_rows(
            cur,
            Customer,
            [
                {
                    "merchant_id": merchant_id,
                    "email": p["customer"]["email"],
                    "phone": p["customer"]["phone"],
                    "first_name": p["customer"]["first_name"],
                    "last_name": p["customer"]["last_name"],
                    "locale": p["locale"],
                    "consent_email": True,
                    "consent_sms": True,
                    "consent_call": True,
                    "created_at": now,
                    "updated_at": now,
                }
                for p in payloads
            ],
            returning=True,
        )
        orders = insert_rows(
            cur,
            Order,
            [
                {
                    "merchant_id": merchant_id,
                    "customer_id": customer[0],
                    "external_id": p["external_id"],
                    "number": p["number"],
                    "placed_at": p["placed_at"],
                    "currency": p["currency"],
                    "total": p["total"],
                    "locale": p["locale"],
                    "shipping_line1": p["shipping_address"]["line1"],
                    "shipping_city": p["shipping_address"]["city"],
                    "shipping_postal_code": p["shipping_address"]["postal_code"],
                    "shipping_country": p["shipping_address"]["country"],
                    "tracking_token": uuid.uuid4().hex,
                    "created_at": now,
                    "updated_at": now,
                }
                for p, customer in zip(payloads, customers, strict=True)
            ],
            returning=True,
        )
        insert_rows(
            cur,
            LineItem,
            [
                {"order_id": order[0], "position": position, **item}
                for p, order in zip(payloads, orders, strict=True)
                for position, item in enumerate(p["items"])
            ],
            page=3000,
        )
        insert_rows(
            cur,
            Touchpoint,
            [
                {
                    "merchant_id": merchant_id,
                    "order_id": order[0],
                    "kind": kind,
                    "channel": channel,
                    "cause": "order",
                    "status": "cancelled",  # never sent: the raw floor only measures writes
                    "due_at": now,
                    "callback_code": uuid.uuid4().hex,
                    "created_at": now,
                    "updated_at": now,
                }
                for order in orders
                for kind, channel in (("congratulation", "email"), ("followup_call", "call"))
            ],
            page=2000,
        )
