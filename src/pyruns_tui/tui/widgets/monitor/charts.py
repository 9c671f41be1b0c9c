"""MetricCharts: every tracked metric of the chosen tasks, one braille chart per metric.

Each metric is plotted against its step (`pr.log(..., step=)`, or the step an output line named),
else against its row in metrics.jsonl; the x axis says which (`x_label`); a metric with points of
both kinds is drawn with those of the kind most of its points are, the x axis saying how many
of the others were left out (a row is no step: joined up they would draw lines back and forth
across the chart); stage boundaries
(where the logged `stage` changes) are marked; with several tasks chosen their lines overlay,
labelled with the task name and the parameters that differ between them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.timer import Timer
from textual.widgets import Static

from pyruns_tui.metrics.track import MetricsReader
from pyruns_tui.params.varying import VaryingParams
from pyruns_tui.tui.widgets.monitor.braille import PALETTE, BrailleChart, Marker, Series
from pyruns_tui.workspace.query import flatten, format_value

MAX_LABEL_PARAMS = 3


@dataclass(frozen=True)
class ChartSource:
    """One run of a task to chart: the task's name, its metrics.jsonl, the label of its lines and
    the time window of the run's rows (`metrics.runs.run_window`; None: the whole file)."""

    name: str
    metrics_file: Path
    label: str
    window: tuple[float, float] | None = None


