"""Timeliness: order → congratulation email and scan → SMS under a steady stream of requests."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import requests

from bench.harness.config import CONF
from bench.harness.payloads import next_serial, order_payload
from bench.harness.stats import summary


def run(world):
    from django.db import connection

    world.purge_queue()
    world.cancel_due_sends()
    with connection.cursor() as cursor:  # no stale sessions hold row locks
        cursor.execute("SELECT 1")
    requests.get(f"{world.provider_url}/_reset", timeout=5)
    world.start_worker()
    world.start_beat()
    orders, rate = CONF["timely_orders"], CONF["timely_rate"]
    accepted: dict[str, float] = {}
    order_ids: dict[str, int] = {}
    failures = [0]
    local = threading.local()

    def session():
        if not hasattr(local, "session"):
            local.session = world.api()
        return local.session

    def post_order(n):
        serial = next_serial() + 300_000
        payload = order_payload(f"t{n}", serial)
        # Latency counts from sending the request, so it includes the API's own time.
        sent = time.time()
        response = session().post(f"{world.base_url}/api/v1/orders/", json=payload, timeout=60)
        if response.status_code == 201:
            accepted[payload["customer"]["email"]] = sent
            order_ids[payload["customer"]["phone"]] = response.json()["id"]
        else:
            failures[0] += 1

    steady(post_order, orders, rate, CONF["budget_s"])
    # Shipment events on a subset: create the shipments, then send the scans steadily.
    phones = list(order_ids)[: CONF["timely_shipments"]]
    shipment_of: dict[str, int] = {}
    shipments_started = time.monotonic()
    for phone in phones:
        if time.monotonic() - shipments_started > CONF["budget_s"] / 2:
            break  # a slow server: measure the events of the shipments made so far
        response = session().post(
            f"{world.base_url}/api/v1/orders/{order_ids[phone]}/shipments/",
            json={"carrier": "gls", "tracking_number": f"T{order_ids[phone]}"},
            timeout=60,
        )
        if response.status_code == 201:
            shipment_of[phone] = response.json()["id"]
    event_accepted: dict[str, float] = {}

    def post_event(n):
        phone = list(shipment_of)[n]
        sent = time.time()
        response = session().post(
            f"{world.base_url}/api/v1/shipments/{shipment_of[phone]}/events/",
            # out_for_delivery: the status that texts the buyer by default.
            json={"status": "out_for_delivery", "occurred_at": datetime.now(UTC).isoformat()},
            timeout=60,
        )
        if response.status_code == 201:
            event_accepted[phone] = sent
        else:
            failures[0] += 1

    steady(post_event, len(shipment_of), rate, CONF["budget_s"] / 2)
    # Wait for the stragglers (beat runs the dispatcher every minute).
    deadline = time.monotonic() + max(20, CONF["budget_s"] * 0.75)
    while time.monotonic() < deadline:
        got = requests.get(f"{world.provider_url}/_received", timeout=10).json()
        emails = first_arrivals(got["email"], accepted)
        sms = first_arrivals(got["sms"], event_accepted)
        if len(emails) >= len(accepted) and len(sms) >= len(event_accepted):
            break
        time.sleep(1)
    world.procs.stop("beat")
    world.procs.stop("worker")
    congrat = [emails[k] - accepted[k] for k in emails]
    sms_lat = [sms[k] - event_accepted[k] for k in sms]
    return {
        "orders": len(accepted),
        "rate_per_s": rate,
        "congratulation": summary(congrat, len(accepted)),
        "shipment_events": len(event_accepted),
        "sms": summary(sms_lat, len(event_accepted)),
        "failed_requests": failures[0],
    }


def steady(fn, count: int, rate: float, budget_s: float | None = None) -> int:
    """Call fn(n) for n < count at a steady `rate` per second, from a small thread pool.

    Stops starting new calls after `budget_s`, so a slow server cannot stretch the run.
    Returns how many were started.
    """
    if count <= 0:
        return 0
    started = time.monotonic()
    n = 0
    with ThreadPoolExecutor(max_workers=8) as pool:
        for n in range(count):
            if budget_s is not None and time.monotonic() - started > budget_s:
                break
            delay = started + n / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            pool.submit(fn, n)
        else:
            n = count
    return n


def first_arrivals(arrivals: list, accepted: dict[str, float]) -> dict[str, float]:
    """The first provider arrival for each recipient at or after its request was accepted."""
    first: dict[str, float] = {}
    for at, to in arrivals:
        if to in accepted and at >= accepted[to] and to not in first:
            first[to] = at
    return first
