"""The metrics cache: each task's metric values as a query last worked them out, so that a query
comparing values over 100,000 tasks (`ls 'loss<0.3'`, `ls 'lr>=0.01'`: a metric named like a
parameter wins, so every task's metrics are looked at) reads only the metrics files that changed.

Never the truth: a row is used only while the task's metrics.jsonl and task_info.json (its runs
decide which rows stand for it) have the (inode, mtime, size) recorded with it; a missing, stale,
damaged or foreign cache only costs a re-read. One file, `.metrics_cache.json` beside the scan
index, replaced atomically (not synced) by a reader that had to read metrics files, mode 0600,
used only when it is a regular file of ours that no one else may write (another user's could
give our tasks values of their choosing). Values that strict JSON cannot hold (NaN, infinity)
are not cached: such a task is read each time.

A row holds, for one key, the values a query looks at (each metric's last, minimum and maximum
in the run that stands for the task) and, for `export` and `ls -c`, the statistics of every run
(`metrics.runs.metrics_by_run`, kept as JSON text the cache does not look into: a query does not
pay for parsing them); either may be missing until someone worked it out.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from pathlib import Path

TYPE_CHECKING = False  # not `from typing`: importing typing costs a command ~4 ms
if TYPE_CHECKING:
    from typing import Any

VERSION = 2
MAX_BYTES = 256 << 20  # (100,000 tasks of one run and 2 metrics: 31 MB)
Key = tuple[int, ...]  # metrics.jsonl's (inode, mtime, size), then task_info.json's
Values = tuple[dict[str, float], dict[str, tuple[float, float]]]  # last values, (min, max)
_NUMBER = (int, float)


class MetricsCache:
    """The cache as one reader sees it: loaded at its first look-up, written by `flush`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._rows: dict[str, Any] | None = None
        self._changed = False

    def _row(self, name: str, key: Key) -> list[Any] | None:
        """Task `name`'s row if it was cached with this key."""
        if self._rows is None:
            self._rows = _read(self.path)
        row = self._rows.get(name)
        if type(row) is not list or len(row) != 4 or row[0] != list(key):
            return None
        return row

    def get(self, name: str, key: Key) -> Values | None:
        """Task `name`'s values if they were cached with this key (None: work them out)."""
        row = self._row(name, key)
        if row is None:
            return None
        last, extremes = row[1], row[2]
        if type(last) is not dict or type(extremes) is not dict or last.keys() != extremes.keys():
            return None
        if not all(type(v) in _NUMBER for v in last.values()):
            return None
        pairs = {}
        for metric, pair in extremes.items():
            if type(pair) is not list or len(pair) != 2 or not all(type(v) in _NUMBER for v in pair):
                return None
            pairs[metric] = (pair[0], pair[1])
        return last, pairs

    def put(self, name: str, key: Key, values: Values) -> None:
        """Remember task `name`'s values for this key (unless JSON cannot hold them exactly)."""
        last, extremes = values
        numbers = [*last.values(), *(v for pair in extremes.values() for v in pair)]
        if not all(type(v) in _NUMBER and v - v == 0 for v in numbers):  # (NaN, infinity: not JSON)
            return
        row = self._row(name, key) or self._new_row(name, key)
        row[1], row[2] = last, {metric: list(pair) for metric, pair in extremes.items()}
        self._changed = True

    def get_runs(self, name: str, key: Key) -> Any:
        """The statistics of task `name`'s runs as `put_runs` was given them for this key, parsed
        (the caller checks their shape); None: work them out."""
        from pyruns_tui.workspace.fsio import loads_compact_json

        row = self._row(name, key)
        if row is None or type(row[3]) is not str:
            return None
        try:
            return loads_compact_json(row[3])
        except ValueError:
            return None

    def put_runs(self, name: str, key: Key, runs: Any) -> None:
        """Remember the statistics of task `name`'s runs (JSON data) for this key, unless strict
        JSON cannot hold them (NaN, infinity)."""
        from pyruns_tui.workspace.fsio import dumps_compact

        try:
            text = dumps_compact(runs)
        except ValueError:
            return
        row = self._row(name, key) or self._new_row(name, key)
        row[3] = text
        self._changed = True

    def _new_row(self, name: str, key: Key) -> list[Any]:
        assert self._rows is not None  # (`_row` read them)
        row = self._rows[name] = [list(key), None, None, None]
        return row

    def flush(self, live: Callable[[], Iterable[str]]) -> None:
        """Write the cache when rows were added, keeping only the tasks `live()` names (the
        tasks that exist now; best effort: a read-only or full disk leaves it as it was)."""
        if not self._changed or self._rows is None:
            return
        from pyruns_tui.workspace.fsio import atomic_write, dumps_compact

        names = set(live())
        rows = {name: row for name, row in self._rows.items() if name in names}
        with contextlib.suppress(OSError, ValueError):
            text = dumps_compact({"version": VERSION, "rows": rows})
            atomic_write(self.path, text.encode("utf-8"), fsync=False, mode=0o600)
        self._changed = False


def _read(path: Path) -> dict[str, Any]:
    """The rows of the cache file when it is ours and whole; else none."""
    from pyruns_tui.workspace.fsio import read_own_json

    value = read_own_json(path, MAX_BYTES)
    if type(value) is not dict or value.get("version") != VERSION or type(value.get("rows")) is not dict:
        return {}
    rows: dict[str, Any] = value["rows"]
    return rows
