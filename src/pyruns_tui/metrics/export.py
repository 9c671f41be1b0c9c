"""Reports over tasks: one row per run with its parameters, metrics and summary (SPEC 9).

`export_rows` builds a `Report` (a table); `sort_report` orders it; `best_task` picks the
winning task (`best` ranks a report's rows); `to_csv`, `to_json` and `to_markdown` (from
`pyruns_tui.metrics.report_format`) write it. The CLI `pyr-tui export` and the TUI Monitor's
export both go through these functions; `pyr-tui ls -c` reads its cells from `export_rows`.

Metrics are recorded per task (one metrics.jsonl), reports are per run: `metrics.runs` says
which run each metrics row and summary.json belong to. See docs/export.md.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyruns_tui.errors import ExportError, PyrunsError
from pyruns_tui.metrics.report_format import (  # noqa: F401  (the writers are part of this API)
    FORMATS,
    format_for_path,
    render,
    save_text,
    to_csv,
    to_json,
    to_markdown,
)
from pyruns_tui.metrics.runs import metrics_by_run, metrics_run, summary_owner
from pyruns_tui.metrics.track import MetricStats, read_summary
from pyruns_tui.params.values import as_float
from pyruns_tui.workspace.model import Run, Status, parse_iso
from pyruns_tui.workspace.progress_file import read_run_progress
from pyruns_tui.workspace.query import METRIC_STATS, TaskView, flatten
from pyruns_tui.workspace.store import TaskStore

FIELDS: tuple[str, ...] = ("name", "status", "run", "start", "finish", "duration_s", "exit_code", "error")
# after FIELDS when any exported run ran on Slurm (docs/slurm.md)
CLUSTER_FIELDS: tuple[str, ...] = ("backend", "slurm_job_id", "node", "restarts")
# after those when any exported run used a GPU (runner/gpu_accounting.py)
GPU_FIELDS: tuple[str, ...] = ("gpu_mem_peak_mb", "gpu_util_mean", "gpu_util_p95")
STATS = METRIC_STATS  # a metric's columns: <metric>.last/.min/.max, the names a search takes too
PROGRESS = "progress"  # how far an unfinished run got, read off its output (a column only when any has it)
_KIND_PREFIX = {"param": "param.", "metric": "metric.", "summary": "summary."}


@dataclass(frozen=True)
class Column:
    """One column of a report: its header and where its values come from."""

    name: str  # the header text, unique in the report
    kind: str  # "field" | "param" | "metric" | "summary"
    key: str  # the field name, parameter key, metric name or summary key
    stat: str | None = None  # "last" | "min" | "max" for metric columns


@dataclass(frozen=True)
class Report:
    """A table: columns, and one tuple of values per row (None where a row has no value)."""

    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]

    @property
    def header(self) -> list[str]:
        return [column.name for column in self.columns]

    def index(self, name: str) -> int:
        """The position of column `name` (exact, else case-insensitive); ExportError if absent."""
        header = self.header
        if name in header:
            return header.index(name)
        lowered = [h.lower() for h in header]
        if name.lower() in lowered:
            return lowered.index(name.lower())
        shown = ", ".join(h for h in header if h not in FIELDS[2:]) or "none"
        if len(shown) > 300:
            shown = shown[:300] + ", ..."
        raise ExportError(f"no column {name!r} in the report (columns: {shown})")

    def records(self) -> list[dict[str, Any]]:
        """Each row as a dict keyed by column name, in column order."""
        header = self.header
        return [dict(zip(header, row)) for row in self.rows]


@dataclass(frozen=True)
class BestRow:
    """The winner of `best`: which task and run, by which column, with which value."""

    name: str
    run: int | None
    column: str
    value: float
    record: Mapping[str, Any]


@dataclass(frozen=True)
class BestChoice:
    """What `best_task` found: the winner, the tasks that had a value for its column but did
    not compete, counted by status (`(("running", 3), ("failed", 1))`, in Status order), and the
    completed tasks that may have had one in a file that could not be read."""

    winner: BestRow
    left_out: tuple[tuple[str, int], ...]
    unread: tuple[tuple[str, str], ...] = ()  # completed tasks without a value whose file could not be read: (name, why)
    unranked: tuple[tuple[str, float], ...] = ()  # completed tasks whose value is inf, -inf or NaN: (name, value)


def _run_duration(run: Run, now: float) -> float | None:
    if run.duration_s is not None:
        return run.duration_s
    start = parse_iso(run.start)
    if start is None or run.status is not Status.RUNNING:
        return None
    return round(max(0.0, now - start), 3)


@dataclass(frozen=True)
class _Row:
    """One run's values, by kind, before the columns are known."""

    fields: dict[str, Any]
    params: Mapping[str, Any]
    metrics: dict[str, MetricStats]
    summary: dict[str, Any]


