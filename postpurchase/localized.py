"""Merchant texts in the buyer's language: a {locale: text} map read with one fallback order.

The buyer's language first, then the merchant's default language, then any text the
merchant gave (a German banner beats no banner for a Danish buyer of a German shop),
then the single text stored before texts were per language.
"""

from django.conf import settings

LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]


def localized_text(texts, *, locale: str, default_locale: str, fallback: str = "") -> str:
    """The text of `texts` ({locale: text}) for a reader of `locale`."""
    texts = texts if isinstance(texts, dict) else {}
    for code in (locale, default_locale, *LANGUAGE_CODES, *sorted(texts)):
        value = str(texts.get(code) or "").strip()
        if value:
            return value
    return (fallback or "").strip()


def clean_texts(texts: dict) -> dict:
    """Only known languages with a non-blank text, stripped: what gets stored."""
    return {
        code: str(texts[code]).strip()
        for code in LANGUAGE_CODES
        if code in texts and str(texts[code] or "").strip()
    }
