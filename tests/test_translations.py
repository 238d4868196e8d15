"""Translations agree across apps, and every catalogue is complete and compiled.

Django merges every app's catalogue into one, so a msgid translated differently in
two apps silently shows one app's wording in the other's pages. Strings that must
read differently take a context (`{% translate "…" context "…" %}`).

The catalogues are read with the standard library only: compiled .mo files through
`gettext`, the .po sources through a small reader of the few lines that matter.
"""

import ast
import gettext
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LANGS = ["da", "de"]


def _files(lang: str, suffix: str) -> list[Path]:
    found = ROOT.glob(f"**/locale/{lang}/LC_MESSAGES/django.{suffix}")
    return sorted(p for p in found if ".venv" not in p.parts)


def _app(path: Path) -> str:
    """The directory holding `locale/`: "locale" for the project's, else e.g. "notifications/webhooks_out"."""
    parts = path.relative_to(ROOT).parts
    return "/".join(parts[: parts.index("locale")]) or "locale"


def _catalogues(lang: str) -> dict[str, dict[str, str]]:
    found = {}
    for mo in _files(lang, "mo"):
        with mo.open("rb") as handle:
            catalogue = gettext.GNUTranslations(handle)._catalog
        found[_app(mo)] = {k: v for k, v in catalogue.items() if isinstance(k, str) and k and v}
    return found


def _po_entries(po: Path) -> list[dict]:
    """Live entries of a .po file: msgctxt, msgid, msgid_plural, msgstr(s) and fuzzy flag."""
    entries = []
    for block in po.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.splitlines() if line and not line.startswith("#~")]
        fields, current = {}, None
        for line in lines:
            if line.startswith("#"):
                continue
            if line.startswith('"'):
                fields[current] += ast.literal_eval(line)
            else:
                current, _space, value = line.partition(" ")
                fields[current] = ast.literal_eval(value)
        if fields.get("msgid"):
            fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in lines)
            entries.append({**fields, "fuzzy": fuzzy})
    return entries


def _label(entry: dict) -> str:
    context = f"[{entry['msgctxt']}] " if "msgctxt" in entry else ""
    return context + repr(entry["msgid"])


@pytest.mark.parametrize("lang", LANGS)
def test_every_app_has_a_compiled_catalogue(lang):
    apps = set(_catalogues(lang))
    assert {
        "locale",
        "notifications",
        "notifications/webhooks_out",
        "orders/integrations",
        "tracking",
        "followups",
    } <= apps
    assert {_app(po) for po in _files(lang, "po")} == apps


@pytest.mark.parametrize("lang", LANGS)
def test_every_string_is_translated_and_none_is_fuzzy(lang):
    gaps = []
    for po in _files(lang, "po"):
        for entry in _po_entries(po):
            texts = [v for k, v in entry.items() if k.startswith("msgstr")]
            if entry["fuzzy"] or not texts or not all(texts):
                state = "fuzzy" if entry["fuzzy"] else "untranslated"
                gaps.append(f"{_app(po)}: {state} {_label(entry)}")
    assert not gaps, f"{len(gaps)} to translate:\n" + "\n".join(gaps)


@pytest.mark.parametrize("lang", LANGS)
def test_compiled_catalogues_match_their_sources(lang):
    """A .po edited without compilemessages leaves the pages in the old wording."""
    stale = []
    for po in _files(lang, "po"):
        with po.with_suffix(".mo").open("rb") as handle:
            compiled = gettext.GNUTranslations(handle)._catalog
        for entry in _po_entries(po):
            msgid = entry["msgid"]
            if "msgctxt" in entry:
                msgid = f"{entry['msgctxt']}\x04{msgid}"
            if "msgid_plural" in entry:
                wanted = {(msgid, 0): entry.get("msgstr[0]"), (msgid, 1): entry.get("msgstr[1]")}
            else:
                wanted = {msgid: entry.get("msgstr")}
            if any(compiled.get(key) != text for key, text in wanted.items()):
                stale.append(f"{_app(po)}: {_label(entry)}")
    assert not stale, "run compilemessages:\n" + "\n".join(stale)


@pytest.mark.parametrize("lang", LANGS)
def test_a_string_reads_the_same_in_every_app(lang):
    seen: dict[str, tuple[str, str]] = {}
    clashes = []
    for app, catalogue in _catalogues(lang).items():
        for msgid, text in catalogue.items():
            if msgid in seen and seen[msgid][1] != text:
                clashes.append(f"{msgid!r}: {seen[msgid][0]}={seen[msgid][1]!r}, {app}={text!r}")
            seen.setdefault(msgid, (app, text))
    assert not clashes, "\n".join(clashes)
