"""When a follow-up call is due: the next business day in the merchant's time zone."""

import datetime as dt

from postpurchase.models import Merchant


def next_business_day_start(*, merchant: Merchant, after: dt.datetime) -> dt.datetime:
    """Start of business hours on the first business day after `after`'s local date.

    Friday and Saturday orders land on Monday for a Monday-to-Friday merchant.
    Computed on local wall-clock dates, so daylight-saving changes shift nothing.
    """
    tz = merchant.tzinfo
    local_day = after.astimezone(tz).date()
    business_days = set(merchant.business_days or [0, 1, 2, 3, 4])
    day = local_day + dt.timedelta(days=1)
    while day.weekday() not in business_days:
        day += dt.timedelta(days=1)
    start = merchant.business_hours_start
    if isinstance(start, str):
        start = dt.time.fromisoformat(start)
    return dt.datetime.combine(day, start, tzinfo=tz)
