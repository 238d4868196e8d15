"""SMS quiet hours: no texts at night in the buyer's time zone (else the merchant's)."""

import datetime as dt
import zoneinfo

from notifications.models import default_quiet_end, default_quiet_start


def _zone(*, merchant, customer) -> zoneinfo.ZoneInfo:
    name = getattr(customer, "timezone", "") or merchant.timezone
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return merchant.tzinfo


def _window(merchant) -> tuple[dt.time, dt.time]:
    prefs = getattr(merchant, "messaging_preferences", None)
    if prefs is None:
        return default_quiet_start(), default_quiet_end()
    return prefs.sms_quiet_start, prefs.sms_quiet_end


def quiet_until(*, merchant, customer, at: dt.datetime) -> dt.datetime | None:
    """When quiet hours end if `at` falls inside them, else None.

    The window may span midnight (21:00-08:00). Computed on local wall-clock
    time, so a daylight-saving night still ends at 08:00 local.
    """
    from notifications.models import MessagingPreferences

    try:
        start, end = _window(merchant)
    except MessagingPreferences.DoesNotExist:
        start, end = default_quiet_start(), default_quiet_end()
    if start == end:
        return None
    tz = _zone(merchant=merchant, customer=customer)
    local = at.astimezone(tz)
    now_t = local.time()
    if start < end:
        inside = start <= now_t < end
        end_day = local.date()
    else:
        inside = now_t >= start or now_t < end
        end_day = local.date() + dt.timedelta(days=1) if now_t >= start else local.date()
    if not inside:
        return None
    return dt.datetime.combine(end_day, end, tzinfo=tz).astimezone(dt.UTC)
