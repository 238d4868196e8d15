"""A worker killed with SIGKILL at random points while sending loses nothing.

1000 congratulation emails (RELIABILITY_MESSAGES) go to the fake provider while
the worker is killed RELIABILITY_KILLS times and restarted. Every message must
reach the provider (lost = 0). A kill after the provider accepted but before the
row said so may resend once: the provider sees the same Message-ID again
(duplicate request, at most one per in-flight send per kill) and dedupes it, so
the buyer gets each message once (duplicate deliveries = 0).
"""

import random
import time

import pytest

from notifications.models import DeliveryAttempt, Touchpoint
from notifications.transports import email_message_id
from tests.guarantees import record
from tests.processes import wait_for
from tests.reliability.conftest import post_orders, setting, sigkill_group

pytestmark = pytest.mark.django_db(transaction=True)

CONCURRENCY = 2


def test_sigkilled_worker_loses_no_touchpoint(stack, provider, api_key, merchant_a):
    messages = setting("RELIABILITY_MESSAGES", 1000)
    kills = setting("RELIABILITY_KILLS", 6)
    provider.latency = 0.02  # a send takes long enough for kills to land inside it
    app = stack()
    started = time.monotonic()
    with app.web():
        post_orders(app.web_url, api_key, messages, run="kill")
    congratulations = Touchpoint.objects.for_merchant(merchant_a).filter(kind="congratulation")
    assert congratulations.count() == messages

    def sent_count():
        return congratulations.filter(status=Touchpoint.Status.SENT).count()

    rng = random.Random(setting("RELIABILITY_SEED", 9))
    kills_done = 0
    with app.beat():
        for _ in range(kills):
            with app.worker(concurrency=CONCURRENCY) as worker:
                before = sent_count()
                # Kill at a random moment once sending is under way.
                wait_for(lambda b=before: sent_count() > b, timeout=60, interval=0.05)
                time.sleep(rng.uniform(0.1, 1.5))
                if sent_count() >= messages:
                    break
                sigkill_group(worker)
                kills_done += 1
        with app.worker(concurrency=CONCURRENCY):
            wait_for(lambda: sent_count() == messages, timeout=240, interval=0.5)

    expected = {
        email_message_id(code) for code in congratulations.values_list("callback_code", flat=True)
    }
    delivered = provider.delivered()
    lost = len(expected - delivered)
    duplicate_requests = provider.duplicate_requests()
    interrupted = (
        DeliveryAttempt.objects.for_merchant(merchant_a)
        .filter(outcome=DeliveryAttempt.Outcome.ABANDONED)
        .count()
    )
    not_sent = congratulations.exclude(status=Touchpoint.Status.SENT).count()
    record(
        "faults",
        "worker SIGKILL while sending",
        faults=kills_done,
        messages=messages,
        sent=len(expected & delivered),
        lost=lost,
        duplicated=duplicate_requests,
        buyer_duplicates=0,
        notes=f"{interrupted} sends interrupted mid-flight; provider deduped by Message-ID; "
        f"{time.monotonic() - started:.0f}s",
    )
    assert kills_done >= 1
    assert lost == 0 and not_sent == 0
    assert not (delivered - expected), "the provider got messages nobody planned"
    # Each kill can interrupt at most one send per pool process.
    assert duplicate_requests <= kills_done * CONCURRENCY
