"""What a running task's output says: its progress (the sidecar) and the metrics in its lines.

The runner polls one `OutputWatch` per running task (no process or thread per task; a Slurm
launcher can poll its own the same way): every POLL_S while the task is quiet, every FOLLOW_S
while its log grows, and SOON_S after its supervisor says it printed after a pause (`output_came`),
so the sidecar is at most ~FOLLOW_S behind the log, not a second or more. Each look costs ~0.5 ms
(the sidecar's rename most of it): the runs whose log grows share FOLLOW_LOOKS looks a second, so
8 runs printing all the time are read once a second each, as before, and one or two 4 times. The bytes appended to
the run log since the last poll go through a terminal model (160x50, like the task's pty), so
`\\r` redraws and cursor-up nested bars are applied before anything is read.

* Progress: `logs.progress.read_progress` on the screen lines; the sidecar
  (`workspace/progress_file.py`) is replaced only when the reading changed. The kinds of printed
  counters once seen at `0/N` (`counted_from_zero`, on every line as it settles) are remembered
  for the run: dcgan's `[0/25]` scrolls off long before `[24/25]`, which is still its last epoch.
* Metrics: every line that can no longer change (above the cursor) is scanned once with the
  workspace's `output_metrics` rules; the lines at and below the cursor (a live progress bar's
  postfix) are sampled at a poll once per SAMPLE_S at most and a value is appended when it changed. A line naming its
  step (`step=812`, `iter 300`: `output_metrics.row_step`) gives its row that `step`, an int, as
  `pr.log(..., step=)` does. Rows go to metrics.jsonl with `"source": "output"`, appended whole
  in one write (the script's `pr.log` appends to the same file the same way). A line that only echoes the task's parameters with
  their values (`Namespace(hidden=128, lr=0.001)`) gives none (`is_config_echo`; the task's
  config.yaml is read once, when the first line with metrics comes).

A task writing faster than `MAX_READ` bytes between two polls has the middle of that output
skipped (its last `TAIL_READ` bytes are read): progress stays right, metrics in the skipped
lines are not read, and the log path itself is never slowed down.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pyruns_tui.contracts import METRICS_FILE, NONFINITE_TO_JSON, OUTPUT_SOURCE
from pyruns_tui.errors import PyrunsError
from pyruns_tui.logs.output_metrics import MetricRules, is_config_echo, param_values, row_step
from pyruns_tui.logs.progress import counted_from_zero, read_progress
from pyruns_tui.runner.knobs import positive_seconds
from pyruns_tui.workspace.fsio import write_all
from pyruns_tui.workspace.layout import Layout
from pyruns_tui.workspace.progress_file import RunProgress, write_run_progress
from pyruns_tui.workspace.query import flatten

if TYPE_CHECKING:
    from pyruns_tui.logs.terminal import TerminalModel

POLL_S = 1.0  # how often the runner reads running tasks' output while they print nothing
POLL_ENV = "PYRUNS_TUI_OUTPUT_POLL_S"  # replaces POLL_S (for tests: a large one leaves only the supervisors' word)
FOLLOW_S = 0.25  # while a run's log grows, how often it is read (its sidecar is at most this old)
FOLLOW_LOOKS = 8.0  # looks a second shared by the runs whose log grows: beyond 2 such runs, each is read less often
SOON_S = 0.02  # the supervisor said output came after a pause: the rest of that burst is awaited this long
SAMPLE_S = 1.0  # a live bar's postfix is sampled at most this often, however often the log is read
MAX_READ = 1 << 20
TAIL_READ = 64 << 10
COLUMNS, ROWS = 160, 50  # the supervisor's pty size
STEP = "step"  # a row's step: a metric of that name is renamed (`row_step`), so the key is free


class OutputWatch:
    """One run's log followed as it grows (see module doc)."""

    def __init__(self, task_dir: Path, run: int, log_path: Path, rules: MetricRules,
                 started_at: float | None = None, resume: bool = False,
                 config: Callable[[], Mapping[str, Any]] | None = None) -> None:
        self.task_dir = task_dir
        self.run = run
        self.log_path = log_path
        self.rules = rules
        self._config = config  # the task's parameters (flat), read when first needed
        self._params: Mapping[str, frozenset[float]] | None = None
        # when the run started (its ETA is estimated from it); a Slurm run may be seen running
        # before its launcher's record says when: then its first output's time, until `know_start`
        self.started_at = started_at
        self.start_known = started_at is not None
        self.model = _model()
        self.offset = 0
        self.skipped_bytes = 0
        self._seen_version = -1
        # screen lines above the cursor already scanned: (text, metrics) by absolute number
        self._settled: dict[int, tuple[str, dict[str, float]]] = {}
        self._live: dict[str, float] = {}  # metrics last sampled from the lines still changing
        self._sampled_at = -SAMPLE_S  # when they were sampled (`now` of that poll)
        self._unsampled = False  # the lines still changing changed since
        self._from_zero: set[str] = set()  # kinds of printed counters seen at `0/N` (counted from 0)
        self._written: RunProgress | None = None
        # a run adopted from an earlier runner: its output so far was read (metrics appended)
        # by that runner; read only its tail, for the screen, and append nothing from it
        self._resume = resume
        self.errors: list[str] = []

    def poll(self, now: float | None = None, final: bool = False) -> bool:
        """Read what was appended; write the sidecar and metric rows that changed. `final`: the
        run ended, every line is final now. Disk errors are kept in `errors`, never raised.
        True when the log had grown."""
        now = time.time() if now is None else now
        data = b""
        try:
            data = self._read()
            if data:
                if self.started_at is None:
                    self.started_at = now
                self.model.feed(data)
            if final:
                self.model.finish()
            sample_due = self._unsampled and now - self._sampled_at >= SAMPLE_S
            if self.model.version == self._seen_version and not final and not sample_due:
                return bool(data)
            self._seen_version = self.model.version
            rows = self._metric_rows(final, now)
            if self._resume:
                self._resume, rows = False, []
            if rows:
                self._append_metrics(rows, now)
            self._write_progress(now)
        except FileNotFoundError:
            pass  # the supervisor has not created the log yet
        except OSError as exc:
            self.errors.append(f"{self.log_path}: {exc.strerror or exc}")
        return bool(data)

    def know_start(self, started_at: float | None) -> None:
        """The run's start, once its record says it (replaces the first output's time)."""
        if started_at is not None and not self.start_known:
            self.started_at, self.start_known = started_at, True

    def _read(self) -> bytes:
        # O_NOFOLLOW: a link planted as the log is not ours to follow
        fd = os.open(self.log_path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
        try:
            size = os.fstat(fd).st_size
            if size < self.offset:  # truncated or replaced: start again
                self.offset = 0
                self._reset_model()
                self._from_zero = set()
            if size == self.offset:
                return b""
            start = self.offset
            if self._resume and start == 0 and size > TAIL_READ:
                start = size - TAIL_READ
            elif size - start > MAX_READ:
                self.skipped_bytes += size - TAIL_READ - start
                start = size - TAIL_READ
            data = os.pread(fd, size - start, start)
        finally:
            os.close(fd)
        gap = start != self.offset
        self.offset = start + len(data)
        if gap:  # resume at a line start after the gap
            cut = data.find(b"\n")
            data = data[cut + 1:] if cut >= 0 else b""
            self._reset_model()
        return data

    def _reset_model(self) -> None:
        self.model = _model()
        self._settled = {}
        self._seen_version = -1

    def _metric_rows(self, final: bool, now: float) -> list[dict[str, float]]:
        """Rows of metrics: from settled lines (above the cursor) once, or again when redrawn
        with other values (nested bars redraw above the cursor); from the live lines when
        their values changed, looked at once per SAMPLE_S at most (a bar's postfix gives about
        a row a second, as when the log was read once a second). A row's `step` (an int) is the step its line named. Each settled
        line is also where a counter at `0/N` is noted (`_from_zero`)."""
        model = self.model
        end = model.end_line
        settled = end if final else min(model.cursor[0], end)
        rows = []
        seen = self._settled
        for n in range(model.first_line, settled):
            text = model.plain_line(n)
            before = seen.get(n)
            if before is not None and before[0] == text:
                continue
            self._from_zero |= counted_from_zero(text)
            found = self._scan(text) if self.rules else {}
            seen[n] = (text, found)
            last = before[1] if before else self._live
            fresh = {k: v for k, v in found.items() if k != STEP and not _same(last.get(k), v)}
            for name, value in found.items():
                if name != STEP:  # the value that line settled on: a live line redrawn with it is no news
                    self._live[name] = value
            if fresh:
                rows.append(fresh if STEP not in found else {STEP: found[STEP], **fresh})
        top = model.screen_top
        for n in [n for n in seen if n < top]:
            del seen[n]  # scrolled off the screen: never redrawn again
        model.discard_lines_before(top)
        changed: dict[float | None, dict[str, float]] = {}  # by the step of their line (an int)
        sample = final or now - self._sampled_at >= SAMPLE_S
        self._unsampled = not sample
        if sample:
            self._sampled_at = now
        for n in range(settled, end) if self.rules and sample else ():
            found = self._scan(model.plain_line(n))
            step = found.pop(STEP, None)
            for name, value in found.items():
                if not _same(self._live.get(name), value):
                    changed.setdefault(step, {})[name] = self._live[name] = value
        for step, row in changed.items():
            rows.append(row if step is None else {STEP: step, **row})
        return rows

    def _scan(self, text: str) -> dict[str, float]:
        """The metrics of one line, with its step under `step` (`row_step`); none when it only
        echoes the task's parameters."""
        found = self.rules.scan(text)
        if not found:
            return found
        step = row_step(text, found)  # first: `iter 300: lr 0.001` echoes lr whatever its step
        if self._config is not None and found:
            if self._params is None:
                try:
                    self._params = param_values(self._config())
                except (PyrunsError, OSError, ValueError):  # a config.yaml that cannot be read: no echo known
                    self._params = {}
            if is_config_echo(found, self._params):
                return {}
        if step is not None and found:
            found[STEP] = step
        return found

    def _append_metrics(self, rows: list[dict[str, float]], now: float) -> None:
        t = round(now, 3)
        text = "".join(  # (a row's step is an int: _json_number keeps it one)
            json.dumps({"t": t, "source": OUTPUT_SOURCE, **{k: _json_number(v) for k, v in row.items()}},
                       separators=(",", ":"), allow_nan=False) + "\n"
            for row in rows)
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
        fd = os.open(self.task_dir / METRICS_FILE, flags, 0o644)
        try:
            write_all(fd, text.encode("utf-8"))
        finally:
            os.close(fd)

    def _write_progress(self, now: float) -> None:
        elapsed = None if self.started_at is None else max(now - self.started_at, 0.0)
        found = read_progress(self.model.screen_lines(), elapsed, self._from_zero)
        if found is None:
            return
        reading = RunProgress(self.run, round(found.progress, 6), found.label, found.rate,
                              found.eta_s, found.elapsed_s, updated_at=round(now, 3))
        last = self._written
        if last is not None and (last.progress, last.progress_label, last.rate, last.eta_s) == (
                reading.progress, reading.progress_label, reading.rate, reading.eta_s):
            return
        write_run_progress(self.task_dir, reading)
        self._written = reading


def _model() -> TerminalModel:
    # the terminal model (and rich, ~20 ms to import) is imported here, not as the runner starts:
    # a runner started by `run` starts its first task without it (warm_up imports it after)
    from pyruns_tui.logs.terminal import TerminalModel

    # lines are dropped only once scanned (discard_lines_before): memory is bounded by MAX_READ
    return TerminalModel(columns=COLUMNS, height=ROWS, styles=False, max_lines=1 << 40)


def _same(a: float | None, b: float) -> bool:
    return a is not None and (a == b or (math.isnan(a) and math.isnan(b)))


def _json_number(value: float) -> float | str:
    if math.isfinite(value):
        return value
    return NONFINITE_TO_JSON["nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")]


