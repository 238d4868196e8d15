"""Dispatch: due congratulation emails delivered per second against bare no-op Celery tasks.

Each is measured CONF["repeats"] times on the same worker; the figures are the medians,
with their ranges, and the ratio is median against median.
"""

import time

import requests

from bench.harness.config import CONF
from bench.harness.processes import cpu_seconds
from bench.harness.stats import median_run


def run(world):
    # Ingestion's queued sends must not stand between the new worker and its first task.
    world.purge_queue()
    world.cancel_due_sends()
    world.start_worker()
    try:
        runs = [_emails_run(world, n) for n in range(CONF["repeats"])]
        noop_runs = [_noop_run(world) for _ in range(CONF["repeats"])]
    finally:
        world.procs.stop("worker")
    emails = median_run(runs, "per_s")
    noop = median_run(noop_runs, "per_s")
    return {
        "due": emails["due"],
        "delivered": emails["delivered"],
        "provider_received": emails["provider_received"],
        "per_s": emails["per_s"],
        "per_s_min": emails["per_s_min"],
        "per_s_max": emails["per_s_max"],
        "noop_per_s": noop["per_s"],
        "noop_per_s_min": noop["per_s_min"],
        "noop_per_s_max": noop["per_s_max"],
        "ratio": emails["per_s"] / noop["per_s"] if noop["per_s"] else None,
        "runs": runs,
        "noop_runs": noop_runs,
    }


def _emails_run(world, n: int) -> dict:
    """`dispatch_count` congratulations due at once, sent through the real worker."""
    from django.conf import settings
    from django.db import connection

    from bench import datagen
    from notifications.models import Touchpoint
    from postpurchase.celery import app

    cause = f"bench-dispatch-{n}"
    world.purge_queue()
    world.cancel_due_sends()
    count = datagen._insert(
        Touchpoint,
        CONF["dispatch_count"],
        {
            "merchant_id": "o.merchant_id",
            "order_id": "o.id",
            "kind": "'congratulation'",
            "channel": "'email'",
            "cause": f"'{cause}'",
            "status": "'scheduled'",
            "due_at": "now() - interval '1 second'",
            "callback_code": "md5(random()::text || o.id)",
            "created_at": "now()",
            "updated_at": "now()",
        },
        source="FROM (SELECT id, merchant_id FROM orders_order WHERE merchant_id = %s "
        "ORDER BY id DESC LIMIT %s) AS o",
        # Every run sends to the same orders, so the runs do the same work.
        params=[world.merchant.pk, CONF["dispatch_count"]],
    )
    requests.get(f"{world.provider_url}/_reset", timeout=5)
    task = settings.CELERY_BEAT_SCHEDULE["dispatch-touchpoints"]["task"]
    worker = world.procs.running["worker"].pid
    cpu_before = cpu_seconds(worker)
    started = time.time()
    deadline = time.monotonic() + CONF["budget_s"]
    done, last = 0, None
    while time.monotonic() < deadline:
        # What beat does every minute, once a second, so the pass rate is not the limit.
        app.send_task(task)
        time.sleep(1)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*), max(extract(epoch FROM sent_at)) "
                "FROM notifications_touchpoint "
                "WHERE cause = %s AND status IN ('sent', 'delivered')",
                [cause],
            )
            done, last = cursor.fetchone()
        if done >= count:
            break
    elapsed = (float(last) - started) if done else None
    worker_cpu = cpu_seconds(worker) - cpu_before
    received = len(requests.get(f"{world.provider_url}/_received", timeout=10).json()["email"])
    return {
        "due": count,
        "delivered": done,
        "provider_received": received,
        "per_s": done / elapsed if elapsed else 0.0,
        "worker_cpu_ms_per_email": round(1000 * worker_cpu / done, 2) if done else None,
    }


def _noop_run(world) -> dict:
    """The baseline: as many bare no-op tasks on the same broker and worker."""
    from bench.tasks import COUNTER_KEY
    from postpurchase.celery import app

    count = CONF["dispatch_count"]
    world.purge_queue()
    r = world.redis()
    r.delete(COUNTER_KEY)
    started = time.monotonic()
    for _ in range(count):
        app.send_task("bench.tasks.noop")
    deadline = time.monotonic() + CONF["budget_s"]
    while int(r.get(COUNTER_KEY) or 0) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    done = int(r.get(COUNTER_KEY) or 0)
    return {"per_s": done / (time.monotonic() - started)}
