"""Charts drawn on the server as SVG geometry: no JavaScript, no CDN, nothing the CSP forbids.

A chart here is numbers in, coordinates out (a pure function of plain data); the template
draws the shapes with SVG presentation attributes (no `style`) and puts a <table> with the
same numbers beside it for screen readers. The SVG itself is `aria-hidden`, so nothing is
read twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final

from django.utils import formats
from django.utils.translation import gettext

BAR_WIDTH: Final = 640  # the SVG's viewBox width; it scales with the page
BAR_HEIGHT: Final = 28
BAR_GAP: Final = 12
LABEL_WIDTH: Final = 150
LINE_WIDTH: Final = 640
LINE_HEIGHT: Final = 220
PAD: Final = 32


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    y: int
    width: float  # the bar's length in viewBox units
    text_x: float  # where its number is written


@dataclass(frozen=True)
class BarChart:
    bars: list[Bar]
    width: int
    height: int
    label_width: int
    bar_height: int
    maximum: int


def bar_chart(rows: Sequence[tuple[str, int]]) -> BarChart:
    """Horizontal bars, one per (label, value), scaled to the largest value."""
    maximum = max((value for _, value in rows), default=0)
    room = BAR_WIDTH - LABEL_WIDTH - 60  # leaves space for the number after the bar
    bars = []
    for index, (label, value) in enumerate(rows):
        width = room * value / maximum if maximum else 0.0
        bars.append(
            Bar(
                label=label,
                value=value,
                y=index * (BAR_HEIGHT + BAR_GAP),
                width=round(width, 1),
                text_x=round(LABEL_WIDTH + width + 8, 1),
            )
        )
    height = max(len(rows) * (BAR_HEIGHT + BAR_GAP) - BAR_GAP, BAR_HEIGHT)
    return BarChart(bars, BAR_WIDTH, height, LABEL_WIDTH, BAR_HEIGHT, maximum)


@dataclass(frozen=True)
class Tick:
    label: str
    x: float
    y: float


@dataclass(frozen=True)
class LineChart:
    points: str  # for <polyline points="…">
    area: str  # the same line closed along the bottom, for a filled <polygon>
    width: int
    height: int
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    top: int
    bottom: float
    left: float
    right: float
    empty: bool


def _nice_ceiling(value: int) -> int:
    """The next "round" number at or above `value` (1, 2 or 5 times a power of ten)."""
    if value <= 0:
        return 1
    magnitude = 1
    while magnitude * 10 <= value:
        magnitude *= 10
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude  # pragma: no cover (the loop always returns)


def line_chart(
    series: Sequence[tuple[date, int]],
    *,
    x_labels: int = 4,
    label_format: str | None = None,
    ceiling: int | None = None,
) -> LineChart:
    """One line of (day or hour, value) points, with a y axis from 0 to a round maximum.

    `label_format` is a Django date format ("H:i"); the default is a short day ("Jan 5" in
    English), in the active language. `ceiling` puts a second line on the same scale as a
    first one (see `line_pair`).
    """
    # Translators: the chart's day labels (Django's date filter syntax), e.g. "Jan 5".
    label_format = label_format or gettext("M j")
    left, right = float(PAD + 24), float(LINE_WIDTH - PAD / 2)
    top, bottom = PAD // 2, float(LINE_HEIGHT - PAD)
    if not series:
        return LineChart("", "", LINE_WIDTH, LINE_HEIGHT, [], [], top, bottom, left, right, True)
    if ceiling is None:
        ceiling = _nice_ceiling(max(value for _, value in series))
    span = max(len(series) - 1, 1)

    def x_at(index: int) -> float:
        return round(left + (right - left) * index / span, 1)

    def y_at(value: int) -> float:
        return round(bottom - (bottom - top) * value / ceiling, 1)

    coords = [(x_at(i), y_at(value)) for i, (_, value) in enumerate(series)]
    points = " ".join(f"{x},{y}" for x, y in coords)
    area = f"{coords[0][0]},{bottom} {points} {coords[-1][0]},{bottom}"
    step = max(len(series) // max(x_labels, 1), 1)
    chosen = sorted({*range(0, len(series), step), len(series) - 1})
    x_ticks = [
        Tick(formats.date_format(series[i][0], label_format), x_at(i), bottom + 18) for i in chosen
    ]
    y_ticks = [
        Tick(
            formats.number_format(ceiling * part // 4, force_grouping=True),
            left - 6,
            y_at(ceiling * part // 4),
        )
        for part in range(5)
    ]
    return LineChart(
        points, area, LINE_WIDTH, LINE_HEIGHT, x_ticks, y_ticks, top, bottom, left, right, False
    )


def line_pair(
    first: Sequence[tuple[date, int]],
    second: Sequence[tuple[date, int]],
    *,
    label_format: str | None = None,
) -> tuple[LineChart, LineChart]:
    """Two lines over the same points in time, drawn on one y scale (the larger line's)."""
    values = [value for _, value in first] + [value for _, value in second]
    ceiling = _nice_ceiling(max(values, default=0))
    return (
        line_chart(first, label_format=label_format, ceiling=ceiling),
        line_chart(second, label_format=label_format, ceiling=ceiling),
    )