class OutputWatches:
    """The OutputWatch of every run one runner follows, polled on its event loop: all of them
    every POLL_S, and each one whose log grows (or whose supervisor said it printed) on its own
    timer every FOLLOW_S until a look finds nothing new (see module doc)."""

    def __init__(self, layout: Layout, log: Callable[[str], None],
                 config: Callable[[str], Mapping[str, Any]] | None = None) -> None:
        self.layout = layout
        self.log = log
        self.config = config  # a task's parameters, by its name (TaskStore.load_config)
        self.watches: dict[str, OutputWatch] = {}
        self.loop: asyncio.AbstractEventLoop | None = None
        self._rules_source: tuple[tuple[str, str], ...] | None = None
        self._rules = MetricRules(())
        self._timer: asyncio.TimerHandle | None = None
        self._following: dict[str, asyncio.TimerHandle] = {}  # runs whose log grows: their next look
        self.poll_s = positive_seconds(os.environ, POLL_ENV, POLL_S)

    def set_rules(self, rules: tuple[tuple[str, str], ...]) -> None:
        """The workspace's `output_metrics` rules (compiled again only when they changed)."""
        if rules != self._rules_source:
            self._rules_source = rules
            self._rules = MetricRules(rules)
            for watch in self.watches.values():
                watch.rules = self._rules

    def add(self, name: str, run: int, started_at: float | None, resume: bool = False) -> None:
        """Follow run `run` of `name`; `resume`: a run adopted from an earlier runner."""
        config = self.config
        params = None if config is None else lambda: flatten(config(name))
        watch = self.watches[name] = OutputWatch(self.layout.task_dir(name), run, self.layout.run_log(name, run),
                                                 self._rules, started_at, resume, params)
        if resume:  # what it printed so far was read by the earlier runner; what comes from now on is ours
            self._poll(name, watch)
        if self._timer is None and self.loop is not None:
            self._timer = self.loop.call_later(self.poll_s, self._tick)

    def finish(self, name: str) -> None:
        """The run of `name` ended: read the rest of its output, then forget it."""
        self._unfollow(name)
        watch = self.watches.pop(name, None)
        if watch is not None:
            self._poll(name, watch, final=True)

    def output_came(self, name: str) -> None:
        """The supervisor of `name` says its task printed after a pause: read it in SOON_S
        (unless its log is followed already: it is read then anyway)."""
        if name in self.watches and name not in self._following and self.loop is not None:
            self._following[name] = self.loop.call_later(SOON_S, self._follow, name)

    def poll_all(self) -> None:
        """Read every run not followed on its own timer; a log that grew is followed from now on."""
        now = time.time()
        for name, watch in list(self.watches.items()):
            if name not in self._following and self._poll(name, watch, now=now) and self.loop is not None:
                self._following[name] = self.loop.call_later(self._follow_delay(), self._follow, name)

    def _follow(self, name: str) -> None:
        """Read the log of `name` again; once a look finds nothing new, POLL_S takes over."""
        self._following.pop(name, None)
        watch = self.watches.get(name)
        try:
            grew = watch is not None and self._poll(name, watch)
        except Exception:  # noqa: BLE001 - as in _tick: the polling of the others goes on
            import traceback

            self.log(f"{name}: reading the output failed:\n" + traceback.format_exc())
            return
        if grew and self.loop is not None:
            self._following[name] = self.loop.call_later(self._follow_delay(), self._follow, name)

    def _follow_delay(self) -> float:
        """Until the next look at a run whose log grows: FOLLOW_S, longer when more than
        FOLLOW_LOOKS * FOLLOW_S runs share the looks (at most POLL_S, the rate of a quiet run)."""
        return min(max(FOLLOW_S, (len(self._following) + 1) / FOLLOW_LOOKS), POLL_S)

    def _unfollow(self, name: str) -> None:
        timer = self._following.pop(name, None)
        if timer is not None:
            timer.cancel()

    def _poll(self, name: str, watch: OutputWatch, now: float | None = None, final: bool = False) -> bool:
        grew = watch.poll(now, final)
        for error in watch.errors:
            self.log(f"{name}: reading the output: {error}")
        watch.errors.clear()
        return grew

    def _tick(self) -> None:
        self._timer = None
        try:
            self.poll_all()
        except Exception:  # noqa: BLE001 - a bad reading must not stop the polling of the others
            import traceback

            self.log("reading task output failed:\n" + traceback.format_exc())
        if self.watches and self.loop is not None:
            self._timer = self.loop.call_later(self.poll_s, self._tick)

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for name in list(self._following):
            self._unfollow(name)
