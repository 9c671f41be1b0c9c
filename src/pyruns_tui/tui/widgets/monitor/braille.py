"""BrailleChart: line charts drawn with braille dots (2x4 dots per cell), no plotting dependency.

`render_chart` is pure (series in, rich Text lines out) so it is tested without a screen;
`BrailleChart` is the widget that shows it at its current size.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import islice

from rich.text import Text
from textual.widget import Widget

PALETTE = ("cyan", "magenta", "yellow", "green", "red", "blue", "bright_white", "bright_green")
_DOT_BITS = ((0x01, 0x02, 0x04, 0x40), (0x08, 0x10, 0x20, 0x80))  # [dx][dy]
_BRAILLE_BASE = 0x2800


@dataclass(frozen=True)
class Series:
    """One line of a chart: `(x, y)` points in x order; NaN y breaks the line."""

    label: str
    points: Sequence[tuple[float, float]]
    color: str = "cyan"


@dataclass(frozen=True)
class Marker:
    """A vertical mark at `x` (e.g. where a stage starts), labelled."""

    x: float
    label: str


@dataclass
class _Canvas:
    """A grid of braille cells; each cell keeps its dots and the colour of its last writer."""

    cols: int
    rows: int
    bits: list[int] = field(default_factory=list)
    colors: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.bits = [0] * (self.cols * self.rows)
        self.colors = [-1] * (self.cols * self.rows)

    def dot(self, x: int, y: int, color: int) -> None:
        """Set the dot at dot coordinates (x right, y down)."""
        if 0 <= x < self.cols * 2 and 0 <= y < self.rows * 4:
            cell = (y >> 2) * self.cols + (x >> 1)
            self.bits[cell] |= _DOT_BITS[x & 1][y & 3]
            self.colors[cell] = color

    def cell(self, x: int, y: int, color: int) -> None:
        """Fill the whole cell holding dot (x, y): a marker that one dot would be too small for."""
        if 0 <= x < self.cols * 2 and 0 <= y < self.rows * 4:
            cell = (y >> 2) * self.cols + (x >> 1)
            self.bits[cell] = 0xFF
            self.colors[cell] = color

    def line(self, x0: int, y0: int, x1: int, y1: int, color: int) -> None:
        """Bresenham line between two dots."""
        dx, dy = abs(x1 - x0), -abs(y1 - y0)
        sx, sy = (1 if x0 < x1 else -1), (1 if y0 < y1 else -1)
        err = dx + dy
        while True:
            self.dot(x0, y0, color)
            if x0 == x1 and y0 == y1:
                return
            e2 = 2 * err
            if e2 >= dy:
                err += dy
                x0 += sx
            if e2 <= dx:
                err += dx
                y0 += sy


def nice_number(value: float) -> str:
    """A short label for an axis value: `0.123`, `1.2e-05`, `12.3k`, `3`."""
    if value != value:
        return "nan"
    magnitude = abs(value)
    if magnitude == 0:
        return "0"
    if magnitude >= 1e6 or magnitude < 1e-3:
        return f"{value:.2g}"
    if magnitude >= 1e4:
        return f"{value / 1e3:.1f}k"
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.4g}"


def data_bounds(series: Sequence[Series]) -> tuple[float, float, float, float] | None:
    """(xmin, xmax, ymin, ymax) over the finite points of all series, or None when there are none."""
    xs: list[float] = []
    ys: list[float] = []
    for s in series:
        for x, y in s.points:
            if math.isfinite(x) and math.isfinite(y):
                xs.append(x)
                ys.append(y)
    if not xs:
        return None
    return min(xs), max(xs), min(ys), max(ys)


def padded(bounds: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """`data_bounds` widened where all points share one x (a metric logged once) or one y, so that
    they are drawn in the middle of a range."""
    xmin, xmax, ymin, ymax = bounds
    if xmin == xmax:
        xmin, xmax = xmin - 1, xmax + 1
    if ymin == ymax:
        pad = abs(ymin) * 0.1 or 1.0
        ymin, ymax = ymin - pad, ymax + pad
    return xmin, xmax, ymin, ymax


def _draw_series(canvas: _Canvas, points: Sequence[tuple[float, float]], color: int,
                 bounds: tuple[float, float, float, float]) -> None:
    """Plot one series: per dot column its min..max, joined to the neighbouring columns; a
    series of one point is a whole cell (`⣿`), not a dot nobody sees."""
    xmin, xmax, ymin, ymax = bounds
    width_dots, height_dots = canvas.cols * 2 - 1, canvas.rows * 4 - 1
    sx = width_dots / (xmax - xmin)
    sy = height_dots / (ymax - ymin)
    prev: tuple[int, int] | None = None
    column = -1
    low = high = 0
    finite = list(islice(((x, y) for x, y in points if math.isfinite(x) and math.isfinite(y)), 2))
    if len(finite) == 1:
        x, y = finite[0]
        canvas.cell(round((x - xmin) * sx), height_dots - round((y - ymin) * sy), color)
        return
    for x, y in points:
        if not (math.isfinite(x) and math.isfinite(y)):
            prev = None
            continue
        dx = round((x - xmin) * sx)
        dy = height_dots - round((y - ymin) * sy)
        if dx == column and prev is not None:
            if dy < low or dy > high:
                low, high = min(low, dy), max(high, dy)
                canvas.line(dx, low, dx, high, color)
            prev = (dx, dy)
            continue
        if prev is not None:
            canvas.line(prev[0], prev[1], dx, dy, color)
        else:
            canvas.dot(dx, dy, color)
        column, low, high = dx, dy, dy
        prev = (dx, dy)


def render_chart(series: Sequence[Series], width: int, height: int, *, title: str = "",
                 markers: Sequence[Marker] = (), x_label: str = "") -> list[Text]:
    """The chart as `height` lines of `width` cells: legend, plot with a y axis, x labels (the
    first and last x, `x_label` between them when it fits)."""
    if width < 12 or height < 4:
        return [Text(title[:width], no_wrap=True)] + [Text("") for _ in range(max(0, height - 1))]
    legend = Text(no_wrap=True, overflow="ellipsis")
    legend.append(title, style="bold")
    for s in series:
        legend.append("  ━ ", style=s.color)
        legend.append(s.label)
    lines = [legend]
    bounds = data_bounds(series)
    plot_rows = height - 2
    if bounds is None:
        lines.append(Text("  no data yet", style="dim"))
        lines += [Text("") for _ in range(height - len(lines))]
        return lines
    only = bounds[0] if bounds[0] == bounds[1] else None  # the one x of every point
    bounds = padded(bounds)
    xmin, xmax, ymin, ymax = bounds
    labels = [nice_number(ymax), nice_number((ymin + ymax) / 2), nice_number(ymin)]
    gutter = max(len(label) for label in labels) + 1
    cols = width - gutter
    canvas = _Canvas(cols, plot_rows)
    colors = [s.color for s in series]
    for index, s in enumerate(series):
        _draw_series(canvas, s.points, index, bounds)
    marker_cols = {}
    for marker in markers:
        if xmin <= marker.x <= xmax:
            marker_cols[round((marker.x - xmin) / (xmax - xmin) * (cols * 2 - 1)) // 2] = marker.label
    label_rows = {0: labels[0], plot_rows // 2: labels[1], plot_rows - 1: labels[2]}
    for row in range(plot_rows):
        line = Text(no_wrap=True)
        line.append(label_rows.get(row, "").rjust(gutter - 1), style="dim")
        line.append("┤" if row in label_rows else "│", style="dim")
        _append_cells(line, canvas, row, marker_cols, colors)
        lines.append(line)
    _label_markers(lines[1], gutter, marker_cols, cols)
    axis = _x_axis(xmin, xmax, gutter, cols, x_label) if only is None else _one_x_axis(only, gutter, cols, x_label)
    lines.append(Text(axis[:width], style="dim", no_wrap=True))
    return lines


def _x_axis(xmin: float, xmax: float, gutter: int, cols: int, x_label: str) -> str:
    """The first and last x under the plot, `x_label` between them when it fits."""
    left, right = nice_number(xmin), nice_number(xmax)
    axis = " " * gutter + left + right.rjust(max(1, cols - len(left)))
    room = cols - len(left) - len(right) - 2
    if x_label and len(x_label) <= room:
        middle = gutter + len(left) + 1 + (room - len(x_label)) // 2
        axis = axis[:middle] + x_label + axis[middle + len(x_label):]
    return axis


def _one_x_axis(x: float, gutter: int, cols: int, x_label: str) -> str:
    """The one x of a chart whose points all have it, under them (`row 30`, `x_label` first when it
    fits): not the ends of the padded range around it (`29 row 31`), which no point has."""
    value = nice_number(x)
    column = round((cols * 2 - 1) / 2) // 2  # where _draw_series puts a point in the middle of the range
    start = max(gutter, min(gutter + column - (len(value) - 1) // 2, gutter + cols - len(value)))
    text = value
    if x_label and start - len(x_label) - 1 >= gutter:
        start -= len(x_label) + 1
        text = f"{x_label} {value}"
    return " " * start + text


def _append_cells(line: Text, canvas: _Canvas, row: int, marker_cols: dict[int, str],
                  colors: list[str]) -> None:
    base = row * canvas.cols
    run: list[str] = []
    run_style = ""
    for col in range(canvas.cols):
        bits = canvas.bits[base + col]
        if bits:
            char, style = chr(_BRAILLE_BASE + bits), colors[canvas.colors[base + col]]
        elif col in marker_cols:
            char, style = "┊", "dim"
        else:
            char, style = " ", ""
        if style != run_style and run:
            line.append("".join(run), style=run_style or None)
            run = []
        run_style = style
        run.append(char)
    if run:
        line.append("".join(run), style=run_style or None)


def _label_markers(first_plot_line: Text, gutter: int, marker_cols: dict[int, str], cols: int) -> None:
    """Write each marker's label just right of its column on the plot's top row, where blank."""
    plain = first_plot_line.plain
    for col, label in sorted(marker_cols.items()):
        start = gutter + col + 1
        end = min(gutter + cols, start + len(label))
        if end > start and not plain[start:end].strip():
            first_plot_line.stylize("dim italic", start, end)
            plain = plain[:start] + label[: end - start] + plain[end:]
    spans = first_plot_line.spans
    first_plot_line.plain = plain
    first_plot_line.spans = spans



class BrailleChart(Widget):
    """A line chart of one or more series drawn with braille dots, with legend and axes.

    Set the data with `set_data`; the chart re-renders only when the data or its size changed.
    Reactive attributes: none (data is set by method so big series are not compared).
    """

    DEFAULT_CSS = """
    BrailleChart { height: 12; width: 1fr; }
    """

    def __init__(self, title: str = "", *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.title = title
        self.series: tuple[Series, ...] = ()
        self.markers: tuple[Marker, ...] = ()
        self.x_label = ""
        self._cache: tuple[tuple[int, int, int], Text] | None = None
        self._data_version = 0

    def set_data(self, series: Sequence[Series], markers: Sequence[Marker] = (), title: str | None = None,
                 x_label: str = "") -> None:
        """Replace what the chart shows (`x_label`: what x is, under the axis) and repaint it."""
        self.series = tuple(series)
        self.markers = tuple(markers)
        self.x_label = x_label
        if title is not None:
            self.title = title
        self._data_version += 1
        self.refresh()

    def render(self) -> Text:
        key = (self.size.width, self.size.height, self._data_version)
        if self._cache is None or self._cache[0] != key:
            lines = render_chart(self.series, self.size.width, self.size.height, title=self.title,
                                 markers=self.markers, x_label=self.x_label)
            self._cache = (key, Text("\n", no_wrap=True).join(lines))
        return self._cache[1]
