"""The script-side API: what a training script calls, inside a pyruns-tui task or not.

`load()` reads the task's parameters; `log()` appends metric rows to the task's
metrics.jsonl; `summary()` merges final values into summary.json; `flush()` writes buffered
rows to the file now (not synced: the kernel writes them back, as for any file). Outside a
task (no `PYRUNS_TASK_DIR`) `log`/`summary`/`flush` are no-ops.
None of them raises into the training loop: a problem is reported once on stderr.
The file formats are documented in docs/script-api.md.

This module is imported by `import pyruns_tui`, so it imports nothing heavy at module
level: json and threading come in with the first `log()` inside a task.
"""

from __future__ import annotations

import _thread  # (the C lock `threading` wraps: `import pyruns_tui` stays light)
import os
import sys
import time
from collections.abc import Mapping

from pyruns_tui.contracts import (
    MAX_JSON_DEPTH,
    METRICS_FILE,
    NONFINITE_TO_JSON,
    RESERVED_KEYS,
    SUMMARY_FILE,
    TASK_DIR_ENV,
)
from pyruns_tui.script.config import Config, find_config, read_config

TYPE_CHECKING = False  # `typing` costs milliseconds at import; annotations are strings
if TYPE_CHECKING:
    from typing import Any

    from pyruns_tui.script.metrics_writer import MetricsWriter

__all__ = ["Config", "add_monitor", "flush", "load", "log", "summary"]


_UNRESOLVED = object()
_writer: MetricsWriter | None = _UNRESOLVED  # type: ignore[assignment]
# held while the first log() binds the process to its file: threads logging their first rows at
# once each made a writer of their own, and the rows of all but the last were missed by flush()
# (re-entrant: a signal handler that logs while the main thread binds)
_resolving = _thread.RLock()
_warned: set[str] = set()
_SKIP = object()


class _TooDeep(Exception):
    """A pr.summary() value nests too deeply to be read back."""


def load(path: str | os.PathLike[str] | None = None) -> Config:
    """The task's parameters as a Config (attribute and item access).

    Reads `path` if given, else `$__PYRUNS_CONFIG__` (every task has it), else, outside a
    task, the script's workspace `_pyruns_/<script_stem>/config_default.yaml` or a
    `<script_stem>.yaml` beside the script. Raises `pyruns_tui.errors.ParamsError` when
    there is no such file or it is not a YAML mapping (this one does raise: it runs
    before training, and a missing config must not go unnoticed).
    """
    return read_config(find_config(path))


def log(metrics: Mapping[str, Any], step: int | None = None, stage: str | None = None) -> None:
    """Append one row `{"t": <epoch s>, "step": step, "stage": stage, **metrics}`.

    Values are numbers (int, float, bool; numpy/torch scalars through `.item()`); NaN and
    infinities are kept (as the strings "NaN", "Infinity", "-Infinity"); anything else is
    dropped with a one-time warning. Rows are buffered and written within about a second,
    at exit, and on `flush()`; a multiprocessing child and atexit handlers write each row
    at once. A no-op outside a task; never raises.
    """
    writer = _writer
    if writer is None:
        return
    try:
        if writer is _UNRESOLVED:
            writer = _resolve_writer()
            if writer is None:
                return
        row = _metrics_row(metrics, step, stage)
        if row is not None:
            writer.append(row)
    except Exception as exc:
        _warn_once("log", f"pr.log() failed and skipped a row: {exc!r}")


def flush() -> None:
    """Write buffered metric rows now (e.g. before a risky step, or before os._exit)."""
    writer = _writer
    if writer is None or writer is _UNRESOLVED:
        return
    try:
        writer.flush()
    except Exception as exc:
        _warn_once("flush", f"pr.flush() failed: {exc!r}")


def summary(values: Mapping[str, Any]) -> None:
    """Merge `values` (final or best results, e.g. `{"best_acc": 0.91}`) into summary.json.

    Written at once, atomically (temp file + rename), under a lock so concurrent
    processes do not lose each other's keys. A no-op outside a task; never raises.
    """
    task_dir = os.environ.get(TASK_DIR_ENV)
    if not task_dir:
        return
    try:
        clean = {}
        for key, value in values.items():
            try:
                converted = _summary_value(value, MAX_JSON_DEPTH - 1)  # summary.json itself is one level
            except _TooDeep:
                _warn_once("deep", f"pr.summary(): {key!r} nests more than {MAX_JSON_DEPTH} levels deep; dropped")
                continue
            if converted is _SKIP:
                _warn_value(key, value, "pr.summary()")
                continue
            clean[key if type(key) is str else str(key)] = converted
        if clean:
            from pyruns_tui.script.summary_writer import merge_summary

            merge_summary(os.path.join(task_dir, SUMMARY_FILE), clean)
    except Exception as exc:
        _warn_once("summary", f"pr.summary() failed, summary.json not updated: {exc!r}")


