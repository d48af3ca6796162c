"""Server-rendered SVG charts: the geometry is computed here and drawn by templates.

No script and no inline style (the CSP forbids both): colours travel as SVG `fill` and
`stroke` presentation attributes. Coordinates are pre-formatted strings, so the
template never depends on number localisation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)


def _n(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class Bar:
    label: str
    value: str
    fill: str
    y: str
    text_y: str
    width: str
    value_x: str


@dataclass(frozen=True)
class BarChart:
    bars: list[Bar]
    width: int
    height: int
    label_x: int
    bar_x: int
    bar_height: int


def bar_chart(
    items: Sequence[tuple[str, float, str]],
    *,
    width: int = 560,
    label_width: int = 150,
    bar_height: int = 18,
    gap: int = 6,
) -> BarChart:
    """Horizontal bars, one per (label, value, colour), scaled to the largest value."""
    room = width - label_width - 50
    top = max((value for _, value, _ in items), default=0) or 1
    bars = []
    for i, (label, value, colour) in enumerate(items):
        y = i * (bar_height + gap)
        length = room * value / top
        bars.append(
            Bar(
                label=label,
                value=_n(value),
                fill=colour,
                y=_n(y),
                text_y=_n(y + bar_height * 0.75),
                width=_n(max(length, 0.5)),
                value_x=_n(label_width + length + 4),
            )
        )
    height = max(len(items) * (bar_height + gap), bar_height)
    return BarChart(bars, width, height, label_width - 6, label_width, bar_height)


@dataclass(frozen=True)
class Series:
    name: str
    colour: str
    points: str
    last: int


@dataclass(frozen=True)
class Tick:
    at: str
    label: str


@dataclass(frozen=True)
class LineChart:
    series: list[Series]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    width: int
    height: int
    left: int
    bottom: int


def cumulative_chart(
    counts: Mapping[str, Mapping[date, int]],
    *,
    width: int = 640,
    height: int = 260,
    left: int = 40,
    bottom: int = 24,
) -> LineChart | None:
    """One step line per name: the running total of its counts by day."""
    days = sorted({day for per_day in counts.values() for day in per_day})
    if not days:
        return None
    first, span = days[0], max((days[-1] - days[0]).days, 1)
    totals = {name: sum(per_day.values()) for name, per_day in counts.items()}
    top = max(totals.values()) or 1
    plot_w, plot_h = width - left - 10, height - bottom - 10

    def x(day: date) -> float:
        return left + plot_w * (day - first).days / span

    def y(total: int) -> float:
        return 10 + plot_h * (1 - total / top)

    series = []
    for i, (name, per_day) in enumerate(sorted(counts.items())):
        running, points = 0, [f"{_n(x(first))},{_n(y(0))}"]
        for day in sorted(per_day):
            points.append(f"{_n(x(day))},{_n(y(running))}")
            running += per_day[day]
            points.append(f"{_n(x(day))},{_n(y(running))}")
        points.append(f"{_n(x(days[-1]))},{_n(y(running))}")
        series.append(
            Series(name, PALETTE[i % len(PALETTE)], " ".join(points), running)
        )
    x_ticks = [Tick(_n(x(day)), day.isoformat()) for day in {days[0], days[-1]}]
    y_ticks = [Tick(_n(y(value)), str(value)) for value in sorted({0, top // 2, top})]
    return LineChart(
        series,
        sorted(x_ticks, key=lambda t: t.label),
        y_ticks,
        width,
        height,
        left,
        bottom,
    )


@dataclass(frozen=True)
class Cell:
    x: str
    y: str
    text_x: str
    text_y: str
    count: int
    fill: str
    dark: bool


@dataclass(frozen=True)
class Heatmap:
    labels: list[Tick]  # positions along both axes
    cells: list[Cell]
    size: int
    cell: int
    margin: int
    total: int


def _shade(share: float) -> str:
    """White to a dark blue as `share` goes from 0 to 1."""
    low, high = (255, 255, 255), (31, 78, 161)
    rgb = (round(a + (b - a) * share) for a, b in zip(low, high, strict=True))
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def heatmap(
    labels: Sequence[str], counts: Mapping[tuple[int, int], int], *, cell: int = 44
) -> Heatmap | None:
    """A square matrix of counts between label indices (row, column)."""
    if not counts:
        return None
    margin = 110
    top = max(counts.values()) or 1
    cells = []
    for (row, column), count in counts.items():
        share = count / top
        cells.append(
            Cell(
                x=_n(margin + column * cell),
                y=_n(margin + row * cell),
                text_x=_n(margin + column * cell + cell / 2),
                text_y=_n(margin + row * cell + cell / 2 + 4),
                count=count,
                fill=_shade(share),
                dark=share > 0.5,
            )
        )
    ticks = [
        Tick(_n(margin + i * cell + cell / 2), label) for i, label in enumerate(labels)
    ]
    return Heatmap(
        ticks, cells, margin + len(labels) * cell, cell, margin, sum(counts.values())
    )


@dataclass(frozen=True)
class Dot:
    cx: str
    cy: str
    label: str


@dataclass(frozen=True)
class PointSeries(Series):
    """A line with a dot at each point (a single run draws no line)."""

    dots: tuple[Dot, ...] = ()


def points_chart(
    series: Mapping[str, Sequence[tuple[float, float]]],
    *,
    top: float = 1.0,
    width: int = 640,
    height: int = 260,
    left: int = 40,
    bottom: int = 24,
) -> LineChart | None:
    """One line per name through its (x, y) points, y from 0 to `top` (a score's
    0..1), x from 0 to the largest x: e.g. F1 against training size."""
    xs = [x for points in series.values() for x, _ in points]
    if not xs:
        return None
    right = max(xs) or 1
    plot_w, plot_h = width - left - 10, height - bottom - 10

    def at(x: float, y: float) -> tuple[str, str]:
        return _n(left + plot_w * x / right), _n(10 + plot_h * (1 - y / top))

    lines = [
        PointSeries(
            name,
            PALETTE[i % len(PALETTE)],
            " ".join(",".join(at(x, y)) for x, y in sorted(points)),
            len(points),
            tuple(Dot(*at(x, y), f"{_n(x)}: {y:.3f}") for x, y in sorted(points)),
        )
        for i, (name, points) in enumerate(sorted(series.items()))
    ]
    x_ticks = [
        Tick(_n(left + plot_w * x / right), _n(x))
        for x in sorted({0, right / 2, right})
    ]
    y_ticks = [Tick(_n(10 + plot_h * (1 - y / top)), _n(y)) for y in (0, top / 2, top)]
    return LineChart(lines, x_ticks, y_ticks, width, height, left, bottom)
