"""PostgreSQL drops every connection of web and worker: both recover without a restart.

The shared cluster is not restarted (other work uses it); instead every backend
of the test database except the test's own is terminated, which is what web and
worker see when PostgreSQL restarts. CONN_HEALTH_CHECKS makes them reconnect.
"""

import pytest
import requests
from django.db import connection

from notifications.models import Touchpoint
from tests.guarantees import record
from tests.processes import wait_for
from tests.reliability.conftest import order_payload

pytestmark = pytest.mark.django_db(transaction=True)


def _terminate_other_backends() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def test_web_and_worker_reconnect_after_postgres_drops_them(stack, provider, api_key, merchant_a):
    app = stack()
    headers = {"Authorization": f"Bearer {api_key}"}
    congratulations = Touchpoint.objects.for_merchant(merchant_a).filter(kind="congratulation")
    outcomes = []
    terminated = 0
    with app.web(), app.beat(), app.worker():
        for round_ in range(3):
            response = requests.post(
                f"{app.web_url}/api/v1/orders/",
                json=order_payload(round_, run="pg"),
                headers=headers,
                timeout=30,
            )
            outcomes.append(response.status_code)
            wait_for(
                lambda n=round_ + 1: congratulations.filter(status="sent").count() == n,
                timeout=60,
            )
            listing = requests.get(f"{app.web_url}/api/v1/orders/", headers=headers, timeout=30)
            outcomes.append(listing.status_code)
            terminated += _terminate_other_backends()
    lost = congratulations.exclude(status="sent").count()
    record(
        "faults",
        "PostgreSQL connections terminated",
        faults=terminated,
        messages=3,
        sent=3 - lost,
        lost=lost,
        duplicated=provider.duplicate_requests(),
        notes=f"web answers after each drop: {outcomes}",
    )
    assert terminated >= 2  # web and worker really held connections that were cut
    assert outcomes == [201, 200] * 3
    assert lost == 0
