"""The scan index: a compact record of what each task's task_info.json and config.yaml held, kept
by the writers (and by readers that had to parse a file), so a reader of 100,000 tasks parses
only what changed behind the index's back.

Never the only truth: an entry is used only when the file's (inode, mtime, size) still equal the
ones recorded with it, so a missing, stale, torn or corrupt index, a killed writer or a
hand-edited task only cost a re-parse. One file next to the workspace's lock, `.scan_cache.json`:
a snapshot on its first line, then one JSON row a line appended by writers (no lock, no fsync;
a torn line is skipped). A reader replaces the file with a new snapshot once the appended rows
grew many (compaction); rows appended meanwhile are lost, which only costs a re-parse.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from pyruns_tui.workspace.fsio import atomic_write, loads_compact_json, open_regular, read_bytes, write_all

StatKey = tuple[int, int, int]
VERSION = 2
JOURNAL_CAP = 64 << 20  # writers stop appending past this size; the next reader compacts
COMPACT_LINES = 2_000  # a reader folds the log in once it holds more rows than this and than half the index
# values task_info.json holds for a fresh task: left out of the index rows (short rows load fast)
_DEFAULTS: dict[str, Any] = {
    "schema_version": 1, "pinned": False, "notes": "", "task_kind": "argparse", "script": None, "gpus": None,
    "reason": None, "force": False, "stop_requested": False, "queued_at": None, "runs": [],
}
_MISSING = object()
InfoEntry = tuple[StatKey, str, str]  # stat key, status, the other fields as compact JSON
ConfigEntry = tuple[StatKey, str]  # stat key, the config as JSON


def key_of(st: os.stat_result) -> StatKey:
    return (st.st_ino, st.st_mtime_ns, st.st_size)


_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode  # json.dumps with options builds an encoder per call


def _is_default(key: str, value: Any) -> bool:
    default = _DEFAULTS.get(key, _MISSING)
    return type(value) is type(default) and value == default


def info_row(name: str, key: StatKey, data: Any) -> list[Any] | None:
    """The log row for a task_info.json holding `data`; None when it cannot be indexed exactly."""
    if not isinstance(data, dict) or not isinstance(data.get("status"), str) or not isinstance(data.get("name"), str):
        return None
    rest = {k: v for k, v in data.items() if k != "status" and not (k == "name" and v == name) and not _is_default(k, v)}
    try:
        return ["i", name, *key, data["status"], _dumps(rest)]
    except (TypeError, ValueError):
        return None


def _plain(value: Any) -> bool:
    """Whether `value` survives a JSON round trip unchanged (YAML may hold dates, int keys, nan)."""
    kind = type(value)
    if kind is dict:
        return all(type(k) is str and _plain(v) for k, v in value.items())
    if kind is list:
        return all(_plain(v) for v in value)
    if kind is float:
        return math.isfinite(value)
    return kind in (str, int, bool, type(None))


def config_row(name: str, key: StatKey, config: dict[str, Any]) -> list[Any] | None:
    """The log row for a config.yaml that loads as `config`; None when JSON cannot hold it exactly."""
    if not _plain(config):
        return None
    return ["c", name, *key, _dumps(config)]


def _valid_key(row: Sequence[Any], at: int) -> StatKey | None:
    key = row[at:at + 3]
    if len(key) == 3 and all(type(v) is int for v in key):
        return (key[0], key[1], key[2])
    return None


def append_rows(path: Path, rows: Iterable[list[Any] | None]) -> None:
    """Append rows to the index file (writers; best effort: the index is never needed to be right)."""
    text = "".join(_dumps(row) + "\n" for row in rows if row is not None)
    if not text:
        return
    with contextlib.suppress(OSError, ValueError):
        fd = open_regular(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            if os.fstat(fd).st_size < JOURNAL_CAP:
                write_all(fd, text.encode("utf-8"))
        finally:
            os.close(fd)


def _entries(columns: Any, values: int) -> Iterable[tuple[str, Any]]:
    """(name, entry) pairs of a snapshot table stored by column (names, inodes, mtimes, sizes,
    then `values` string columns): whole columns are type-checked at C speed, else none is used."""
    if not columns:
        return ()
    if type(columns) is not list or len(columns) != 4 + values or any(type(c) is not list for c in columns):
        return ()
    names, inodes, mtimes, sizes, *rest = columns
    if len({len(c) for c in columns}) != 1 or set(map(type, names)) != {str}:
        return ()
    if not set(map(type, inodes)) | set(map(type, mtimes)) | set(map(type, sizes)) <= {int}:
        return ()
    if any(set(map(type, c)) != {str} for c in rest):
        return ()
    keys = zip(inodes, mtimes, sizes)
    return zip(names, zip(keys, *rest)) if values > 1 else zip(names, zip(keys, rest[0]))


class ScanIndex:
    """The index as one reader sees it: loaded once, consulted per file with a fresh stat key."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.info: dict[str, InfoEntry] = {}
        self.config: dict[str, ConfigEntry] = {}
        self._loaded = False
        self._journal_rows = 0
        self._pending: list[list[Any]] = []  # rows for files this reader had to parse

    def load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        try:
            lines = read_bytes(self.path).split(b"\n")
        except (OSError, ValueError):
            return
        if lines[0].startswith(b"{"):
            with contextlib.suppress(ValueError, RecursionError, TypeError):
                data = json.loads(lines[0])
                if isinstance(data, dict) and data.get("version") == VERSION:
                    self.info.update(_entries(data.get("info"), 2))
                    self.config.update(_entries(data.get("config"), 1))
            del lines[0]
        self._take_lines(lines)

    def _take_lines(self, lines: list[bytes]) -> None:
        for line in lines:
            if line:
                self._journal_rows += 1
                with contextlib.suppress(ValueError, RecursionError):
                    self._take(json.loads(line))

    def _take(self, row: Any) -> None:
        """Keep a row whose shape is right; anything else (a torn or edited line) is ignored."""
        if type(row) is not list or not row or type(row[1] if len(row) > 1 else None) is not str:
            return
        key = _valid_key(row, 2)
        if key is None:
            return
        if row[0] == "i" and len(row) == 7 and type(row[5]) is str and type(row[6]) is str:
            self.info[row[1]] = (key, row[5], row[6])
        elif row[0] == "c" and len(row) == 6 and type(row[5]) is str:
            self.config[row[1]] = (key, row[5])

    def status(self, name: str, key: StatKey) -> str | None:
        """The status recorded for a task_info.json with this stat key (None: not known)."""
        entry = self.info.get(name)
        return entry[1] if entry is not None and entry[0] == key else None

    def info_data(self, name: str, key: StatKey) -> dict[str, Any] | None:
        """The content of task `name`'s task_info.json if the index holds it for this stat key."""
        entry = self.info.get(name)
        if entry is None or entry[0] != key:
            return None
        try:
            rest = loads_compact_json(entry[2])
        except ValueError:
            return None
        if type(rest) is not dict:
            return None
        return {"name": name, **rest, "status": entry[1]}  # left-out defaults read as defaults

    def config_data(self, name: str, key: StatKey) -> dict[str, Any] | None:
        entry = self.config.get(name)
        if entry is None or entry[0] != key:
            return None
        try:
            config = loads_compact_json(entry[1])
        except ValueError:
            return None
        return config if type(config) is dict else None

    def parsed_info(self, name: str, key: StatKey, data: Any) -> None:
        """A reader parsed this task_info.json: remember it for the next reader."""
        row = info_row(name, key, data)
        if row is not None:
            self.info[name] = (key, row[5], row[6])
            self._pending.append(row)

    def parsed_config(self, name: str, key: StatKey, config: dict[str, Any]) -> None:
        row = config_row(name, key, config)
        if row is not None:
            self.config[name] = (key, row[5])
            self._pending.append(row)

    def flush(self, live: Callable[[], Iterable[str]]) -> None:
        """Append what this reader parsed; fold the log into a new snapshot once it grew large.
        `live()`: the task names that exist now (rows of others are dropped from the snapshot)."""
        pending, self._pending = self._pending, []
        rows = self._journal_rows + len(pending)
        if rows <= COMPACT_LINES or rows <= len(self.info) // 2:
            append_rows(self.path, pending)
            self._journal_rows = rows
            return
        self._compact(set(live()))

    def _compact(self, live: set[str]) -> None:
        with contextlib.suppress(OSError, ValueError):  # rows appended since this reader loaded
            self._take_lines(read_bytes(self.path).split(b"\n")[1:])
        info = [(n, *k, s, r) for n, (k, s, r) in self.info.items() if n in live]
        config = [(n, *k, t) for n, (k, t) in self.config.items() if n in live]
        with contextlib.suppress(OSError, ValueError):
            text = _dumps({"version": VERSION, "info": list(zip(*info)), "config": list(zip(*config))})
            atomic_write(self.path, text.encode("utf-8") + b"\n", fsync=False, mode=0o600)
        self._journal_rows = 0
