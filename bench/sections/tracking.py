"""Tracking page: `GET /t/<token>/` under load against a static page of the same size."""

import requests

from bench.harness import loadgen
from bench.harness.config import CONF


def run(world):
    from orders.models import Order

    # Another shop's order: the visits wrk makes (tens of thousands on one order) must
    # not end up in the measured merchant's figures that the scale section times.
    order = Order.objects.for_merchant(world.fillers[0]).order_by("-placed_at").first()
    url = f"{world.base_url}/t/{order.tracking_token}/"
    first = requests.get(url, timeout=30)
    if first.status_code != 200:
        return {"available": False, "note": f"GET /t/<token>/ answered {first.status_code}"}
    size = len(first.content)
    app = loadgen.load(url, seconds=CONF["wrk_seconds"])
    baseline = loadgen.load(
        f"{world.base_url}/bench/static-page/?size={size}", seconds=CONF["wrk_seconds"]
    )
    return {
        "available": True,
        "bytes": size,
        "app": app,
        "baseline": baseline,
        "ratio": app["rps"] / baseline["rps"] if baseline["rps"] else None,
    }
