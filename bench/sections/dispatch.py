"""Dispatch: due congratulation emails delivered per second against bare no-op Celery tasks."""

import time

import requests

from bench.harness.config import CONF


def run(world):
    from django.conf import settings
    from django.db import connection

    from bench import datagen
    from bench.tasks import COUNTER_KEY
    from notifications.models import Touchpoint
    from postpurchase.celery import app

    count = CONF["dispatch_count"]
    world.purge_queue()
    world.cancel_due_sends()
    # `count` congratulation emails due now, on orders of real customers.
    count = datagen._insert(
        Touchpoint,
        count,
        {
            "merchant_id": "o.merchant_id",
            "order_id": "o.id",
            "kind": "'congratulation'",
            "channel": "'email'",
            "cause": "'bench-dispatch'",
            "status": "'scheduled'",
            "due_at": "now() - interval '1 second'",
            "callback_code": "md5(random()::text || o.id)",
            "created_at": "now()",
            "updated_at": "now()",
        },
        source="FROM (SELECT id, merchant_id FROM orders_order WHERE merchant_id = %s "
        "ORDER BY id DESC LIMIT %s) AS o",
        params=[world.merchant.pk, count],
    )
    requests.get(f"{world.provider_url}/_reset", timeout=5)
    world.start_worker()
    task = settings.CELERY_BEAT_SCHEDULE["dispatch-touchpoints"]["task"]
    started = time.time()
    deadline = time.monotonic() + CONF["budget_s"]
    done = 0
    while time.monotonic() < deadline:
        # What beat does every minute, once a second, so the pass rate is not the limit.
        app.send_task(task)
        time.sleep(1)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*), max(extract(epoch FROM sent_at)) "
                "FROM notifications_touchpoint "
                "WHERE cause = 'bench-dispatch' AND status IN ('sent', 'delivered')",
            )
            done, last = cursor.fetchone()
        if done >= count:
            break
    elapsed = (float(last) - started) if done else None
    received = len(requests.get(f"{world.provider_url}/_received", timeout=10).json()["email"])
    app_rate = done / elapsed if elapsed else 0.0

    # Baseline: bare no-op tasks on the same broker and worker.
    world.purge_queue()
    r = world.redis()
    r.delete(COUNTER_KEY)
    started = time.monotonic()
    for _ in range(count):
        app.send_task("bench.tasks.noop")
    deadline = time.monotonic() + CONF["budget_s"]
    while int(r.get(COUNTER_KEY) or 0) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    noop_elapsed = time.monotonic() - started
    noop_done = int(r.get(COUNTER_KEY) or 0)
    world.procs.stop("worker")
    return {
        "due": count,
        "delivered": done,
        "provider_received": received,
        "per_s": app_rate,
        "noop_per_s": noop_done / noop_elapsed,
        "ratio": app_rate / (noop_done / noop_elapsed) if noop_done else None,
    }
