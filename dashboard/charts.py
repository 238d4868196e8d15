"""Server-rendered SVG charts: geometry computed here, drawn by small templates.

No JavaScript and no chart library: the numbers are already in the page, so an SVG
is the cheapest way to draw them and it prints, zooms and screenshots the same.
"""

import math
from dataclasses import dataclass

from django.utils.formats import number_format


def nice_max(value: float) -> float:
    """A round axis maximum at or above `value` (1, 2, 2.5, 5 times 10^n)."""
    if value <= 0:
        return 1
    exponent = math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        candidate = step * 10**exponent
        if candidate >= value:
            return candidate
    return 10 ** (exponent + 1)


def _fmt(value: float) -> str:
    """A short axis or bar label in the viewer's number format: 2,5 and 1,2k in da/de."""
    scaled, suffix = (value, "") if value < 1000 else (value / 1000, "k")
    decimals = len(f"{scaled:g}".partition(".")[2])
    return number_format(scaled, decimals) + suffix


@dataclass
class LineChart:
    width: int
    height: int
    current_path: str
    previous_path: str
    area_path: str
    gridlines: list  # (y, label)
    xlabels: list  # (x, label)
    points: list  # (x, y, value, label) of the current series
    total_current: int
    total_previous: int


def line_chart(
    *, labels: list[str], current: list[float], previous: list[float], width=640, height=220
):
    left, right, top, bottom = 36, 24, 12, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = nice_max(max([*current, *previous, 0]))
    n = max(len(current), 2)

    def x(i):
        return left + plot_w * i / (n - 1)

    def y(v):
        return top + plot_h * (1 - v / top_value)

    def path(values):
        return " ".join(
            f"{'M' if i == 0 else 'L'}{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values)
        )

    current_path = path(current)
    area = (
        f"{current_path} L{x(len(current) - 1):.1f},{y(0):.1f} L{x(0):.1f},{y(0):.1f} Z"
        if current
        else ""
    )
    gridlines = [(round(y(top_value * f), 1), _fmt(top_value * f)) for f in (0, 0.5, 1)]
    step = max(1, math.ceil(len(labels) / 8))
    xlabels = [(round(x(i), 1), label) for i, label in enumerate(labels) if i % step == 0]
    points = [(round(x(i), 1), round(y(v), 1), v, labels[i]) for i, v in enumerate(current)]
    return LineChart(
        width=width,
        height=height,
        current_path=current_path,
        previous_path=path(previous[: len(current)]),
        area_path=area,
        gridlines=gridlines,
        xlabels=xlabels,
        points=points,
        total_current=sum(current),
        total_previous=sum(previous),
    )


@dataclass
class Bar:
    label: str
    x: float
    width: float
    current_y: float
    current_h: float
    previous_x: float
    previous_y: float
    previous_h: float
    current: float
    previous: float
    display: str
    center: float


def bar_chart(*, rows: list[tuple[str, float, float]], width=640, height=220, percent=False):
    """Grouped bars: each row is (label, current, previous)."""
    left, right, top, bottom = 36, 12, 18, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for _label, cur, prev in rows for v in (cur or 0, prev or 0)]
    top_value = 1.0 if percent else nice_max(max([*values, 0]))
    slot = plot_w / max(len(rows), 1)
    bar_w = min(34.0, slot * 0.32)
    bars = []
    for index, (label, cur, prev) in enumerate(rows):
        cur, prev = cur or 0, prev or 0
        center = left + slot * (index + 0.5)
        cur_h = plot_h * cur / top_value
        prev_h = plot_h * prev / top_value
        bars.append(
            Bar(
                label=label,
                x=round(center - bar_w - 2, 1),
                width=round(bar_w, 1),
                current_y=round(top + plot_h - cur_h, 1),
                current_h=round(cur_h, 1),
                previous_x=round(center + 2, 1),
                previous_y=round(top + plot_h - prev_h, 1),
                previous_h=round(prev_h, 1),
                current=cur,
                previous=prev,
                display=f"{cur * 100:.0f}%" if percent else _fmt(cur),
                center=round(center, 1),
            )
        )
    gridlines = [
        (round(top + plot_h * (1 - f), 1), f"{f * 100:.0f}%" if percent else _fmt(top_value * f))
        for f in (0, 0.5, 1)
    ]
    return {
        "width": width,
        "height": height,
        "bars": bars,
        "gridlines": gridlines,
        "baseline": top + plot_h,
        "bar_gap": 4,
    }