def differing_params(configs: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """Per task, `key=value` of the (flattened) parameters that differ between the tasks, by the
    rule of the Manager's varying columns (`VaryingParams`); each value as the Manager's parameter
    columns write it, `—` where the task has no such key."""
    flat = {name: flatten(config) for name, config in configs.items()}
    differing = VaryingParams.of(flat.values()).keys()
    return {
        name: " ".join(f"{key.rsplit('.', 1)[-1]}={format_value(params[key]) if key in params else '—'}"
                       for key in differing[:MAX_LABEL_PARAMS])
        for name, params in flat.items()
    }


def keeps_steps(stepped: int, points: int) -> bool:
    """Whether a chart of `points` (`stepped` of them with a logged step) draws the stepped ones
    (most of them have a step, or as many as not), else those placed at their row."""
    return stepped * 2 >= points


def x_label(stepped: int, points: int) -> str:
    """What a chart's x is, from how many of its `points` carry a logged step (`stepped`), and
    how many of the other kind were left out (`keeps_steps`)."""
    if stepped == points:
        return "step"
    if stepped == 0:
        return "row"
    if keeps_steps(stepped, points):
        return f"step ({points - stepped:,} without a step not drawn)"
    return f"row ({stepped:,} with a step not drawn)"


def restarts(points: Sequence[tuple[int, float, str | None]]) -> bool:
    """Whether the steps of `points` (in the order logged) go back somewhere: a step counted
    within each epoch (`Epoch: 2, Step: 0`), which drawn against the step runs the line back."""
    return any(later[0] < earlier[0] for earlier, later in zip(points, points[1:]))


def in_log_order(points: Sequence[tuple[int, float, str | None]]) -> list[tuple[int, float, str | None]]:
    """`points` placed by their position in the log instead (0, 1, 2...)."""
    return [(i, value, stage) for i, (_, value, stage) in enumerate(points)]


def drawn_points(points: Sequence[tuple[int, float, str | None]], rowed: Sequence[tuple[int, int]],
                 steps: bool) -> list[tuple[int, float, str | None]]:
    """The `points` of one kind: those with a step (`steps`), else those placed at their row;
    `rowed` gives where the latter are (`MetricsReader.rowed_runs`)."""
    if not rowed:
        return list(points) if steps else []
    kept: list[tuple[int, float, str | None]] = []
    at = 0
    for start, end in rowed:
        if steps:
            kept += points[at:start]
        else:
            kept += points[start:end]
        at = end
    if steps:
        kept += points[at:]
    return kept


def stage_markers(points: Sequence[tuple[int, float, str | None]]) -> list[Marker]:
    """A marker where each stage first appears, after the first one seen (stages that take
    turns every epoch, train/val, are marked once, not every epoch)."""
    markers: list[Marker] = []
    seen: set[str] = set()
    for step, _value, stage in points:
        if stage is not None and stage not in seen:
            if seen:
                markers.append(Marker(float(step), stage))
            seen.add(stage)
    return markers


class MetricCharts(VerticalScroll):
    """A scrolling column of charts, one per metric of the chosen tasks, refreshed as rows arrive.

    Attributes: `sources` (the tasks charted). Polls the metrics files at `hz` while shown.
    Bindings: those of VerticalScroll (arrows, PgUp/PgDn). No component classes.
    """

    DEFAULT_CSS = """
    MetricCharts { height: 1fr; }
    MetricCharts > BrailleChart { height: 1fr; min-height: 10; margin-bottom: 1; }
    MetricCharts > .charts--empty { color: $text-muted; padding: 1 2; }
    """

    def __init__(self, *, hz: float = 4.0, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.hz = hz
        self.sources: tuple[ChartSource, ...] = ()
        self._readers: dict[ChartSource, MetricsReader] = {}
        self._timer: Timer | None = None
        self._names: list[str] = []

    def compose(self) -> ComposeResult:
        yield Static("no task chosen", classes="charts--empty")

    def set_sources(self, sources: Sequence[ChartSource]) -> None:
        """Chart these tasks (readers are kept for tasks already charted)."""
        sources = tuple(sources)
        if sources == self.sources:
            return
        self.sources = sources
        self._readers = {s: self._readers.get(s) or MetricsReader(s.metrics_file, window=s.window) for s in sources}
        for reader in self._readers.values():
            reader.poll()
        self._redraw(force=True)

    def set_active(self, active: bool) -> None:
        """Poll the metrics files while the charts are shown."""
        if active and self._timer is None:
            self._timer = self.set_interval(1.0 / self.hz, self.poll)
            self.poll()
        elif not active and self._timer is not None:
            self._timer.stop()
            self._timer = None

    def poll(self) -> bool:
        """Read appended rows; redraw when any arrived. True when something changed."""
        added = sum(reader.poll() for reader in self._readers.values())
        if added:
            self._redraw()
        return bool(added)

    def _redraw(self, force: bool = False) -> None:
        names: list[str] = []
        for reader in self._readers.values():
            names += [n for n in reader.names if n not in names]
        if names != self._names or force:
            self._names = names
            self.remove_children()
            if names:
                self.mount_all([BrailleChart(name, classes="chart") for name in names])
            else:
                text = "no metrics logged yet (pr.log in the script)" if self.sources else "no task chosen"
                self.mount(Static(text, classes="charts--empty"))
            self.call_after_refresh(self._fill)
        else:
            self._fill()

    def _fill(self) -> None:
        for chart, name in zip(self.query(BrailleChart), self._names):
            series: list[Series] = []
            markers: list[Marker] = []
            stepped = total = 0
            for source in self.sources:
                with_step, count = self._readers[source].stepped(name)
                stepped, total = stepped + with_step, total + count
            steps = keeps_steps(stepped, total)  # one kind of x for every line of the chart
            drawn: list[list[tuple[int, float, str | None]]] = []
            for source in self.sources:
                reader = self._readers[source]
                points = reader.series(name)
                if 0 < stepped < total:
                    points = drawn_points(points, reader.rowed_runs(name), steps)
                drawn.append(points)
            label = x_label(stepped, total) if total else ""
            if steps and stepped and any(map(restarts, drawn)):  # every line by log order, one x for all
                drawn = [in_log_order(points) for points in drawn]
                label = "log order (the steps restart)"
            for index, (source, points) in enumerate(zip(self.sources, drawn)):
                if not points:
                    continue
                series.append(Series(source.label, [(float(s), v) for s, v, _ in points], PALETTE[index % len(PALETTE)]))
                if not markers:
                    markers = stage_markers(points)
            chart.set_data(series, markers, title=name, x_label=label)
