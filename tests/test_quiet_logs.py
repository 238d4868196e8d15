"""Periodic tasks are quiet at INFO unless they did something (the `make run` log stays readable)."""

import logging
import re
import time

import pytest

from tests.processes import celery_beat, celery_worker, process_env, wait_for
from tests.tracking_helpers import order_in_state
from tracking.models import TrackingVisit

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148 Safari/604.1"


def test_idle_ticks_log_nothing_at_info_and_a_tick_that_worked_does(client, api_a, tmp_path):
    env = process_env(TOUCHPOINT_TICK_SECONDS="0.5", TRACKING_VISIT_FLUSH_SECONDS="0.5")
    worker_log, beat_log = tmp_path / "worker.log", tmp_path / "beat.log"
    with (
        celery_worker(worker_log, env=env),
        celery_beat(beat_log, schedule_file=tmp_path / "beat-schedule", env=env),
    ):
        time.sleep(4)  # about eight idle ticks of each fast periodic task
        idle_worker, idle_beat = worker_log.read_text(), beat_log.read_text()

        order = order_in_state(api_a, state="in_transit", external_id="Q-1", locale="en")
        client.get(f"/t/{order.tracking_token}/", HTTP_USER_AGENT=PHONE)
        wait_for(
            lambda: (
                TrackingVisit.objects.unscoped(reason="test: the visit the page view wrote")
                .filter(order=order)
                .exists()
            ),
            timeout=30,
        )
        flushed = wait_for(
            lambda: re.search(
                r"flush_tracking_visits\[.*\] succeeded in .*: 1", worker_log.read_text()
            ),
            timeout=10,
        )

    assert "Sending due task" not in idle_beat
    assert "dispatch_touchpoints_due_soon[" not in idle_worker
    assert "flush_tracking_visits[" not in idle_worker
    assert flushed  # real work is still told at INFO


def test_an_idle_tick_still_shows_at_debug(caplog):
    from notifications.tasks import dispatch_touchpoints_due_soon

    caplog.set_level(logging.DEBUG, logger="celery.app.trace")
    dispatch_touchpoints_due_soon.apply()
    succeeded = [r for r in caplog.records if r.name == "celery.app.trace"]
    assert [r.levelname for r in succeeded] == ["DEBUG"]