def _rows_of(store: TaskStore, view: TaskView, now: float, per_task: bool) -> list[_Row]:
    task = view.task
    by_run = metrics_by_run(store, task)
    summary = flatten(read_summary(store.layout.task_dir(task.name)))
    owner = summary_owner(store, task) if summary else None
    if not task.runs:
        fields = dict.fromkeys(FIELDS)
        fields.update(name=task.name, status=task.status.value)
        return [_Row(fields, view.params, by_run.get(None, {}), summary)]
    runs = task.runs
    if per_task:  # the run whose metrics stand for the task (as `latest_metrics` says), else the latest
        standing = metrics_run(task, by_run)
        runs = [run for run in runs if run.index == standing] if standing is not None else runs[-1:]
    sidecar = read_run_progress(store.layout.task_dir(task.name))
    rows = []
    for run in runs:
        unfinished = sidecar is not None and sidecar.run == run.index and run.status is not Status.COMPLETED
        fields = {
            "name": task.name,
            "status": run.status.value,
            "run": run.index,
            "start": run.start,
            "finish": run.finish,
            "duration_s": _run_duration(run, now),
            "exit_code": run.exit_code,
            "error": run.error,
            PROGRESS: sidecar.progress if unfinished and sidecar is not None else None,
        }
        if run.backend is not None:
            fields.update((key, getattr(run, key)) for key in CLUSTER_FIELDS)
        if run.gpu_mem_peak_mb is not None:
            fields.update((key, getattr(run, key)) for key in GPU_FIELDS)
        rows.append(_Row(fields, view.params, by_run.get(run.index, {}), summary if run.index == owner else {}))
    return rows


def _unique(name: str, kind: str, taken: set[str]) -> str:
    while name in taken:
        name = _KIND_PREFIX[kind] + name
    taken.add(name)
    return name


def _columns(rows: Sequence[_Row]) -> tuple[Column, ...]:
    params: dict[str, None] = {}
    metrics: dict[str, None] = {}
    summary: dict[str, None] = {}
    for row in rows:
        params.update(dict.fromkeys(row.params))
        metrics.update(dict.fromkeys(row.metrics))
        summary.update(dict.fromkeys(row.summary))
    extra = [key for key in (*CLUSTER_FIELDS, *GPU_FIELDS) if any(key in row.fields for row in rows)]
    if any(row.fields.get(PROGRESS) is not None for row in rows):  # only while some run is unfinished
        extra.append(PROGRESS)
    taken = set(FIELDS) | set(extra)
    columns = [Column(name, "field", name) for name in (*FIELDS, *extra)]
    columns += [Column(_unique(key, "param", taken), "param", key) for key in params]
    columns += [
        Column(_unique(f"{metric}.{stat}", "metric", taken), "metric", metric, stat)
        for metric in metrics
        for stat in STATS
    ]
    columns += [Column(_unique(f"summary.{key}", "summary", taken), "summary", key) for key in summary]
    return tuple(columns)


def _value(row: _Row, column: Column) -> Any:
    if column.kind == "field":
        return row.fields.get(column.key)
    if column.kind == "param":
        return row.params.get(column.key)
    if column.kind == "metric":
        stats = row.metrics.get(column.key)
        return None if stats is None else getattr(stats, column.stat or "last")
    return row.summary.get(column.key)


def export_rows(
    store: TaskStore,
    views: Iterable[TaskView],
    *,
    sort_by: str | None = None,
    descending: bool = False,
    now: float | None = None,
    per_task: bool = False,
) -> Report:
    """The report of `views` (e.g. from `select_tasks`): one row per run, in task then run order.

    A task with no run yet gives one row whose run fields are empty. Optionally sorted by
    column `sort_by` (see `sort_report`). With `per_task`, one row per task: that of the run
    whose metrics stand for it (`metrics.runs.latest_metrics`'s run; its latest run when none
    logged any), the values the Manager shows, `ls -c` lists and `best_task` ranks.
    """
    now = time.time() if now is None else now
    rows = [row for view in views for row in _rows_of(store, view, now, per_task)]
    columns = _columns(rows)
    report = Report(columns, tuple(tuple(_value(row, c) for c in columns) for row in rows))
    return sort_report(report, sort_by, descending=descending) if sort_by else report


