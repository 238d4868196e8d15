"""Dates, times and prices as a Danish, German or English buyer expects to read them.

Babel is not a dependency: Django's translated month and day names plus a small
table of patterns and currency symbols cover the three languages we serve.
"""

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from django.utils import dateformat, translation

DATE_LONG = {"en": "l, F j", "da": "l \\d\\e\\n j. F", "de": "l, j. F"}
DATE_LONG_YEAR = {"en": "F j, Y", "da": "j. F Y", "de": "j. F Y"}
DATE_SHORT = {"en": "D, M j", "da": "D j. b", "de": "D, j. M"}
TIME = {"en": "g:i A", "da": "H:i", "de": "H:i"}
SEPARATORS = {"en": (".", ","), "da": (",", "."), "de": (",", ".")}

SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "DKK": "kr.", "SEK": "kr", "NOK": "kr", "CHF": "CHF"}
PREFIX_IN_EN = {"EUR", "USD", "GBP"}


def _lang(locale: str) -> str:
    return locale if locale in DATE_LONG else "en"


def format_date(value: date, locale: str, *, style: str = "long") -> str:
    table = {"long": DATE_LONG, "year": DATE_LONG_YEAR, "short": DATE_SHORT}[style]
    lang = _lang(locale)
    with translation.override(lang):
        return dateformat.format(value, table[lang])


def format_time(value: datetime, locale: str) -> str:
    lang = _lang(locale)
    with translation.override(lang):
        return dateformat.format(value, TIME[lang])


def format_number(amount: Decimal, locale: str, places: int = 2) -> str:
    decimal_sep, group_sep = SEPARATORS[_lang(locale)]
    quantum = Decimal(1).scaleb(-places)
    amount = Decimal(amount).quantize(quantum, rounding=ROUND_HALF_UP)
    sign = "-" if amount < 0 else ""
    whole, _, fraction = f"{abs(amount):f}".partition(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    text = group_sep.join(groups)
    return f"{sign}{text}{decimal_sep}{fraction}" if places else f"{sign}{text}"


def format_money(amount, currency: str, locale: str) -> str:
    """1.299,00 kr. (da), 1.299,00 € (de), €1,299.00 / DKK 1,299.00 (en)."""
    if amount is None:
        return ""
    lang = _lang(locale)
    currency = (currency or "").upper()
    number = format_number(Decimal(amount), lang)
    symbol = SYMBOLS.get(currency, currency)
    nbsp = "\u00a0"
    if lang == "en":
        if currency in PREFIX_IN_EN:
            return f"{symbol}{number}"
        return f"{currency}{nbsp}{number}"
    return f"{number}{nbsp}{symbol}"
