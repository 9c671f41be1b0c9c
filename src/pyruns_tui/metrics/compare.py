"""Comparing two tasks: config differences, metric differences and summary differences.

Config and summary are compared key by key (flattened `a.b`); metrics by their last, min and
max over the latest run of each task that logged metrics, with `delta = B - A`.
`to_text` is the readable form (`pyr-tui compare A B`), `to_dict` the `--json` form.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from pyruns_tui.metrics.export import STATS
from pyruns_tui.metrics.report_format import json_safe
from pyruns_tui.metrics.runs import latest_metrics
from pyruns_tui.metrics.track import file_problems, read_summary
from pyruns_tui.params.number_text import REPORT_DIGITS, number_text
from pyruns_tui.params.values import as_float, same_value
from pyruns_tui.printable import cell_width, cut_cells, pad_cells, printable
from pyruns_tui.workspace.query import flatten, format_value
from pyruns_tui.workspace.store import TaskStore

_ABSENT = object()
CELL_SHOWN = 60  # cells of a key or value in the text tables (`--json` has them whole)


@dataclass(frozen=True)
class Side:
    """One of the two tasks: its name, status, and the run whose metrics are compared."""

    name: str
    status: str
    runs: int
    metrics_run: int | None  # None: no metrics, or a task with no run
    problems: tuple[str, ...] = ()  # why its summary.json or metrics.jsonl is broken


@dataclass(frozen=True)
class ValueDiff:
    """A key present on both sides with different values; `delta` is B - A for numbers."""

    key: str
    a: Any
    b: Any
    delta: float | None


@dataclass(frozen=True)
class MappingDiff:
    """How two flat mappings differ."""

    only_a: tuple[tuple[str, Any], ...]
    only_b: tuple[tuple[str, Any], ...]
    different: tuple[ValueDiff, ...]
    same: int


@dataclass(frozen=True)
class MetricDiff:
    """One statistic (last, min or max) of a metric both tasks logged."""

    metric: str
    stat: str
    a: float
    b: float
    delta: float


@dataclass(frozen=True)
class Comparison:
    """Everything `pyr-tui compare A B` shows."""

    a: Side
    b: Side
    config: MappingDiff
    metrics: tuple[MetricDiff, ...]
    metrics_only_a: tuple[str, ...]
    metrics_only_b: tuple[str, ...]
    summary: MappingDiff


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return as_float(value)


def diff_mappings(a: Mapping[str, Any], b: Mapping[str, Any]) -> MappingDiff:
    """Keys only in `a`, only in `b`, and with different values (in `a`'s then `b`'s key order)."""
    only_a = tuple((k, v) for k, v in a.items() if k not in b)
    only_b = tuple((k, v) for k, v in b.items() if k not in a)
    different = []
    same = 0
    for key, value_a in a.items():
        value_b = b.get(key, _ABSENT)
        if value_b is _ABSENT:
            continue
        if same_value(value_a, value_b):
            same += 1
            continue
        na, nb = _number(value_a), _number(value_b)
        delta = nb - na if na is not None and nb is not None else None
        different.append(ValueDiff(key, value_a, value_b, delta))
    return MappingDiff(only_a, only_b, tuple(different), same)


def compare_tasks(store: TaskStore, a: str, b: str) -> Comparison:
    """The comparison of tasks `a` and `b` (WorkspaceError if either does not exist)."""
    sides = []
    stats = []
    for name in (a, b):
        task = store.get(name)
        run, metrics = latest_metrics(store, task)
        problems = tuple(file_problems(store.layout.task_dir(name)))
        sides.append(Side(task.name, task.status.value, len(task.runs), run, problems))
        stats.append(metrics)
    metrics_a, metrics_b = stats
    diffs = []
    for metric, sa in metrics_a.items():
        sb = metrics_b.get(metric)
        if sb is None:
            continue
        for stat in STATS:
            va, vb = getattr(sa, stat), getattr(sb, stat)
            diffs.append(MetricDiff(metric, stat, va, vb, vb - va))
    return Comparison(
        a=sides[0],
        b=sides[1],
        config=diff_mappings(flatten(store.load_config(a)), flatten(store.load_config(b))),
        metrics=tuple(diffs),
        metrics_only_a=tuple(m for m in metrics_a if m not in metrics_b),
        metrics_only_b=tuple(m for m in metrics_b if m not in metrics_a),
        summary=diff_mappings(
            flatten(read_summary(store.layout.task_dir(a))), flatten(read_summary(store.layout.task_dir(b)))
        ),
    )


def _show(value: Any) -> str:
    if isinstance(value, float):
        return number_text(value, REPORT_DIGITS)
    return printable(format_value(value).replace("\n", "\\n"))


def _show_delta(delta: float | None) -> str:
    if delta is None:
        return ""
    if delta == 0:
        return "0"
    return ("+" if delta > 0 else "") + number_text(delta, REPORT_DIGITS)


def _table(rows: list[list[str]], indent: str = "  ") -> list[str]:
    """The rows laid out in columns, each cell cut at CELL_SHOWN cells (a line under the table
    says so when one was: one 100,000-character value widened every row)."""
    shown = [[cut_cells(cell, CELL_SHOWN) for cell in row] for row in rows]
    widths = [max(cell_width(row[i]) for row in shown) for i in range(len(shown[0]))]
    lines = [(indent + "  ".join(map(pad_cells, row, widths))).rstrip() for row in shown]
    if shown != rows:
        lines.append(f"{indent}(… a value cut at {CELL_SHOWN} cells: `pyr-tui compare --json` has it whole)")
    return lines


def _mapping_lines(title: str, diff: MappingDiff, with_delta: bool) -> list[str]:
    counts = f"{len(diff.different)} different, {len(diff.only_a)} only in A, {len(diff.only_b)} only in B, {diff.same} same"
    lines = [f"{title}: {counts}"]
    rows = [["key", "A", "B"] + (["delta"] if with_delta else [])]
    for d in diff.different:
        rows.append([printable(d.key), _show(d.a), _show(d.b)] + ([_show_delta(d.delta)] if with_delta else []))
    for key, value in diff.only_a:
        rows.append([printable(key), _show(value), "-"] + ([""] if with_delta else []))
    for key, value in diff.only_b:
        rows.append([printable(key), "-", _show(value)] + ([""] if with_delta else []))
    if len(rows) > 1:
        lines += _table(rows)
    return lines


def to_text(comparison: Comparison) -> str:
    """The readable report of a comparison: who, then config, metrics and summary differences.

    Names, keys and values are user text: control characters in them are shown as escapes
    (`printable`), on a terminal or not, so none acts on a terminal or breaks a line of the
    layout (the `--json` form holds the data exactly)."""
    lines = []
    for label, side in (("A", comparison.a), ("B", comparison.b)):
        metrics = f"metrics of run {side.metrics_run}" if side.metrics_run is not None else "no run metrics"
        runs = f"{side.runs} run{'s' if side.runs != 1 else ''}"
        lines.append(f"{label}: {printable(side.name)}  ({side.status}, {runs}, {metrics})")
        lines += [f"   broken: {printable(problem)}" for problem in side.problems]
    lines.append("")
    lines += _mapping_lines("config", comparison.config, with_delta=False)
    lines.append("")
    shared = len({d.metric for d in comparison.metrics})
    lines.append(
        f"metrics: {shared} shared, {len(comparison.metrics_only_a)} only in A, {len(comparison.metrics_only_b)} only in B"
    )
    if comparison.metrics:
        rows = [["metric", "A", "B", "delta"]]
        rows += [[printable(f"{d.metric}.{d.stat}"), _show(d.a), _show(d.b), _show_delta(d.delta)]
                 for d in comparison.metrics]
        lines += _table(rows)
    if comparison.metrics_only_a:
        lines.append("  only in A: " + ", ".join(map(printable, comparison.metrics_only_a)))
    if comparison.metrics_only_b:
        lines.append("  only in B: " + ", ".join(map(printable, comparison.metrics_only_b)))
    lines.append("")
    lines += _mapping_lines("summary", comparison.summary, with_delta=True)
    return "\n".join(lines) + "\n"


def _mapping_dict(diff: MappingDiff, with_delta: bool) -> dict[str, Any]:
    different = {}
    for d in diff.different:
        entry = {"a": d.a, "b": d.b}
        if with_delta:
            entry["delta"] = d.delta
        different[d.key] = entry
    return {"only_a": dict(diff.only_a), "only_b": dict(diff.only_b), "different": different, "same": diff.same}


def to_dict(comparison: Comparison) -> dict[str, Any]:
    """The stable `--json` form (strict JSON: NaN and infinities are null)."""
    shared: dict[str, dict[str, dict[str, float]]] = {}
    for d in comparison.metrics:
        shared.setdefault(d.metric, {})[d.stat] = {"a": d.a, "b": d.b, "delta": d.delta}
    data = {
        "a": asdict(comparison.a),
        "b": asdict(comparison.b),
        "config": _mapping_dict(comparison.config, with_delta=False),
        "metrics": {
            "shared": shared,
            "only_a": list(comparison.metrics_only_a),
            "only_b": list(comparison.metrics_only_b),
        },
        "summary": _mapping_dict(comparison.summary, with_delta=True),
    }
    return json_safe(data)