def pick_columns(report: Report, names: Sequence[str], pending: bool = False) -> list[int | None]:
    """The positions of the columns `names` ask for (`ls -c`): a column name as `index` finds
    it, or a metric's name alone for its `.last` (the value the Manager shows). ExportError for
    a name that is neither (a typo); None (an empty column) in a report with no rows, or when
    `pending`: some listed task has yet to run or end, and may log it (`watch pyr-tui ls -c
    loss.last` started with the batch)."""
    header = [name.lower() for name in report.header]
    last = {column.key.lower(): i for i, column in enumerate(report.columns)
            if column.kind == "metric" and column.stat == "last"}
    picked: list[int | None] = []
    for name in names:
        if name in report.header:
            picked.append(report.header.index(name))
        elif name.lower() in header:
            picked.append(header.index(name.lower()))
        elif name.lower() in last:
            picked.append(last[name.lower()])
        elif not report.rows or pending:
            picked.append(None)
        else:
            raise ExportError(f"no column {name!r} in the listed tasks ({_columns_hint(report, name)}; "
                              "a metric is <metric>.last/.min/.max, a parameter a.b, summary.<key>)")
    return picked


def _columns_hint(report: Report, name: str) -> str:
    """`closest: acc.max, acc.last` for a typo, else the report's columns, whole names within
    ~300 characters (a cut one, `su, ...`, read as a column of that name)."""
    import difflib

    names = [column.name for column in report.columns if column.kind != "field"]
    metrics = [column.key for column in report.columns if column.kind == "metric" and column.stat == "last"]
    close = difflib.get_close_matches(name.lower(), list(dict.fromkeys([*metrics, *names])), n=3)  # a metric alone is its .last
    if close:
        return "closest: " + ", ".join(close)
    shown: list[str] = []
    for column in names:
        if sum(len(text) + 2 for text in shown) + len(column) > 300:
            return f"their columns: {', '.join(shown)}, ... ({len(names) - len(shown)} more)"
        shown.append(column)
    return f"their columns: {', '.join(shown) or 'none'}"


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _sort_key(value: Any) -> tuple[int, Any]:
    # bools are numbers; lists and mappings compare as their JSON text
    if isinstance(value, (bool, int, float)):
        return (0, as_float(value))  # (an int too large for a float ranks as inf)
    if isinstance(value, str):
        return (1, value.lower())
    return (1, json.dumps(value, sort_keys=True, default=str).lower())


def sort_report(report: Report, column: str | None, *, descending: bool = False) -> Report:
    """`report` ordered by `column`; missing values (empty, NaN) last either way; stable.

    An unknown column is an ExportError, except in a report with no rows.
    """
    if not column or not report.rows:
        return report
    i = report.index(column)
    present = [row for row in report.rows if not _missing(row[i])]
    missing = [row for row in report.rows if _missing(row[i])]
    keyed = [(_sort_key(row[i]), row) for row in present]
    # numbers before text in both directions: each group is sorted on its own
    groups = [[pair for pair in keyed if pair[0][0] == group] for group in (0, 1)]
    for group in groups:
        group.sort(key=lambda pair: pair[0][1], reverse=descending)
    return Report(report.columns, tuple(row for group in groups for _, row in group) + tuple(missing))


def best_column(report: Report, metric: str, mode: str = "min") -> str:
    """The column `best` ranks by: the metric's `<metric>.<mode>` if there is such a metric,
    else `metric` itself as a column (a parameter named like a metric never wins over it)."""
    if mode not in ("min", "max"):
        raise ExportError(f"best: mode must be 'min' or 'max', not {mode!r}")
    header = report.header
    for candidate in (f"{metric}.{mode}", metric):
        if candidate in header:
            return candidate
    for candidate in (f"{metric}.{mode}", metric):
        lowered = [h.lower() for h in header]
        if candidate.lower() in lowered:
            return header[lowered.index(candidate.lower())]
    metrics = sorted({c.key for c in report.columns if c.kind == "metric"})
    known = ", ".join(metrics) or "none"
    raise ExportError(f"no metric or column {metric!r} in the selected tasks (metrics: {known})")


def rankable(value: Any) -> bool:
    """Whether `value` can be the best: a number (not a bool) that is finite. A loss of -inf or
    NaN is a run that diverged, not the lowest loss; `best`, `best_task` (`export --best`) and
    nothing else rank, so this is the one rule. (A logged int too big for a float, `10**400`, is
    a finite number: it ranks, as inf.)"""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return math.isfinite(value) if isinstance(value, float) else True


