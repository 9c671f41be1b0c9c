"""Which run of a task each of its metric rows belongs to, and the metrics that stand for a task.

Metrics are recorded per task (one metrics.jsonl), but read per run: each metrics row goes to the
run whose start time is the latest at or before the row's time `t` (rows before the first run,
and rows without `t` at the start of the file, go to the first run). summary.json goes to the run
during which it was last written (by its modification time). The metrics that stand for a task
(`latest_metrics`) are those of the latest run that logged any: the Manager's columns and search,
`ls` and `export` queries, `ls -c` columns, `export --best` and compare all take them from here.
See docs/export.md.
"""

from __future__ import annotations

import bisect
import json
import math
import os
from collections.abc import Iterable

from pyruns_tui.metrics.track import MetricsReader, MetricStats
from pyruns_tui.workspace.fsio import read_bytes
from pyruns_tui.workspace.model import Task, parse_iso
from pyruns_tui.workspace.store import TaskStore

TYPE_CHECKING = False  # not `from typing`: `ls` with a metric term reads this module
if TYPE_CHECKING:
    from typing import Any


class _RowsReader(MetricsReader):
    """A MetricsReader fed with already parsed rows (one slice of a metrics file)."""

    def __init__(self) -> None:
        super().__init__(os.devnull, keep_series=False)

    def feed(self, rows: list[Any]) -> None:
        self._add_rows(rows)


def _parse_lines(data: bytes) -> list[Any]:
    """The JSON values of the complete lines of `data` (bad lines skipped)."""
    lines = [line for line in data.split(b"\n")[:-1] if line.strip()]  # the last piece is unfinished
    if not lines:
        return []
    try:
        rows = json.loads(b"[" + b",".join(lines) + b"]")
        if len(rows) == len(lines):
            return rows
    except (ValueError, RecursionError):
        pass
    rows = []
    for line in lines:
        try:
            rows.append(json.loads(line))
        except (ValueError, RecursionError):  # a 1,000-deep row is garbage too
            continue
    return rows


def _run_starts(task: Task) -> list[tuple[float, int]]:
    """(start epoch, run index) of the runs that started, in time order."""
    starts = []
    for run in task.runs:
        start = parse_iso(run.start)
        if start is not None:
            starts.append((start, run.index))
    starts.sort()
    return starts


def _owner(starts: list[tuple[float, int]], when: float) -> int:
    """The index of the run whose slice holds time `when` (the first run before any start)."""
    pos = bisect.bisect_right([s for s, _ in starts], when) - 1
    return starts[max(pos, 0)][1]


def _default_owner(task: Task, starts: list[tuple[float, int]]) -> int | None:
    if starts:
        return starts[0][1]
    return task.runs[-1].index if task.runs else None


def run_window(task: Task, run: int) -> tuple[float, float]:
    """(since, until) epoch times of the metric rows that belong to run `run` of `task`: from its
    start to the next run's start, the first run also owning rows before any start (as
    `metrics_by_run` splits them)."""
    starts = _run_starts(task)
    for position, (start, index) in enumerate(starts):
        if index == run:
            since = start if position else -math.inf
            until = starts[position + 1][0] if position + 1 < len(starts) else math.inf
            return since, until
    return -math.inf, math.inf


def metrics_run(task: Task, logged: Iterable[int | None]) -> int | None:
    """The run whose metrics stand for the task (Manager columns, compare, `pyr-tui compare`):
    the latest run that logged any metric, among `logged` (the runs with rows)."""
    runs = set(logged)
    for run in reversed(task.runs):
        if run.index in runs:
            return run.index
    return None


def latest_metrics(store: TaskStore, task: Task) -> tuple[int | None, dict[str, MetricStats]]:
    """The metrics that stand for the task, and their run (`metrics_run`; None: a task with no
    run, whose metrics are the whole file): the one rule of the Manager's columns and search,
    `ls` and `export` queries, and compare. A rerun's values, never an older run's mixed in."""
    by_run = metrics_by_run(store, task)
    run = metrics_run(task, by_run)
    return (run, by_run[run]) if run is not None else (None, by_run.get(None, {}))


def metrics_by_run(store: TaskStore, task: Task) -> dict[int | None, dict[str, MetricStats]]:
    """The metric statistics of each run of `task` (key None: a task with no run yet).

    Rows are split between runs by their time `t` and the runs' start times; runs that
    logged nothing are absent. Kept in the metrics cache (workspace/metrics_cache.py) while the
    task's metrics.jsonl and task_info.json are unchanged: `export` and `ls -c` of 10,000 finished
    tasks read each metrics file once, not at each call.
    """
    metrics_key = store.metrics_stat(task.name)
    if metrics_key is None:
        return {}
    cached = _stats_of(store.cached_metric_runs(task, metrics_key))
    if cached is not None:
        return cached
    by_run = _read_by_run(store, task)
    store.cache_metric_runs(task, metrics_key, {"" if run is None else str(run): {name: list(vars(stats).values())
                                                                                  for name, stats in metrics.items()}
                                                for run, metrics in by_run.items()})
    return by_run


_STATS_TYPES = ((float, int), (float, int), (float, int), (int, type(None)), (int, type(None)), (int,), (int,),
                (int, type(None)), (int, type(None)))  # the fields of MetricStats, in order


def _stats_of(data: Any) -> dict[int | None, dict[str, MetricStats]] | None:
    """`metrics_by_run`'s answer as the metrics cache holds it; None when it is not one."""
    if type(data) is not dict:
        return None
    by_run: dict[int | None, dict[str, MetricStats]] = {}
    for run, metrics in data.items():
        if type(metrics) is not dict or not (run == "" or (run.isascii() and run.isdigit())):
            return None
        stats = {}
        for name, values in metrics.items():
            if type(values) is not list or len(values) != len(_STATS_TYPES) or \
                    not all(type(v) in kinds and type(v) is not bool for v, kinds in zip(values, _STATS_TYPES)):
                return None
            stats[name] = MetricStats(*values)
        by_run[None if run == "" else int(run)] = stats
    return by_run


def _read_by_run(store: TaskStore, task: Task) -> dict[int | None, dict[str, MetricStats]]:
    """`metrics_by_run` read from the task's metrics.jsonl."""
    path = store.layout.metrics_file(task.name)
    starts = _run_starts(task)
    if len(starts) <= 1:
        reader = MetricsReader(path, keep_series=False)
        if not reader.poll():
            return {}
        return {_default_owner(task, starts): reader.stats()}
    try:
        data = read_bytes(path)
    except OSError:
        return {}
    slices: dict[int, list[Any]] = {}
    when = -math.inf
    times = [s for s, _ in starts]
    for row in _parse_lines(data):
        if type(row) is not dict:
            continue
        t: Any = row.get("t")
        if type(t) in (int, float) and t == t:
            when = t  # a row without `t` stays with the row before it
        owner = starts[max(bisect.bisect_right(times, when) - 1, 0)][1]
        slices.setdefault(owner, []).append(row)
    out: dict[int | None, dict[str, MetricStats]] = {}
    for owner, rows in slices.items():
        reader = _RowsReader()
        reader.feed(rows)
        if reader.names:
            out[owner] = reader.stats()
    return out


def summary_owner(store: TaskStore, task: Task) -> int | None:
    """The run during which summary.json was last written (None: a task with no run)."""
    starts = _run_starts(task)
    if len(starts) <= 1:
        return _default_owner(task, starts)
    try:
        mtime = os.stat(store.layout.summary_file(task.name)).st_mtime
    except OSError:
        return starts[-1][1]
    return _owner(starts, mtime)

