"""Bar and line charts as SVG geometry, drawn by templates/reports/_chart.html: no JavaScript, they print
as vectors and need no library. Pure functions of the numbers; colours come from classes in reports.css,
and each series also differs by its pattern or marker, so that colour is never the only signal."""

import math
from dataclasses import dataclass, field

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 52, 8, 12, 36


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    series: int
    value: float
    title: str


@dataclass(frozen=True)
class Line:
    series: int
    points: str
    dots: tuple[tuple[float, float, str], ...]


@dataclass
class Chart:
    title: str
    legend: list[tuple[int, str]]
    width: int = WIDTH
    height: int = HEIGHT
    bars: list[Bar] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    y_ticks: list[tuple[float, str]] = field(default_factory=list)
    x_labels: list[tuple[float, str]] = field(default_factory=list)
    left: int = LEFT
    right_edge: int = WIDTH - RIGHT
    baseline: int = HEIGHT - BOTTOM

    @property
    def is_empty(self) -> bool:
        return not self.bars and not self.lines


def _format(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def axis_ticks(top_value: float, whole: bool) -> tuple[list[float], int]:
    """At most five ticks from 0, a round step apart (1, 2 or 5 times a power of ten), the last at or
    above top_value, and the decimals that tell them apart. Counts of people (whole) step by 1 at least:
    no axis shows a fraction of a person, and no two ticks read the same after rounding."""
    top_value = max(top_value, 1 if whole else 0) or 1
    power = 10 ** math.floor(math.log10(top_value / 4))
    step = next(s * power for s in (1, 2, 5, 10) if 4 * s * power >= top_value)
    if whole:
        step = max(1, round(step))
    decimals = max(0, -math.floor(math.log10(step) + 1e-9))
    count = math.ceil(round(top_value / step, 9))
    return [round(step * n, decimals) for n in range(count + 1)], decimals


def _axes(
    chart: Chart, top_value: float, categories: list[str], slot: float, every: int, whole: bool
) -> float:
    ticks, decimals = axis_ticks(top_value, whole)
    maximum = ticks[-1]
    plot_height = chart.baseline - TOP
    chart.y_ticks = [(chart.baseline - plot_height * t / maximum, f"{t:.{decimals}f}") for t in ticks]
    chart.x_labels = [
        (chart.left + slot * (n + 0.5), label) for n, label in enumerate(categories) if n % every == 0
    ]
    return plot_height / maximum


def bar_chart(
    title: str, categories: list[str], series: list[tuple[str, list[float]]], whole: bool = False
) -> Chart:
    """Grouped bars: one group per category, one bar per series; `whole` for counts."""
    chart = Chart(title=title, legend=[(n, name) for n, (name, _values) in enumerate(series)])
    if not categories:
        return chart
    slot = (chart.right_edge - chart.left) / len(categories)
    top_value = max((v for _name, values in series for v in values), default=0)
    scale = _axes(chart, top_value, categories, slot, max(1, math.ceil(len(categories) / 16)), whole)
    width = slot * 0.8 / len(series)
    for n, category in enumerate(categories):
        for s, (name, values) in enumerate(series):
            value = values[n]
            height = value * scale
            chart.bars.append(
                Bar(
                    x=round(chart.left + slot * n + slot * 0.1 + width * s, 2),
                    y=round(chart.baseline - height, 2),
                    width=round(width, 2),
                    height=round(height, 2),
                    series=s,
                    value=value,
                    title=f"{category} {name}: {_format(value)}",
                )
            )
    return chart


def line_chart(
    title: str, categories: list[str], series: list[tuple[str, list[float | None]]], whole: bool = False
) -> Chart:
    """One line per series; missing values (None) break nothing, they are skipped; `whole` for counts."""
    chart = Chart(title=title, legend=[(n, name) for n, (name, _values) in enumerate(series)])
    if not categories:
        return chart
    slot = (chart.right_edge - chart.left) / len(categories)
    top_value = max((v for _name, values in series for v in values if v is not None), default=0)
    scale = _axes(chart, top_value, categories, slot, max(1, math.ceil(len(categories) / 10)), whole)
    for s, (name, values) in enumerate(series):
        dots = tuple(
            (
                round(chart.left + slot * (n + 0.5), 2),
                round(chart.baseline - value * scale, 2),
                f"{categories[n]} {name}: {_format(value)}",
            )
            for n, value in enumerate(values)
            if value is not None
        )
        chart.lines.append(Line(series=s, points=" ".join(f"{x},{y}" for x, y, _t in dots), dots=dots))
    return chart
