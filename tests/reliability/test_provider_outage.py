"""The email provider answers 500, then times out, then recovers: all delivered, none failed.

Sends that meet the outage are retried with backoff (attempts recorded); a send
whose answer came too late may reach the provider twice, and the provider's
Message-ID dedupe keeps it one message for the buyer. Nothing that was only
delayed ends `failed`.
"""

import time

import pytest

from notifications.models import DeliveryAttempt, Touchpoint
from notifications.transports import email_message_id
from tests.guarantees import record
from tests.processes import wait_for
from tests.reliability.conftest import post_orders

pytestmark = pytest.mark.django_db(transaction=True)

MESSAGES = 30


def test_provider_errors_and_timeouts_delay_but_never_fail(stack, provider, api_key, merchant_a):
    app = stack(
        PROVIDER_TIMEOUT_SECONDS=1,
        TOUCHPOINT_RETRY_BASE_SECONDS=0.5,
        TOUCHPOINT_RETRY_MAX_SECONDS=4,
    )
    congratulations = Touchpoint.objects.for_merchant(merchant_a).filter(kind="congratulation")
    attempts = DeliveryAttempt.objects.for_merchant(merchant_a)
    provider.fail_with(500)
    with app.web(), app.beat(), app.worker(concurrency=2):
        post_orders(app.web_url, api_key, MESSAGES, run="outage")
        # Phase 1: every send meets a 500.
        wait_for(
            lambda: (
                attempts.filter(outcome=DeliveryAttempt.Outcome.TEMPORARY_ERROR).count() >= MESSAGES
            ),
            timeout=60,
        )
        errors_500 = attempts.filter(outcome=DeliveryAttempt.Outcome.TEMPORARY_ERROR).count()
        # Phase 2: the provider accepts but answers after the client's timeout.
        provider.hang(2.5)
        time.sleep(4)
        provider.recover()
        wait_for(
            lambda: congratulations.filter(status=Touchpoint.Status.SENT).count() == MESSAGES,
            timeout=120,
            interval=0.5,
        )
    failed = congratulations.filter(status=Touchpoint.Status.FAILED).count()
    temporary = attempts.filter(outcome=DeliveryAttempt.Outcome.TEMPORARY_ERROR).count()
    expected = {
        email_message_id(c) for c in congratulations.values_list("callback_code", flat=True)
    }
    lost = len(expected - provider.delivered())
    most_attempts = max(congratulations.values_list("attempts", flat=True))
    record(
        "faults",
        "provider 500s, then timeouts, then recovery",
        faults=temporary,
        messages=MESSAGES,
        sent=MESSAGES - lost,
        lost=lost,
        duplicated=provider.duplicate_requests(),
        buyer_duplicates=0,
        notes=f"{errors_500}+ answers were 500; up to {most_attempts} attempts each; "
        f"failed={failed}",
    )
    assert lost == 0
    assert failed == 0
    assert temporary >= MESSAGES  # every message met the outage at least once
    # Backoff: a retry waits at least half the base delay (0.25 s), never hammers.
    gaps = _first_retry_gaps(merchant_a)
    assert gaps and min(gaps) >= 0.2


def _first_retry_gaps(merchant) -> list[float]:
    """Seconds between each touchpoint's first attempt ending and its second starting."""
    by_touchpoint: dict[int, list] = {}
    attempts = DeliveryAttempt.objects.for_merchant(merchant).order_by("touchpoint_id", "number")
    for attempt in attempts:
        by_touchpoint.setdefault(attempt.touchpoint_id, []).append(attempt)
    return [
        (rows[1].started_at - rows[0].finished_at).total_seconds()
        for rows in by_touchpoint.values()
        if len(rows) >= 2 and rows[0].finished_at
    ]