def add_monitor(data: Mapping[str, Any] | None = None, **values: Any) -> None:
    """Pyruns-compatible alias of `summary()`: `pr.add_monitor(best_acc=0.91)`."""
    try:
        merged = dict(data or {})
    except Exception as exc:
        _warn_once("summary", f"pr.add_monitor() needs a mapping, got {exc!r}")
        return
    merged.update(values)
    summary(merged)


def _resolve_writer() -> MetricsWriter | None:
    """Bind this process to its task's metrics file, or to nothing outside a task (once, when
    threads log their first rows at the same time)."""
    global _writer
    with _resolving:
        if _writer is not _UNRESOLVED:
            return _writer  # another thread bound it meanwhile
        task_dir = os.environ.get(TASK_DIR_ENV)
        if not task_dir:
            _writer = None
            return None
        from pyruns_tui.script.metrics_writer import MetricsWriter

        _writer = MetricsWriter(os.path.join(task_dir, METRICS_FILE), on_error=_warn_once)
        return _writer


def _reset_for_tests() -> None:
    """Forget the resolved task (tests change the environment within one process)."""
    global _writer
    if _writer is not None and _writer is not _UNRESOLVED:
        _writer.close()
    _writer = _UNRESOLVED  # type: ignore[assignment]  # the sentinel, as at module level
    _warned.clear()


def _metrics_row(metrics: Mapping[str, Any], step: Any, stage: Any) -> dict[str, Any] | None:
    """The row for one `log()` call: `t`, `step`, `stage`, then the metrics in call order.

    None when no metric is left to write.
    """
    step_in_metrics = step is None and "step" in metrics
    if step_in_metrics:
        step = metrics["step"]
    stage_in_metrics = stage is None and "stage" in metrics
    if stage_in_metrics:
        stage = metrics["stage"]
    row: dict[str, Any] = {"t": time.time()}
    if step is not None:
        step = _step_value(step)
        if step is not None:
            row["step"] = step
    if stage is not None:
        row["stage"] = stage if type(stage) is str else str(stage)
    header_len = len(row)
    for key, raw in metrics.items():
        if type(key) is not str:
            key = str(key)
        if key in RESERVED_KEYS:
            used = (key == "step" and step_in_metrics) or (key == "stage" and stage_in_metrics)
            if not used:
                _warn_once("reserved", f"pr.log(): metric name {key!r} is reserved; dropped")
            continue
        kind = type(raw)
        if kind is float:
            value = NONFINITE_TO_JSON[repr(raw)] if raw - raw != 0.0 else raw  # NaN, inf
        elif kind is int or kind is bool:
            value = raw
        else:
            value = _number(raw)
            if value is _SKIP:
                _warn_value(key, raw, "pr.log()")
                continue
        row[key] = value
    return row if len(row) > header_len else None


def _number(value: Any) -> Any:
    """`value` as a JSON-ready number, or _SKIP when it is not one."""
    if value is None:
        return None
    if isinstance(value, (str, bytes)):
        return _SKIP
    item = getattr(value, "item", None)
    if item is not None:  # numpy scalars, 0-d/1-element arrays and tensors
        try:
            value = item()
        except Exception:
            return _SKIP
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, str) or not hasattr(type(value), "__float__"):
        return _SKIP
    try:
        value = float(value)
    except Exception:
        return _SKIP
    return NONFINITE_TO_JSON[repr(value)] if value - value != 0.0 else value


def _step_value(step: Any) -> int | None:
    if type(step) is int:
        return step
    value = _number(step)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    _warn_once("step", f"pr.log(): step must be an int, got {step!r}; row written without it")
    return None


def _summary_value(value: Any, levels: int) -> Any:
    """`value` as JSON-ready data (numbers, strings, None, lists, dicts), or _SKIP; _TooDeep
    when lists and dicts nest more than `levels` deep (readers refuse such files)."""
    if value is None or type(value) in (str, int, bool):
        return value
    if isinstance(value, (Mapping, list, tuple)) and levels <= 0:
        raise _TooDeep
    if isinstance(value, Mapping):
        out = {}
        for key, inner in value.items():
            converted = _summary_value(inner, levels - 1)
            if converted is not _SKIP:
                out[key if type(key) is str else str(key)] = converted
        return out
    if isinstance(value, (list, tuple)):
        return [v for v in (_summary_value(item, levels - 1) for item in value) if v is not _SKIP]
    if isinstance(value, str):
        return str(value)
    return _number(value)


def _warn_value(key: str, value: Any, where: str) -> None:
    _warn_once(
        "value",
        f"{where}: value of {key!r} is a {type(value).__name__}, not a number; dropped "
        "(further dropped values are not reported)",
    )


def _warn_once(kind: str, message: str) -> None:
    """Print `message` on stderr the first time a problem of this `kind` happens."""
    if kind in _warned:
        return
    _warned.add(kind)
    try:
        sys.stderr.write(f"pyruns_tui: warning: {message}\n")
        sys.stderr.flush()
    except Exception:
        pass  # no usable stderr: stay silent rather than break the script