def nonfinite(value: Any) -> bool:
    """A float that is inf, -inf or NaN: a value `best` leaves unranked, and says so."""
    return isinstance(value, float) and not math.isfinite(value)


def _winner(report: Report, column: str, mode: str) -> BestRow | None:
    i = report.index(column)
    winner: tuple[float, tuple[Any, ...]] | None = None
    for row in report.rows:
        value = row[i]
        if not rankable(value):
            continue
        if winner is None or (value < winner[0] if mode == "min" else value > winner[0]):
            winner = (value, row)
    if winner is None:
        return None
    record = dict(zip(report.header, winner[1]))
    value = as_float(winner[0])  # (an int too large for a float is inf)
    return BestRow(name=record["name"], run=record["run"], column=column, value=value, record=record)


def best(report: Report, metric: str, mode: str = "min") -> BestRow:
    """The row of `report` with the lowest (`mode="min"`) or highest value of `metric`; ties:
    first row. Ranks every row it is given: `best_task` is the rule of `export --best`.

    `metric` is a column name (`loss.last`, `summary.best_acc`, `lr`) or a metric name, which
    means its `.min` column for "min" and its `.max` column for "max" (the best value reached).
    """
    column = best_column(report, metric, mode)
    winner = _winner(report, column, mode)
    if winner is None:
        i = report.index(column)
        unranked = tuple((row[0], row[i]) for row in report.rows if nonfinite(row[i]))
        if unranked:
            raise ExportError(f"no selected task has a finite value for {column!r} "
                              f"(not ranked: {unranked_text(unranked)})")
        raise ExportError(f"no selected task has a numeric value for {column!r}")
    return winner


def best_task(store: TaskStore, views: Iterable[TaskView], metric: str, mode: str = "min") -> BestChoice:
    """The best of the tasks `views` by `metric` (a column or a metric name, as `best` takes it).

    Only tasks whose latest run completed compete, each with the values that stand for it
    (`export_rows(per_task=True)`): a running, queued, failed or stopped task's metrics are
    partial or about to be replaced, and an older run's values never stand for a rerun task.
    The tasks left out that had a value are counted in `left_out`; completed tasks whose value
    is inf, -inf or NaN do not rank (`rankable`) and are named in `unranked`; ExportError when
    no task that competes has a finite value."""
    views = list(views)
    report = export_rows(store, views, per_task=True)
    column = best_column(report, metric, mode)
    status = {view.task.name: view.task.status for view in views}
    i = report.index(column)
    competing = tuple(row for row in report.rows if status[row[0]] is Status.COMPLETED)
    left = Counter(status[row[0]] for row in report.rows
                   if status[row[0]] is not Status.COMPLETED and rankable(row[i]))
    left_out = tuple((state.value, left[state]) for state in Status if left[state])
    unranked = tuple((row[0], row[i]) for row in competing if nonfinite(row[i]))
    unread = _unread(store, report.columns[i], (row[0] for row in competing
                                                         if not (rankable(row[i]) or nonfinite(row[i]))))
    winner = _winner(Report(report.columns, competing), column, mode)
    if winner is not None:
        return BestChoice(winner, left_out, unread, unranked)
    if unranked:
        others = f"; not considered: {left_out_text(left_out)}" if left_out else ""
        raise ExportError(f"no completed task has a finite value for {column!r} (not ranked: "
                          f"{unranked_text(unranked)}{others}; see every run with `pyr-tui export`)")
    if unread:
        others = f" (not considered: {left_out_text(left_out)})" if left_out else ""
        raise ExportError(f"no completed task has a numeric value for {column!r} that can be read{others}: "
                          f"{unread_text(unread)}")
    if not left_out:
        raise ExportError(f"no selected task has a numeric value for {column!r}")
    raise ExportError(f"no completed task has a numeric value for {column!r} (not considered: "
                      f"{left_out_text(left_out)}; only tasks whose latest run completed compete: "
                      "wait for them, or see every run with `pyr-tui export`)")


