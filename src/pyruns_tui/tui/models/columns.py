"""The Manager table's columns: what each shows for a task, how wide it is, how it sorts."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from pyruns_tui.humanize import format_duration, format_time, progress_cells
from pyruns_tui.logs.failure import error_cause
from pyruns_tui.params.number_text import TABLE_DIGITS, number_text
from pyruns_tui.params.values import as_float
from pyruns_tui.printable import printable
from pyruns_tui.tui.widgets.topbar import STATUS_GLYPHS
from pyruns_tui.workspace.model import Status, Task
from pyruns_tui.workspace.query import RUN_FIELDS, TaskView, format_value, run_number

PARAM = "p:"
METRIC = "m:"
PIN_MARK = "★"
STATUS_ORDER = {status: index for index, status in enumerate(Status)}
_DIGITS = re.compile(r"(\d+)")

Cell = tuple[str, str]  # (text, rich style)


@dataclass(frozen=True)
class Column:
    """One table column: `key` is `status`, `name`, `error`, `created`, `duration`, `runs`, `gpus`,
    `job`, `node` (Slurm), `p:<param>` or `m:<metric>`."""

    key: str
    label: str
    min_width: int
    max_width: int
    align_right: bool = False
    varying: bool = False  # a parameter shown because its value differs between tasks, not pinned

    @property
    def is_param(self) -> bool:
        return self.key.startswith(PARAM)

    @property
    def is_metric(self) -> bool:
        return self.key.startswith(METRIC)

    @property
    def dynamic_width(self) -> bool:
        """True when the column is as wide as its widest value (else as its label)."""
        return self.key in ("status", "name", "gpus", "error", *_RUN_TEXT) or self.is_param or self.is_metric

    @property
    def ticks(self) -> bool:
        """True when the cell of a running task changes every second."""
        return self.key in ("duration", "eta")


STATUS_WIDTH = 13  # `◷ interrupted`; a queued task's reason widens the column (status_text)
FIXED_HEAD = (
    Column("status", "status", STATUS_WIDTH, 40),
    Column("name", "name", 6, 40),
)
ERROR = Column("error", "error", 5, 36)  # shown while some failed task has an error
FIXED_TAIL = (
    Column("created", "created", 11, 11),
    Column("duration", "duration", 8, 8, align_right=True),
    Column("runs", "runs", 4, 4, align_right=True),
    Column("gpus", "gpus", 4, 9),
)
# shown when the workspace runs on Slurm: the last run's array index and node
CLUSTER = (
    Column("job", "job id", 6, 14),
    Column("node", "node", 4, 16),
)
_RUN_TEXT = {"job": "slurm_job_id", "node": "node"}


# the last run's GPU accounting: offered by the metric chooser, shown as `m:<field>` columns
GPU_LABELS = {"gpu_mem_peak_mb": "gpu MB", "gpu_util_mean": "gpu util%", "gpu_util_p95": "util p95%"}


# shown while a task runs: its progress read off its output (a bar and a percentage) and ETA
LIVE = (
    Column("progress", "progress", 11, 11),
    Column("eta", "eta", 6, 6, align_right=True),
)


# a metric named as a loop's counter: where a run is (its progress shows that), not how well it does
_COUNTER_NAME = re.compile(r"(?:global_?)?(?:step|epoch|iter|iteration|batch)(?:e?s)?(?:_?(?:idx|index|num|no))?")
DEFAULT_METRICS = 2  # metric columns shown while the user has chosen none


def is_counter(metric: str) -> bool:
    """Whether `metric` (its last part: `train/epoch`, `trainer.global_step`) names a loop's
    counter (`Epoch`, `step`, `iter`, `batch_idx`), which is no default column."""
    return _COUNTER_NAME.fullmatch(re.split(r"[/.]", metric)[-1].lower()) is not None


def default_metrics(kept: Sequence[str], names: Sequence[str], logged_only: bool) -> list[str]:
    """The default metric columns: those `kept` (shown before) that are no counters and, when
    `logged_only` (every task was read), still among `names`, then the first of `names` (sorted)
    that are no counters, up to DEFAULT_METRICS."""
    logged = set(names)
    picked = [name for name in kept if not is_counter(name) and (not logged_only or name in logged)]
    free = [name for name in names if name not in picked and not is_counter(name)]
    return [*picked, *free[:max(0, DEFAULT_METRICS - len(picked))]]


# parameter columns, pinned and varying together, that varying ones may fill (a sweep's axes are
# seldom more; at 80 columns the metrics after them stay on screen): pinning as many hides them
VARYING_ROOM = 3


def varying_columns(varying: Sequence[str], pinned: Sequence[str], hidden: Collection[str]) -> list[str]:
    """Of the `varying` parameters (VaryingParams), those shown as columns after the pinned ones:
    neither pinned nor hidden, as many as fill the room of VARYING_ROOM parameter columns."""
    room = VARYING_ROOM - len(pinned)
    if room <= 0:
        return []
    pins = set(pinned)
    return [key for key in varying if key not in pins and key not in hidden][:room]


def build_columns(pinned_params: Sequence[str], metrics: Sequence[str], cluster: bool = False,
                  live: bool = False, errors: bool = False, varying: Sequence[str] = ()) -> list[Column]:
    """status, name, pinned params, varying params (`varying_columns`), chosen metrics, (error
    while a failed task has one,) created, duration, (progress, eta while tasks run,) runs, gpus,
    (job id, node) (the metrics before the times: at 80 columns they stay on screen)."""
    params = [Column(PARAM + key, printable(key.rsplit(".", 1)[-1]), 3, 16) for key in pinned_params]
    params += [Column(PARAM + key, printable(key.rsplit(".", 1)[-1]), 3, 12, varying=True) for key in varying]
    shown = [Column(METRIC + name, GPU_LABELS.get(name) or printable(name), 6, 12, align_right=True)
             for name in metrics]
    tail = [*FIXED_TAIL[:2], *(LIVE if live else ()), *FIXED_TAIL[2:]]
    fixed = [*FIXED_HEAD, ERROR, *FIXED_TAIL, *LIVE, *CLUSTER]
    params, shown = _told_apart(params, shown, {column.label for column in fixed})
    return [*FIXED_HEAD, *params, *shown, *([ERROR] if errors else []), *tail, *(CLUSTER if cluster else ())]


def _told_apart(params: list[Column], metrics: list[Column], fixed: set[str]) -> tuple[list[Column], list[Column]]:
    """The parameter and metric columns, a label that another column has too named as `export`
    and `ls -c` name it: a parameter by its whole key (`model.depth` beside `head.depth`), and as
    `param.name` beside the task's name; a metric `lr.last` beside a parameter lr (the script
    logs the lr it was given: two `lr` headers, and `sort: lr`, said nothing of which)."""
    short = [column.label for column in params]
    for i, column in enumerate(params):
        if column.label in fixed or short.count(column.label) > 1:
            key = printable(column.key[len(PARAM) :])
            params[i] = replace(column, label=f"param.{key}" if key in fixed else key)
    taken = fixed | {column.label for column in params}
    metrics = [replace(column, label=f"{column.label}.last") if column.label in taken else column
               for column in metrics]
    return params, metrics


def run_text(view: TaskView, key: str) -> str:
    """The last run's Slurm job id or node ("" when local or never run)."""
    run = view.task.last_run
    return (getattr(run, _RUN_TEXT[key]) or "") if run is not None else ""


