"""One way to show money and one to show a time on every dashboard screen.

`{% load dashboard_format %}`: `{{ order.total|money:order.currency }}` writes the amount
as the viewer's language reads it (12.995,00 kr. in da, DKK 12,995.00 in en), the same
format buyers see; `{{ when|local_datetime }}`, `|local_date`, `|local_time` and
`|local_day` write a moment in the merchant's time zone (dashboard views run in it:
see `merchant_required`), never UTC. Python code that builds dashboard text calls
the same functions.
"""

import datetime as dt

from django import template
from django.utils import dateformat, timezone, translation

from postpurchase.formatting import format_money

register = template.Library()

# Same year: weekday, day, month and time; another year: with the year instead of the weekday.
DATETIME = {"en": "D j M, H:i", "da": "D j. b, H:i", "de": "D, j. M, H:i"}
DATETIME_YEAR = {"en": "j M Y, H:i", "da": "j. b Y, H:i", "de": "j. M Y, H:i"}
DATE = {"en": "j M Y", "da": "j. M Y", "de": "j. M Y"}
DAY = {"en": "l j F", "da": "l \\d\\e\\n j. F", "de": "l, j. F"}
TIME = "H:i"


def _lang() -> str:
    lang = (translation.get_language() or "en").split("-")[0]
    return lang if lang in DATETIME else "en"


def _local(value):
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


@register.filter
def money(amount, currency="") -> str:
    """12.995,00 kr. / DKK 12,995.00; empty for no amount."""
    if amount in (None, ""):
        return ""
    return format_money(amount, currency or "", _lang())


@register.filter
def local_datetime(value) -> str:
    if not value:
        return ""
    value = _local(value)
    now = timezone.localtime()
    table = DATETIME if value.year == now.year else DATETIME_YEAR
    return dateformat.format(value, table[_lang()])


@register.filter
def local_date(value) -> str:
    return dateformat.format(_local(value), DATE[_lang()]) if value else ""


@register.filter
def local_day(value) -> str:
    """A day as a heading: Sunday 6 December."""
    return dateformat.format(_local(value), DAY[_lang()]) if value else ""


@register.filter
def local_time(value) -> str:
    return dateformat.format(_local(value), TIME) if value else ""
