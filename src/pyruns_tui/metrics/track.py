"""Reading a task's tracked metrics: metrics.jsonl (incrementally) and summary.json.

The writing side is `pyruns_tui.script.api` (`pr.log`, `pr.summary`); both formats are
documented in docs/script-api.md. A metrics row is one JSON object per line:
`{"t": <epoch s>, "step": <int>, "stage": <str>, "<metric>": <number>, ...}` where `step`
and `stage` are optional and non-finite floats are the strings "NaN", "Infinity",
"-Infinity".
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from pyruns_tui.contracts import (
    JSON_TO_NONFINITE,
    MAX_JSON_DEPTH,
    METRICS_FILE,
    OUTPUT_SOURCE,
    RESERVED_KEYS,
    SUMMARY_FILE,
)
from pyruns_tui.params.values import as_float
from pyruns_tui.workspace.fsio import NotRegularFile, json_depth, open_regular, read_json

TYPE_CHECKING = False  # not `from typing`: importing typing costs a command ~4 ms
if TYPE_CHECKING:
    from typing import Any

_INT_MAX = int(sys.float_info.max)  # a logged int beyond it (`10**400`) is read as inf or -inf
_MAX_STEP = 2**53  # steps beyond are no step: a float (a chart's x axis) would not hold them exactly, or at all

# (step, or the row's index when it has no step; value; stage or None)
Point = tuple[int, float, str | None]


@dataclass(frozen=True)
class MetricStats:
    """Summary numbers of one metric: what the Manager's columns and exports show.

    `min`/`max` ignore NaN (they are NaN, with no argmin/argmax, when every value is NaN);
    `count` counts every point, NaN included. A point is named by its index, its position among
    the metric's points in the order logged (as in `MetricsReader.series`), and by the step it
    logged: a step alone is ambiguous once steps restart (step 0..99 each epoch, a rerun appended
    to the file). Ties go to the point logged first; `last_step` is the last point's step (its
    index is `count - 1`), not the highest step.
    """

    last: float
    min: float
    max: float
    argmin_step: int | None
    argmax_step: int | None
    count: int
    last_step: int
    argmin_index: int | None
    argmax_index: int | None


@dataclass
class _Track:
    """The points and running statistics of one metric."""

    steps: list[int] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    stages: list[str | None] = field(default_factory=list)
    count: int = 0
    rowed: int = 0  # points without a logged step (placed at their row index)
    rowed_runs: list[list[int]] = field(default_factory=list)  # their positions in the series: [start, end) runs
    last: float = math.nan
    last_step: int = 0
    min: float = math.nan
    max: float = math.nan
    argmin_step: int | None = None
    argmax_step: int | None = None
    argmin_index: int | None = None
    argmax_index: int | None = None

    def extend(
        self, steps: list[int], values: list[float], stages: list[str | None], keep: bool,
        rowed: list[int] | None = None,
    ) -> None:
        """Add a batch of points (`rowed`: the positions in the batch of those without a logged
        step); builtin min/max over the batch keep big reads fast."""
        before = self.count  # the index of the batch's first point
        if keep:
            runs = self.rowed_runs
            for i in rowed or ():  # runs, not positions: a series logged without steps is one run
                at = self.count + i
                if runs and runs[-1][1] == at:
                    runs[-1][1] = at + 1
                else:
                    runs.append([at, at + 1])
            self.steps += steps
            self.values += values
            self.stages += stages
        self.count += len(values)
        self.rowed += len(rowed) if rowed else 0
        self.last = values[-1]
        self.last_step = steps[-1]
        total = sum(values)
        if total == total:  # no NaN in the batch (sum is NaN otherwise, or on inf - inf)
            low, high = min(values), max(values)
        else:
            finite = [v for v in values if v == v]
            if not finite:
                return
            low, high = min(finite), max(finite)
        if self.argmin_index is None or low < self.min:
            at = values.index(low)  # `low` is not NaN, so equality finds its first point
            self.min, self.argmin_step, self.argmin_index = low, steps[at], before + at
        if self.argmax_index is None or high > self.max:
            at = values.index(high)
            self.max, self.argmax_step, self.argmax_index = high, steps[at], before + at

    def stats(self) -> MetricStats:
        return MetricStats(
            last=self.last,
            min=self.min,
            max=self.max,
            argmin_step=self.argmin_step,
            argmax_step=self.argmax_step,
            count=self.count,
            last_step=self.last_step,
            argmin_index=self.argmin_index,
            argmax_index=self.argmax_index,
        )


class MetricsReader:
    """The metrics of one metrics.jsonl, kept up to date by reading only appended bytes.

    `poll()` reads what was appended since the last call; an unfinished last line is held
    back until its newline arrives; lines that are not JSON objects are skipped; a file
    that shrank or was replaced is read again from the start. A row without an int `step`
    gets its index among the file's rows. With `keep_series=False` only the overall
    statistics are kept (cheap for many tasks in the Manager).
    """

    def __init__(self, path: str | os.PathLike[str], keep_series: bool = True,
                 window: tuple[float, float] | None = None) -> None:
        """`window` (since, until): only the rows logged in that time span (one run's rows, see
        `metrics.runs.run_window`); a row without `t` goes with the row before it."""
        self.path = Path(path)
        self.keep_series = keep_series
        self.window = window
        self._reset()

    @classmethod
    def for_task(cls, task_dir: str | os.PathLike[str], keep_series: bool = True) -> MetricsReader:
        """A reader of `<task_dir>/metrics.jsonl`, already polled once."""
        reader = cls(Path(task_dir) / METRICS_FILE, keep_series=keep_series)
        reader.poll()
        return reader

    def _reset(self) -> None:
        self._tracks: dict[str, _Track] = {}
        self._logged: set[str] = set()  # names logged by pr.log (they hide output-read points)
        self._stages: dict[str, None] = {}
        self._offset = 0
        self._identity: tuple[int, int] | None = None
        self._tail = b""
        self.rows = 0
        self.skipped_lines = 0
        self.problem: str | None = None  # why rows were skipped (not JSON, nested too deep), for `broken: ...`
        self.bytes_read = 0
        self._when = -math.inf  # the time of the last row read that had one

    @property
    def offset(self) -> int:
        """Bytes of the file consumed so far (complete lines plus a held-back tail)."""
        return self._offset

    @property
    def names(self) -> list[str]:
        """Metric names in the order they first appeared."""
        return list(self._tracks)

    @property
    def stages(self) -> list[str]:
        """Stage names in the order they first appeared."""
        return list(self._stages)

    def poll(self) -> int:
        """Read newly appended rows; returns how many were added (0 if the file is absent, or
        cannot be read: `problem` says why)."""
        try:
            with os.fdopen(open_regular(self.path), "rb") as stream:
                info = os.fstat(stream.fileno())
                identity = (info.st_dev, info.st_ino)
                if identity != self._identity or info.st_size < self._offset:
                    self._reset()
                    self._identity = identity
                if info.st_size == self._offset:
                    return 0
                stream.seek(self._offset)
                data = stream.read()
        except FileNotFoundError:
            return 0
        except NotRegularFile as exc:
            self.problem = f"{METRICS_FILE} is {exc.kind}, not a regular file"
            return 0
        except OSError as exc:  # another user's private file, an I/O error: one task's, never the listing's
            self.problem = f"{METRICS_FILE}: cannot read it ({exc.strerror or exc})"
            return 0
        self._offset += len(data)
        self.bytes_read += len(data)
        if self._tail:
            data = self._tail + data
        lines = data.split(b"\n")
        self._tail = lines.pop()  # b"" when the data ends with a newline
        rows, garbage, why = _parse_rows(line for line in lines if line.strip())
        self.skipped_lines += garbage
        if why and self.problem is None:
            self.problem = f"{METRICS_FILE}: a line {why} (skipped)"
        return self._add_rows(rows)

    def _add_rows(self, rows: list[Any]) -> int:
        batch: dict[str, tuple[list[int], list[float], list[str | None], list[int]]] = {}  # (.., rowed at)
        stages = self._stages
        first_index = index = self.rows
        window = self.window
        for row in rows:
            if type(row) is not dict:
                self.skipped_lines += 1
                continue
            if window is not None:
                t: Any = row.get("t")  # a JSON number (type checked just below) or anything else
                if type(t) in (int, float) and t == t:
                    self._when = t
                if not window[0] <= self._when < window[1]:
                    continue
            step = row.get("step")
            if type(step) is int and -_MAX_STEP <= step <= _MAX_STEP:  # (a chart's x is a float)
                stepped = True
            else:
                step, stepped = index, False
            index += 1
            stage = row.get("stage")
            if type(stage) is not str:
                stage = None
            elif stage not in stages:
                stages[stage] = None
            from_output = row.get("source") == OUTPUT_SOURCE
            for name, raw in row.items():
                if name in RESERVED_KEYS:
                    continue
                if from_output:
                    if name in self._logged:
                        continue
                elif name not in self._logged:
                    self._logged.add(name)  # earlier points of this name were read from output
                    self._tracks.pop(name, None)
                    batch.pop(name, None)
                kind = type(raw)
                if kind is float:
                    value = raw
                elif kind is int:  # an int stays an int: `12` is reported as 12, never 12.0
                    value = raw if -_INT_MAX <= raw <= _INT_MAX else as_float(raw)
                elif kind is bool:
                    value = 1 if raw else 0
                elif kind is str and raw in JSON_TO_NONFINITE:
                    value = JSON_TO_NONFINITE[raw]
                else:
                    if (kind is list or kind is dict) and self.problem is None and json_depth(raw) >= MAX_JSON_DEPTH:
                        self.problem = f"{METRICS_FILE}: a line nests more than {MAX_JSON_DEPTH} levels deep (skipped)"
                    continue
                points = batch.get(name)
                if points is None:
                    points = batch[name] = ([], [], [], [])
                if not stepped:  # (noting these costs nothing for rows with steps, the usual ones)
                    points[3].append(len(points[1]))
                points[0].append(step)
                points[1].append(value)
                points[2].append(stage)
        self.rows = index
        for name, (steps, values, point_stages, rowed) in batch.items():
            track = self._tracks.get(name)
            if track is None:
                track = self._tracks[name] = _Track()
            track.extend(steps, values, point_stages, self.keep_series, rowed)
        return index - first_index

    def series(self, name: str, stage: str | None = None) -> list[Point]:
        """The points `(step, value, stage)` of metric `name` in file order, or of one stage.

        Empty for an unknown name or when the reader keeps no series.
        """
        track = self._tracks.get(name)
        if track is None:
            return []
        points = list(zip(track.steps, track.values, track.stages))
        if stage is not None:
            points = [point for point in points if point[2] == stage]
        return points

    def rowed_runs(self, name: str) -> list[tuple[int, int]]:
        """Where in `series(name)` the points without a logged step are (placed at their row):
        `[start, end)` position runs in order; empty when the reader keeps no series."""
        track = self._tracks.get(name)
        return [] if track is None else [(start, end) for start, end in track.rowed_runs]

    def stepped(self, name: str) -> tuple[int, int]:
        """(points of metric `name` with a logged step, all its points): a series is drawn against
        its steps when every point has one, against the row index when none has."""
        track = self._tracks.get(name)
        return (0, 0) if track is None else (track.count - track.rowed, track.count)

    def stats(self, stage: str | None = None) -> dict[str, MetricStats]:
        """`MetricStats` per metric name, over all rows or over the rows of one stage.

        Per-stage statistics are computed from the series, so they need `keep_series`; their
        argmin/argmax indexes are positions in the whole `series(name)`, as the others'.
        """
        if stage is None:
            return {name: track.stats() for name, track in self._tracks.items()}
        out = {}
        for name, track in self._tracks.items():
            picked = [i for i, point_stage in enumerate(track.stages) if point_stage == stage]
            if picked:
                staged = _Track()
                staged.extend(
                    [track.steps[i] for i in picked],
                    [track.values[i] for i in picked],
                    [stage] * len(picked),
                    keep=False,
                )
                at = staged.stats()
                out[name] = replace(at, argmin_index=None if at.argmin_index is None else picked[at.argmin_index],
                                    argmax_index=None if at.argmax_index is None else picked[at.argmax_index])
        return out


def _parse_rows(lines: Iterable[bytes]) -> tuple[list[Any], int, str | None]:
    """The JSON values of `lines`, how many lines were not JSON, and why the first was not.

    One `json.loads` over the lines joined as an array is about twice as fast as one
    call per line; a batch holding a bad line is parsed again line by line.
    """
    chunk = list(lines)
    if not chunk:
        return [], 0, None
    try:
        rows = json.loads(b"[" + b",".join(chunk) + b"]")
        if len(rows) == len(chunk):
            return rows, 0, None
    except (ValueError, RecursionError):
        pass
    rows = []
    garbage = 0
    why: str | None = None
    for line in chunk:
        try:
            rows.append(json.loads(line))
        except RecursionError:  # a hand-made 1,000-deep row
            garbage += 1
            why = why or f"nests more than {MAX_JSON_DEPTH} levels deep"
        except ValueError:
            garbage += 1
            why = why or "is not JSON"
    return rows, garbage, why


def read_summary(task_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """The task's summary.json as a dict ({} when absent or unreadable), NaN/inf restored."""
    return load_summary(task_dir)[0]