def metric_value(view: TaskView, name: str) -> float | None:
    """A metric column's value: the last run's GPU accounting for its fields, else the metric."""
    return run_number(view.task, name) if name in RUN_FIELDS else view.metrics.get(name)


def format_metric(value: float | None, width: int | None = None) -> str:
    """A metric's value as `number_text` writes it to 4 significant digits (`0.03333`, `64.0`,
    an int exactly); within `width` cells, to fewer (`0.0333`, `0.033`) rather than cut: a cut
    number (`0.033…`) reads as another number."""
    if value is None:
        return ""
    text = number_text(value, TABLE_DIGITS)
    digits = TABLE_DIGITS - 1
    while width is not None and len(text) > width and digits:
        text, digits = number_text(as_float(value), digits), digits - 1
    return text


def fit_metric(text: str, width: int) -> str:
    """A metric cell's text within `width` cells by fewer significant digits (`format_metric`);
    text that is no number, or still too wide, is left for the table to cut."""
    if len(text) <= width:
        return text
    try:
        value = float(text)
    except ValueError:
        return text
    return format_metric(value, width)


def running_duration(seconds: float) -> str:
    """A running task's duration: `42s` in its first minute, then to the minute (`3m`, `1h02m`,
    `2d03h`). The table repaints the cell only when this text changes, so over SSH a long run
    costs one small write a minute instead of one a second."""
    if seconds < 60:
        return f"{max(0, int(seconds))}s"
    if seconds < 3600:
        return f"{int(seconds) // 60}m"
    return format_duration(seconds)


