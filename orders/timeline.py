"""The order timeline, made readable: runs of tracking-page visits and the skipped messages fold into one row each.

A buyer who checks the page five times in an hour, or has no SMS consent for six
shipment updates, would otherwise push the story (the scans, the call, the rating)
off the screen. Each folded row keeps its parts for a <details> list.
"""

from collections import Counter

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from postpurchase.templatetags.dashboard_format import local_datetime


def timeline_group(entries: list[dict]) -> list[dict]:
    """`entries` (sorted oldest first) with visit runs and skipped messages folded.

    Visits fold while nothing else happens between them, so the timeline still shows
    when the buyer looked (right after "Delayed", say). Skipped messages fold by
    channel, wherever they are: one row, at the time of the last one, with the reasons.
    """
    skipped: dict[tuple, list[dict]] = {}
    for entry in entries:
        if entry.get("type") == "touchpoint" and entry.get("status") == "skipped":
            tp = entry["touchpoint"]
            skipped.setdefault(tp.channel, []).append(entry)
    last_of_group = {id(group[-1]): group for group in skipped.values() if len(group) > 1}
    folded_away = {id(e) for group in last_of_group.values() for e in group[:-1]}

    result: list[dict] = []
    run: list[dict] = []
    for entry in entries:
        if id(entry) in folded_away:
            continue
        if entry.get("type") == "visit":
            run.append(entry)
            continue
        if run:
            result.append(_visits(run))
            run = []
        group = last_of_group.get(id(entry))
        result.append(_skipped(group) if group else entry)
    if run:
        result.append(_visits(run))
    return result


def _visits(run: list[dict]) -> dict:
    if len(run) == 1:
        return run[0]
    sources = Counter(entry["detail"] for entry in run)
    how = " · ".join(f"{source} ×{n}" if n > 1 else source for source, n in sources.items())
    return {
        "at": run[-1]["at"],
        "type": "visit",
        "title": ngettext(
            "Tracking page visited %(n)d time", "Tracking page visited %(n)d times", len(run)
        )
        % {"n": len(run)},
        "detail": _("First %(first)s, last %(last)s · %(how)s")
        % {
            "first": local_datetime(run[0]["at"]),
            "last": local_datetime(run[-1]["at"]),
            "how": how,
        },
        "parts": run,
        "grouped": len(run),
    }


def _skipped(group: list[dict]) -> dict:
    last = group[-1]
    channel = last["touchpoint"].channel
    title = (
        ngettext("%(n)d SMS skipped", "%(n)d SMS skipped", len(group))
        if channel == "sms"
        else ngettext("%(n)d email skipped", "%(n)d emails skipped", len(group))
    ) % {"n": len(group)}
    return {
        "at": last["at"],
        "type": "touchpoint",
        "title": title,
        "status": "skipped",
        "status_label": last.get("status_label", ""),
        "detail": " · ".join(dict.fromkeys(e["detail"] for e in group if e.get("detail"))),
        "parts": group,
        "grouped": len(group),
    }