def _unread(store: TaskStore, column: Column, names: Iterable[str]) -> tuple[tuple[str, str], ...]:
    """Of the tasks `names` (completed, without a value for `column`), those whose metrics file
    (summary.json for a summary column) could not be read, with why: a winner is not picked
    in silence over a task whose value nobody could see."""
    from pyruns_tui.contracts import METRICS_FILE, SUMMARY_FILE
    from pyruns_tui.metrics.track import file_problems

    if column.kind not in ("metric", "summary"):
        return ()
    file = METRICS_FILE if column.kind == "metric" else SUMMARY_FILE
    unread = []
    for name in names:
        why = next((p for p in file_problems(store.layout.task_dir(name)) if p.startswith(file)), None)
        if why is not None and not why.endswith("(skipped)"):  # (a skipped line leaves the others read)
            unread.append((name, why))
    return tuple(unread)


def unread_text(unread: Sequence[tuple[str, str]]) -> str:
    """`t1 (metrics.jsonl: cannot read it (Permission denied)); see `pyr-tui show TASK``: the
    tasks of `BestChoice.unread` in words (three at most, then how many more)."""
    shown = "; ".join(f"{name} ({why})" for name, why in unread[:3])
    more = f" and {len(unread) - 3} more" if len(unread) > 3 else ""
    return f"{shown}{more}; see `pyr-tui show TASK`"


def unranked_text(unranked: Sequence[tuple[str, float]]) -> str:
    """`t_3 (-inf), t_4 (nan)`: the tasks of `BestChoice.unranked` with their values (three at
    most, then how many more)."""
    shown = ", ".join(f"{name} ({value})" for name, value in unranked[:3])
    more = f" and {len(unranked) - 3} more" if len(unranked) > 3 else ""
    return f"{shown}{more}"


def left_out_text(left_out: Sequence[tuple[str, int]]) -> str:
    """`3 running, 1 failed`: the counts of `BestChoice.left_out` in words."""
    return ", ".join(f"{count} {state}" for state, count in left_out)


def views_of(store: TaskStore, names: Sequence[str]) -> list[TaskView]:
    """The views of the named tasks, in the given order (WorkspaceError for an unknown name)."""
    views = []
    for name in names:
        task = store.get(name)
        try:
            config = store.load_config(name)
        except PyrunsError:
            config = {}  # a hand-broken config.yaml must not block the export of the others
        views.append(TaskView(task=task, params=flatten(config), metrics={}))
    return views


def report_refusal(store: TaskStore, path: str | Path) -> str | None:
    """Why a report may not be written to `path`, as one line (what, where, how to fix), else
    None: it lands (its folders' symlinks followed) inside a pyruns folder, the open workspace's
    `_pyruns_` or another project's (`workspace.layout.pyruns_folder_of`), where it would
    replace a task's record, its config or a runner's file (`-o _pyruns_/train/tasks/t1/task_info.json`).
    The one rule: `save_report` asks it (again on the folder it has open), the TUI's export dialog
    before it asks about overwriting a file."""
    path = Path(path)
    return _refusal(store, path, Path(os.path.realpath(path.parent)) / path.name)


def _refusal(store: TaskStore, path: Path, lands: Path) -> str | None:
    """`report_refusal` of `path`, which lands at `lands` (resolved: taken as is)."""
    from pyruns_tui.workspace.layout import pyruns_folder_of

    if store.layout.inside_root(lands, resolved=True) is not None:
        root: Path | None = store.layout.root
    else:
        root = pyruns_folder_of(lands)
    if root is None:
        return None
    leads = f" (it leads to {lands})" if Path(os.path.normpath(path)) != lands else ""  # (through a symlink)
    return (f"cannot write {path}{leads}: it is inside {root}, where pyruns-tui keeps its own files (task records, "
            "settings, the runner's files); write the report outside it")


def save_report(store: TaskStore, path: str | Path, text: str) -> None:
    """Write `text` to `path` as `save_text` does (atomically, never through a symlink);
    ExportError, nothing written, where `report_refusal` refuses it: asked of the path, then
    again of the folder `save_text` has open, where the report is then written (a folder
    swapped for a symlink into `_pyruns_` between the two cannot redirect it)."""
    path = Path(path)
    why = report_refusal(store, path)
    if why is not None:
        raise ExportError(why)
    save_text(path, text, refuse=lambda lands: _refusal(store, path, lands))


def export_tasks(store: TaskStore, names: Sequence[str], fmt: str, path: str | Path) -> int:
    """Write the report of tasks `names` to `path` (atomically, never in `_pyruns_`: `save_report`)
    as `fmt`; returns the row count."""
    report = export_rows(store, views_of(store, names))
    save_report(store, path, render(report, fmt))
    return len(report.rows)