def param_text(view: TaskView, key: str) -> str:
    if key not in view.params:
        return ""
    return format_value(view.params[key])


def status_text(task: Task) -> str:
    """`✔ completed`; a queued task with the runner's reason for the wait (task.reason, what `ls`
    says after `queued`) adds it, Slurm's without its `Slurm: ` prefix: `◷ queued (Resources)`."""
    glyph = STATUS_GLYPHS[task.status][0]
    reason = task.reason if task.status is Status.QUEUED else None
    if not reason:
        return f"{glyph} {task.status.value}"
    return f"{glyph} {task.status.value} ({reason.removeprefix('Slurm: ')})"


def fit_status(text: str, width: int) -> str:
    """A status cell within `width` cells: the reason cut inside its parentheses
    (`◷ queued (JobArray…)`), or left out where not 3 of its characters fit."""
    if len(text) <= width or not text.endswith(")") or " (" not in text:
        return text
    base, _, reason = text[:-1].partition(" (")
    room = width - len(base) - 3  # " (" and ")"
    return f"{base} ({reason[: room - 1]}…)" if room >= 3 else base


def cell(column: Column, view: TaskView, now: float | None = None) -> Cell:
    """The text and style of one cell."""
    task = view.task
    key = column.key
    if key == "status":
        return status_text(task), STATUS_GLYPHS[task.status][1]
    if key == "name":
        return (f"{PIN_MARK} {task.name}", "bold") if task.pinned else (task.name, "")
    if key == "created":
        return format_time(task.created_at), "dim"
    if key == "error":
        return task.error or "", "red"
    if key == "duration":
        if task.status is Status.RUNNING:
            seconds = task.duration_s(now)
            return (running_duration(seconds) if seconds is not None else ""), "cyan"
        return format_duration(task.duration_s(now)), ""
    if key in ("progress", "eta"):
        if task.status is not Status.RUNNING:
            return "", ""
        progress_text, eta_text = progress_cells(view.progress, now if now is not None else time.time())
        return (progress_text, "green") if key == "progress" else (eta_text, "cyan")
    if key == "runs":
        return (str(len(task.runs)) if task.runs else ""), ""
    if key == "gpus":
        run = task.last_run
        return (",".join(map(str, run.gpus)) if run and run.gpus else ""), ""
    if key in _RUN_TEXT:
        return run_text(view, key), "dim"
    if key.startswith(PARAM):
        return param_text(view, key[len(PARAM) :]), ""
    if key.startswith(METRIC):
        name = key[len(METRIC) :]
        value = metric_value(view, name)
        if name in RUN_FIELDS and value is not None:  # MB and percents: no exponent
            return f"{value:.0f}" if name == "gpu_mem_peak_mb" else f"{value:.1f}", ""
        return format_metric(value), ""
    return "", ""


