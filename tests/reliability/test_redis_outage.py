"""Redis stops for a while: pages keep serving, orders keep coming in, dispatch catches up.

The suite's own redis-server (never the machine's shared one) is killed while
web, worker and beat run. Orders posted during the outage are accepted (their
touchpoints wait in PostgreSQL); the tracking page still answers; when Redis is
back, beat and worker reconnect on their own and every waiting message is sent.
"""

import time

import pytest
import requests
from django.urls import Resolver404, resolve

from notifications.models import Touchpoint
from tests.guarantees import record
from tests.processes import wait_for
from tests.reliability.conftest import order_payload, setting

pytestmark = pytest.mark.django_db(transaction=True)

DURING_OUTAGE = 10


def _tracking_pages_exist() -> bool:
    try:
        resolve("/t/some-token/")
    except Resolver404:
        return False
    return True


def test_redis_outage_delays_sends_but_loses_nothing(
    stack, redis_server, provider, api_key, merchant_a
):
    outage = setting("RELIABILITY_REDIS_OUTAGE_SECONDS", 20)
    app = stack()
    headers = {"Authorization": f"Bearer {api_key}"}
    congratulations = Touchpoint.objects.for_merchant(merchant_a).filter(kind="congratulation")
    with app.web(), app.beat(), app.worker():
        first = requests.post(
            f"{app.web_url}/api/v1/orders/",
            json=order_payload(0, run="redis"),
            headers=headers,
            timeout=30,
        )
        assert first.status_code == 201, first.text
        wait_for(lambda: congratulations.filter(status="sent").count() == 1, timeout=60)
        tracking_path = "/" + first.json()["tracking_url"].split("/", 3)[3]

        redis_server.stop()
        down_at = time.monotonic()
        statuses, slowest, pages = [], 0.0, []
        for n in range(1, DURING_OUTAGE + 1):
            began = time.monotonic()
            response = requests.post(
                f"{app.web_url}/api/v1/orders/",
                json=order_payload(n, run="redis"),
                headers=headers,
                timeout=60,
            )
            slowest = max(slowest, time.monotonic() - began)
            statuses.append(response.status_code)
            pages.append(requests.get(f"{app.web_url}{tracking_path}", timeout=30).status_code)
        health = requests.get(f"{app.web_url}/healthz", timeout=30).status_code
        waiting = congratulations.filter(status="scheduled").count()
        time.sleep(max(0.0, outage - (time.monotonic() - down_at)))
        redis_server.start()
        back_at = time.monotonic()
        wait_for(
            lambda: congratulations.filter(status="sent").count() == DURING_OUTAGE + 1,
            timeout=180,
            interval=0.5,
        )
        caught_up = time.monotonic() - back_at

    lost = congratulations.exclude(status="sent").count()
    record(
        "faults",
        f"Redis down {outage}s",
        faults=1,
        messages=DURING_OUTAGE + 1,
        sent=DURING_OUTAGE + 1 - lost,
        lost=lost,
        duplicated=provider.duplicate_requests(),
        notes=f"orders accepted {statuses.count(201)}/{DURING_OUTAGE} (slowest {slowest:.1f}s); "
        f"tracking page {sorted(set(pages))}; {waiting} waited in DB; caught up {caught_up:.0f}s "
        "after Redis returned",
    )
    assert statuses == [201] * DURING_OUTAGE
    assert health == 200
    if _tracking_pages_exist():
        assert set(pages) == {200}
    assert waiting >= 1  # the outage really held messages back
    assert lost == 0
    assert provider.duplicate_requests() == 0
