"""A real Celery worker and beat on Redis send a new order's congratulation within seconds.

No message is published per order: beat's due-soon tick (TOUCHPOINT_TICK_SECONDS)
queues every due touchpoint, a new order's congratulation among them (#16)."""

import pytest

from notifications.models import Touchpoint
from tests.processes import celery_beat, celery_worker, wait_for

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_worker_sends_congratulation_queued_by_beats_tick(
    api_a, merchant_a, order_payload, tmp_path
):
    with (
        celery_worker(tmp_path / "worker.log"),
        celery_beat(tmp_path / "beat.log", schedule_file=tmp_path / "beat-schedule"),
    ):
        response = api_a.post("/api/v1/orders/", order_payload, format="json")
        assert response.status_code == 201
        congratulation = Touchpoint.objects.for_merchant(merchant_a).get(kind="congratulation")

        def sent():
            congratulation.refresh_from_db()
            return congratulation.status == Touchpoint.Status.SENT

        wait_for(sent, timeout=30)
    assert congratulation.attempts == 1
    assert congratulation.sent_at is not None