def cells(columns: Sequence[Column], view: TaskView, now: float | None = None) -> list[Cell]:
    now = time.time() if now is None else now
    return [(printable(text), style) for text, style in (cell(column, view, now) for column in columns)]


def natural_key(text: str) -> tuple[Any, ...]:
    """`t2` before `t10`: the text lower-cased, its runs of digits as numbers."""
    parts: list[Any] = _DIGITS.split(text.lower())  # the digit runs are at the odd positions
    parts[1::2] = map(int, parts[1::2])
    return tuple(parts)


def sort_key(column: Column, view: TaskView, now: float) -> Any:
    """A comparable key for `column`, or None when the task has no value there (sorted last)."""
    task = view.task
    key = column.key
    if key == "status":
        return STATUS_ORDER[task.status]
    if key == "name":
        return natural_key(task.name)
    if key == "created":
        return task.created_at or None
    if key == "error":
        error = task.error
        return (error_cause(error), error) if error else None  # grouped by cause
    if key == "duration":
        return task.duration_s(now)
    if key == "runs":
        return len(task.runs)
    if key in ("progress", "eta"):
        progress = view.progress if task.status is Status.RUNNING else None
        if progress is None:
            return None
        return progress.progress if key == "progress" else progress.eta_at(now)
    if key == "gpus":
        run = task.last_run
        return tuple(run.gpus) if run and run.gpus else None
    if key in _RUN_TEXT:
        return natural_key(run_text(view, key)) if run_text(view, key) else None
    if key.startswith(PARAM):
        name = key[len(PARAM) :]
        return _value_key(view.params[name]) if name in view.params else None
    if key.startswith(METRIC):
        value = metric_value(view, key[len(METRIC) :])
        return None if value is None or math.isnan(value) else value
    return None


def _value_key(value: Any) -> tuple[int, Any]:
    # numbers before text so mixed columns still sort instead of raising
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (0, value) if not (isinstance(value, float) and math.isnan(value)) else (2, 0)
    return (1, format_value(value).lower())


def column_widths(columns: Sequence[Column], views: Iterable[TaskView]) -> list[int]:
    """Width of each column: its label, or its widest value, within the column's bounds."""
    widths = [max(column.min_width, len(column.label)) for column in columns]
    dynamic = [i for i, column in enumerate(columns) if column.dynamic_width]
    if not dynamic:
        return widths
    views = list(views)
    for i in dynamic:
        column = columns[i]
        if column.key == "name":
            longest = max((len(v.task.name) + (2 if v.task.pinned else 0) for v in views), default=0)
        elif column.key == "status":
            longest = max((len(printable(status_text(v.task))) for v in views if v.task.reason
                           and v.task.status is Status.QUEUED), default=0)
        elif column.key == "gpus":
            runs = (v.task.last_run for v in views)
            longest = max((len(",".join(map(str, run.gpus))) for run in runs if run and run.gpus), default=0)
        elif column.key in _RUN_TEXT:
            longest = max((len(run_text(v, column.key)) for v in views), default=0)
        elif column.key == "error":
            longest = max((len(v.task.error or "") for v in views), default=0)
        elif column.is_metric:
            longest = max((len(cell(column, v)[0]) for v in views), default=0)
        else:
            key = column.key[len(PARAM) :]
            values = [v.params[key] for v in views if key in v.params]
            try:  # a sweep repeats a few values: format each distinct one once (floats by repr:
                # 0.0 == -0.0, yet "-0.0" is wider)
                distinct = {(type(value), repr(value) if type(value) is float else value): value for value in values}
                values = list(distinct.values())
            except TypeError:  # a list or mapping value
                pass
            longest = max((len(format_value(value)) for value in values), default=0)
        widths[i] = max(widths[i], longest)
    return [min(width, column.max_width) for width, column in zip(widths, columns)]
