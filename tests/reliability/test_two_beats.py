"""Two beat processes run by mistake, with two workers: still every message exactly once."""

import pytest

from notifications.models import Touchpoint
from notifications.transports import email_message_id
from tests.guarantees import record
from tests.processes import wait_for
from tests.reliability.conftest import post_orders, setting

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_beats_and_two_workers_send_each_message_once(stack, provider, api_key, merchant_a):
    messages = setting("RELIABILITY_BEAT_MESSAGES", 200)
    provider.latency = 0.01
    app = stack()
    congratulations = Touchpoint.objects.for_merchant(merchant_a).filter(kind="congratulation")
    with app.web(), app.beat(), app.beat(), app.worker(), app.worker():
        post_orders(app.web_url, api_key, messages, run="beats")
        wait_for(
            lambda: congratulations.filter(status="sent").count() == messages,
            timeout=180,
            interval=0.5,
        )
    per_message = provider.keys()
    expected = {
        email_message_id(c) for c in congratulations.values_list("callback_code", flat=True)
    }
    lost = len(expected - set(per_message))
    duplicated = provider.duplicate_requests()
    record(
        "faults",
        "two beats, two workers",
        faults=1,
        messages=messages,
        sent=len(expected & set(per_message)),
        lost=lost,
        duplicated=duplicated,
        buyer_duplicates=0,
    )
    assert lost == 0
    assert duplicated == 0
    assert set(per_message.values()) == {1}
