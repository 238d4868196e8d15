"""Translations agree across apps.

Django merges every app's catalogue into one, so a msgid translated differently in
two apps silently shows one app's wording in the other's pages. Strings that must
read differently take a context (`{% translate "…" context "…" %}`).
"""

import gettext
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _catalogues(lang: str) -> dict[str, dict[str, str]]:
    found = {}
    for mo in sorted(ROOT.glob(f"**/locale/{lang}/LC_MESSAGES/django.mo")):
        if ".venv" in mo.parts:
            continue
        with mo.open("rb") as handle:
            catalogue = gettext.GNUTranslations(handle)._catalog
        found[str(mo.relative_to(ROOT).parts[0])] = {
            k: v for k, v in catalogue.items() if isinstance(k, str) and k and v
        }
    return found


@pytest.mark.parametrize("lang", ["da", "de"])
def test_every_app_has_a_compiled_catalogue(lang):
    apps = set(_catalogues(lang))
    assert {"notifications", "tracking", "followups"} <= apps


@pytest.mark.parametrize("lang", ["da", "de"])
def test_a_string_reads_the_same_in_every_app(lang):
    seen: dict[str, tuple[str, str]] = {}
    clashes = []
    for app, catalogue in _catalogues(lang).items():
        for msgid, text in catalogue.items():
            if msgid in seen and seen[msgid][1] != text:
                clashes.append(f"{msgid!r}: {seen[msgid][0]}={seen[msgid][1]!r}, {app}={text!r}")
            seen.setdefault(msgid, (app, text))
    assert not clashes, "\n".join(clashes)
