"""When the next-day call is due: weekends, time zones and daylight-saving changes."""

import datetime as dt
import zoneinfo

import pytest

from followups.scheduling import next_business_day_start
from postpurchase.models import Merchant

UTC = dt.UTC


def shop(tz: str, *, days=None, opens="09:00") -> Merchant:
    return Merchant(
        name="Shop",
        slug="shop",
        timezone=tz,
        business_days=days or [0, 1, 2, 3, 4],
        business_hours_start=dt.time.fromisoformat(opens),
    )


def due(merchant: Merchant, placed_utc: dt.datetime) -> dt.datetime:
    return next_business_day_start(merchant=merchant, after=placed_utc)


@pytest.mark.parametrize(
    ("placed", "expected_day"),
    [
        (dt.datetime(2026, 11, 20, 10, 0, tzinfo=UTC), dt.date(2026, 11, 23)),  # Friday
        (dt.datetime(2026, 11, 21, 10, 0, tzinfo=UTC), dt.date(2026, 11, 23)),  # Saturday
        (dt.datetime(2026, 11, 22, 10, 0, tzinfo=UTC), dt.date(2026, 11, 23)),  # Sunday
        (dt.datetime(2026, 11, 23, 10, 0, tzinfo=UTC), dt.date(2026, 11, 24)),  # Monday
        (dt.datetime(2026, 11, 19, 10, 0, tzinfo=UTC), dt.date(2026, 11, 20)),  # Thursday
    ],
)
def test_followup_is_due_the_next_business_day_and_weekend_orders_on_monday(placed, expected_day):
    result = due(shop("Europe/Copenhagen"), placed)
    assert result.date() == expected_day
    assert result.time() == dt.time(9, 0)


def test_followup_on_friday_is_due_monday_at_opening_in_the_merchants_zone():
    result = due(shop("Europe/Copenhagen"), dt.datetime(2026, 11, 20, 15, 0, tzinfo=UTC))
    assert result == dt.datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # 09:00 CET


def test_late_thursday_utc_is_already_friday_in_copenhagen_so_monday():
    # 23:30 UTC on Thursday is 00:30 on Friday in Copenhagen, but still Thursday in California.
    placed = dt.datetime(2026, 11, 19, 23, 30, tzinfo=UTC)
    assert due(shop("Europe/Copenhagen"), placed).date() == dt.date(2026, 11, 23)
    assert due(shop("America/Los_Angeles"), placed).date() == dt.date(2026, 11, 20)


def test_sunday_evening_utc_is_monday_morning_in_tokyo_so_tuesday():
    placed = dt.datetime(2026, 11, 22, 20, 0, tzinfo=UTC)  # Monday 05:00 JST
    result = due(shop("Asia/Tokyo"), placed)
    assert result == dt.datetime(2026, 11, 24, 9, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Tokyo"))


def test_friday_before_autumn_clock_change_is_monday_at_nine_winter_time():
    # Copenhagen leaves summer time on Sunday 25 October 2026.
    result = due(shop("Europe/Copenhagen"), dt.datetime(2026, 10, 23, 12, 0, tzinfo=UTC))
    assert result.astimezone(UTC) == dt.datetime(2026, 10, 26, 8, 0, tzinfo=UTC)
    assert result.astimezone(zoneinfo.ZoneInfo("Europe/Copenhagen")).hour == 9


def test_friday_before_spring_clock_change_is_monday_at_nine_summer_time():
    # Copenhagen moves to summer time on Sunday 29 March 2026.
    result = due(shop("Europe/Copenhagen"), dt.datetime(2026, 3, 27, 12, 0, tzinfo=UTC))
    assert result.astimezone(UTC) == dt.datetime(2026, 3, 30, 7, 0, tzinfo=UTC)


def test_us_clock_change_weekend_keeps_nine_local():
    # The US leaves daylight time on Sunday 1 November 2026.
    result = due(shop("America/New_York"), dt.datetime(2026, 10, 30, 18, 0, tzinfo=UTC))
    assert result.astimezone(UTC) == dt.datetime(2026, 11, 2, 14, 0, tzinfo=UTC)


def test_merchant_working_sunday_to_thursday_calls_on_sunday():
    merchant = shop("Asia/Jerusalem", days=[6, 0, 1, 2, 3], opens="08:30")
    result = due(merchant, dt.datetime(2026, 11, 19, 9, 0, tzinfo=UTC))  # Thursday
    local = result.astimezone(zoneinfo.ZoneInfo("Asia/Jerusalem"))
    assert (local.date(), local.time()) == (dt.date(2026, 11, 22), dt.time(8, 30))