def load_summary(task_dir: str | os.PathLike[str]) -> tuple[dict[str, Any], str | None]:
    """`read_summary`, and why summary.json was not read (None when it was, or is absent)."""
    try:
        data = read_json(Path(task_dir) / SUMMARY_FILE)
    except FileNotFoundError:
        return {}, None
    except (OSError, ValueError) as exc:
        return {}, f"{SUMMARY_FILE}: {exc.strerror if isinstance(exc, OSError) and exc.strerror else exc}"
    if not isinstance(data, dict):
        return {}, f"{SUMMARY_FILE}: not a JSON object"
    return {key: _restore_nonfinite(value) for key, value in data.items()}, None


def file_problems(task_dir: str | os.PathLike[str]) -> list[str]:
    """Why the task's summary.json or metrics.jsonl is broken (shown as `broken: ...`), if it is."""
    summary = load_summary(task_dir)[1]
    reader = MetricsReader(Path(task_dir) / METRICS_FILE, keep_series=False)
    reader.poll()
    return [problem for problem in (summary, reader.problem) if problem]


def _restore_nonfinite(value: Any) -> Any:
    if type(value) is str:
        return JSON_TO_NONFINITE.get(value, value)
    if isinstance(value, list):
        return [_restore_nonfinite(v) for v in value]
    if isinstance(value, dict):
        return {k: _restore_nonfinite(v) for k, v in value.items()}
    return value
