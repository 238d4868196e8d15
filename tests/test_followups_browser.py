"""Anders works his morning queue of five calls in Chromium with the keyboard alone."""

import os
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from followups.models import CallAttempt, CallSettings, FollowUpCall
from orders.models import Benefit, Shipment
from tests.followups_factories import call_of, make_due_now, place_order
from tracking.models import TrackingVisit

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "calls"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not shutil.which(CHROMIUM) and not os.environ.get("CI"), reason="needs /usr/bin/chromium"
    ),
]


@pytest.fixture
def morning_queue(merchant_a, anders):
    CallSettings.objects.create(
        merchant=merchant_a,
        offer_text="10% off cushions and throws until Sunday",
        high_value_threshold=Decimal("8000"),
    )
    Benefit.objects.create(
        merchant=merchant_a, locale="da", text="Ten-year warranty on the frame", position=0
    )
    Benefit.objects.create(
        merchant=merchant_a, locale="da", text="Free return within 100 days", position=1
    )
    buyers = [
        ("Anna", "Holm", "12999.00", "+4520123456"),
        ("Bo", "Madsen", "4350.00", "+4522334455"),
        ("Cecilie", "Nørgaard", "899.00", "+4530405060"),
        ("David", "Lind", "2150.00", "+4540506070"),
        ("Emma", "Skov", "6400.00", "+4550607080"),
    ]
    calls = []
    for n, (first, last, total, phone) in enumerate(buyers):
        order = place_order(
            merchant_a, f"20{n}", first_name=first, last_name=last, total=total, phone=phone
        )
        calls.append(make_due_now(call_of(order)))
    # Bo keeps checking his parcel, which is late.
    bo = calls[1].order
    for n in range(5):
        TrackingVisit.objects.create(merchant=merchant_a, order=bo, client_hash=f"v{n}")
    Shipment.objects.create(
        merchant=merchant_a,
        order=bo,
        carrier="PostNord",
        tracking_number="00370712390012345678",
        status="delayed",
        estimated_delivery=timezone.now().date() - timezone.timedelta(days=1),
    )
    return calls


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def assert_pills_keep_their_shape(page) -> None:
    """A status pill beside a label that wraps stays one line high, not a squeezed oval."""
    pills = page.locator(".cq-sent .cq-pill")
    assert pills.count() > 0
    for n in range(pills.count()):
        box = pills.nth(n).bounding_box()
        assert box["height"] < 26, f"pill {n} is {box['height']} px high"
        assert box["width"] > 2 * box["height"], f"pill {n} is squeezed to {box['width']} px"


def test_account_manager_works_five_calls_with_the_keyboard_alone(
    live_server, client, anders, morning_queue, monkeypatch
):
    from playwright.sync_api import sync_playwright

    client.force_login(anders)
    session = client.cookies["sessionid"].value
    # Playwright's sync API runs an event loop in this thread; the ORM calls below are
    # still plain synchronous code between browser steps.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        context = browser.new_context(viewport={"width": 1280, "height": 1000})
        context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
        page = context.new_page()
        page.goto(f"{live_server.url}/calls/")

        # Bo is riskiest (late parcel, many visits), so he comes first.
        assert page.locator("#cq-buyer").inner_text() == "Bo Madsen"
        assert page.locator(".cq-item").count() == 5
        assert page.locator("a.cq-call").get_attribute("href") == "tel:+4522334455"
        assert "+45 22 33 44 55" in page.locator("a.cq-call").inner_text()
        shot(page, "01-queue-desktop.png")
        assert_pills_keep_their_shape(page)

        phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
        phone.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
        phone_page = phone.new_page()
        phone_page.goto(f"{live_server.url}/calls/")
        shot(phone_page, "05-phone-queue.png")
        assert_pills_keep_their_shape(phone_page)
        phone.close()

        page.keyboard.press("?")
        assert page.locator("#cq-help").is_visible()
        shot(page, "02-shortcuts.png")
        page.keyboard.press("?")

        with page.expect_navigation():
            page.keyboard.press("j")
        assert page.locator("#cq-buyer").inner_text() == "Anna Holm"  # then by value
        with page.expect_navigation():
            page.keyboard.press("k")
        assert page.locator("#cq-buyer").inner_text() == "Bo Madsen"

        # Bo: concerned, escalate, with a note typed after pressing n.
        page.keyboard.press("n")
        page.keyboard.type("Parcel is late; wants to know if it can come before Friday")
        page.keyboard.press("Escape")
        with page.expect_navigation():
            page.keyboard.press("2")
        assert "Reached – concerned recorded for Bo Madsen" in page.content()

        # The next four: happy, no answer, voicemail, do not call.
        worked = []
        for key in ["1", "6", "5", "8"]:
            worked.append(page.locator("#cq-buyer").inner_text())
            if key == "1":
                shot(page, "03-after-first-outcome.png")
            with page.expect_navigation():
                page.keyboard.press(key)

        assert page.locator(".cq-empty h2").inner_text() == "All done for today"
        shot(page, "04-all-done.png")

        browser.close()

    calls = {
        c.order.customer.full_name: c
        for c in FollowUpCall.objects.for_merchant(
            anders.memberships.get().merchant
        ).select_related("order__customer")
    }
    bo = calls["Bo Madsen"]
    assert (bo.outcome, bo.follow_up, bo.status) == ("reached_concerned", "escalate", "completed")
    assert "before Friday" in bo.notes
    outcomes = {name: calls[name].outcome for name in worked}
    assert sorted(outcomes.values()) == sorted(
        ["reached_happy", "no_answer", "voicemail", "do_not_call"]
    )
    assert CallAttempt.objects.for_merchant(bo.merchant).count() == 5
    assert all(c.attempts == 1 for c in calls.values())
