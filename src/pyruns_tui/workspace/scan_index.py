"""The scan index: a compact record of what each task's task_info.json and config.yaml held, kept
by the writers (and by readers that had to parse a file), so a reader of 100,000 tasks parses
only what changed behind the index's back.

Never the only truth: an entry is used only when the file's (inode, mtime, size) still equal the
ones recorded with it, so a missing, stale, torn or corrupt index, a killed writer or a
hand-edited task only cost a re-parse. Three files next to the workspace's lock:
`.scan_cache.log`, one JSON row a line appended by writers (no lock, no fsync; a torn line is
skipped), and a snapshot (replaced atomically by a reader that had to parse files or found the
log long) that says up to where in the log it holds the rows. The snapshot is two files:
`.scan_cache.json` holds each task_info.json's stat key and status only (what `ls status:failed`
needs: a fifth of the bytes), `.scan_cache.rest.jsonl` the other fields and the configs, parsed
in one go the first time a reader needs them; both carry the same stamp, and rows of a rest file
whose stamp differs (a snapshot written in between) are not used.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from pyruns_tui.contracts import MAX_JSON_DEPTH
from pyruns_tui.workspace.fsio import (
    atomic_write,
    dumps_compact,
    json_exact,
    loads_compact_json,
    nests_within,
    open_regular,
    open_regular_stat,
    read_bytes,
    text_nests_within,
    write_all,
)

TYPE_CHECKING = False  # not `from typing`: importing typing costs a command ~4 ms
if TYPE_CHECKING:
    from typing import Any

StatKey = tuple[int, int, int]
VERSION = 3
# a writer finding the log over LOG_CAP and over LOG_PER_SNAPSHOT times the snapshot's size starts
# it anew (rows lost: only re-parses): queueing 100,000 tasks appends more than 32 MB, and losing
# those rows made the next reader parse every task (a runner start 1 s -> 6 s)
LOG_CAP = 32 << 20
LOG_PER_SNAPSHOT = 4
COMPACT_LINES = 2_000  # a reader folds the log in once it holds more rows than this and than half the index
PARSED_TO_SAVE = 1  # a reader that had to parse this many files saves a snapshot
# values task_info.json holds for a fresh task: left out of the index rows (short rows load fast)
_DEFAULTS: dict[str, Any] = {
    "schema_version": 1, "pinned": False, "notes": "", "task_kind": "argparse", "script": None, "gpus": None,
    "reason": None, "force": False, "stop_requested": False, "queued_at": None, "runs": [],
}
# a run's fields that its record holds even when unset (None, an empty list or dict), as the
# run's defaults: left out of its index rows too (a run of 18 fields in ~7: 100,000 tasks that ran,
# a rest file 55 -> 41 MB, parsed and made into runs faster)
_RUN_DEFAULTS: dict[str, Any] = {
    **dict.fromkeys(("start", "finish", "duration_s", "pid", "exit_code", "signal", "host", "git", "python", "argv",
                     "reason", "error", "error_line", "retry_of", "backend", "slurm_job_id", "node", "restarts",
                     "gpu_mem_peak_mb", "gpu_util_mean", "gpu_util_p95", "gpu_devices")),
    "gpus": [], "env": {},
}
_MISSING = object()
# stat key, status, the other fields: compact JSON (a log row), parsed (the rest file) or None
# (held by the rest file, not loaded yet)
InfoEntry = tuple[StatKey, str, "str | dict[str, Any] | None"]
ConfigEntry = tuple[StatKey, "str | dict[str, Any]"]  # stat key, the config as compact JSON or parsed


def key_of(st: os.stat_result) -> StatKey:
    return (st.st_ino, st.st_mtime_ns, st.st_size)




def _not_json(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _row_dumps() -> Callable[[list[Any]], str]:
    """`dumps_compact` of a log row: a flat list of texts and numbers (its fields and config are JSON
    text already), so the C encoder is made once, without the watch for cycles only nesting
    needs (`encode` makes one per call: 2.6 -> 1.2 us a row, 20,000 rows a `gen` of 10,000)."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return dumps_compact
    encode = make(None, _not_json, json.encoder.encode_basestring, None, ":", ",", False, False, False)
    return lambda row: "".join(encode(row, 0))


_dumps_row = _row_dumps()


def _is_default(key: str, value: Any) -> bool:
    default = _DEFAULTS.get(key, _MISSING)
    return type(value) is type(default) and value == default


def _lean_runs(runs: Any) -> Any:
    """`runs` (a record's) without the fields each run holds at their default."""
    if type(runs) is not list:
        return runs
    return [{k: v for k, v in run.items() if not _is_run_default(k, v)} if type(run) is dict else run for run in runs]


def _is_run_default(key: str, value: Any) -> bool:
    default = _RUN_DEFAULTS.get(key, _MISSING)
    return type(value) is type(default) and value == default


def _lean(rest: dict[str, Any]) -> dict[str, Any]:
    """A row's other fields with their runs lean (`_lean_runs`)."""
    return {**rest, "runs": _lean_runs(rest["runs"])} if "runs" in rest else rest


def info_row(name: str, key: StatKey, data: Any) -> list[Any] | None:
    """The log row for a task_info.json holding `data`; None when it cannot be indexed exactly."""
    if not isinstance(data, dict) or not isinstance(data.get("status"), str) or not isinstance(data.get("name"), str):
        return None
    rest = {k: v for k, v in data.items() if k != "status" and not (k == "name" and v == name) and not _is_default(k, v)}
    if "runs" in rest:
        rest["runs"] = _lean_runs(rest["runs"])
    try:
        return ["i", name, *key, data["status"], dumps_compact(rest)]
    except (TypeError, ValueError):
        return None


def config_row(name: str, key: StatKey, config: dict[str, Any]) -> list[Any] | None:
    """The log row for a config.yaml that loads as `config`; None when JSON cannot hold it exactly."""
    if not json_exact(config):
        return None
    return ["c", name, *key, dumps_compact(config)]


def _valid_key(row: Sequence[Any], at: int) -> StatKey | None:
    key = row[at:at + 3]
    if len(key) == 3 and all(type(v) is int for v in key):
        return (key[0], key[1], key[2])
    return None


@functools.lru_cache(maxsize=8)  # every write of a task file appends a row: its path built once
def log_of(snapshot: Path) -> Path:
    """The index's log beside its snapshot (`.scan_cache.log`): writers append a row there."""
    return snapshot.with_suffix(".log")


def append_rows(snapshot: Path, rows: Iterable[list[Any] | None]) -> None:
    """Append rows to the index's log (writers; best effort: the index is never needed to be right)."""
    dumps = _dumps_row
    text = "".join(dumps(row) + "\n" for row in rows if row is not None)
    if not text:
        return
    with contextlib.suppress(OSError, ValueError):
        fd, st = open_regular_stat(log_of(snapshot), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            size = st.st_size  # (the fstat of the open: no second one)
            if size > LOG_CAP and size > LOG_PER_SNAPSHOT * _snapshot_size(snapshot):
                os.ftruncate(fd, 0)
            write_all(fd, text.encode("utf-8"))
        finally:
            os.close(fd)


def _snapshot_size(snapshot: Path) -> int:
    """The bytes of the snapshot's two files (lstat: a planted link counts as what it is)."""
    total = 0
    for path in (snapshot, snapshot.with_suffix(".rest.jsonl")):
        with contextlib.suppress(OSError):
            total += os.lstat(path).st_size
    return total


def _columns(columns: Any, types: Sequence[set[type]]) -> list[list[Any]] | None:
    """A snapshot table stored by column, each column's types checked at C speed (one type set
    per column); None when any is off (then no row of it is used)."""
    if type(columns) is not list or len(columns) != len(types) or any(type(c) is not list for c in columns):
        return None
    if len({len(c) for c in columns}) != 1:
        return None
    if any(c and not set(map(type, c)) <= allowed for c, allowed in zip(columns, types)):
        return None
    return columns


_KEYED_TABLE: list[set[type]] = [{str}, {int}, {int}, {int}]  # names, inodes, mtimes, sizes


def _snapshot_part(data: bytes) -> dict[str, Any] | None:
    """A snapshot document (the main file, or one section of the rest file) if its shape is right."""
    with contextlib.suppress(ValueError, RecursionError, TypeError):
        part = json.loads(data)
        if isinstance(part, dict) and part.get("version") == VERSION and type(part.get("stamp")) is str:
            return part
    return None


def _read_from(fd: int, offset: int, end: int | None = None) -> bytes:
    """The bytes of `fd` from `offset` to `end` (None: to its end)."""
    if end is not None:
        return os.pread(fd, end - offset, offset)
    os.lseek(fd, offset, os.SEEK_SET)
    with os.fdopen(os.dup(fd), "rb") as stream:
        return stream.read()


def _sections(value: Any) -> dict[str, tuple[int, int]]:
    """The main file's table of rest-file sections: status -> (start, end) byte offsets."""
    if type(value) is not dict:
        return {}
    return {status: (at[0], at[1]) for status, at in value.items()
            if type(at) is list and len(at) == 2 and type(at[0]) is int and type(at[1]) is int}


class ScanIndex:
    """The index as one reader sees it: loaded once, consulted per file with a fresh stat key."""

    def __init__(self, snapshot: Path) -> None:
        self.snapshot = snapshot
        self.rest_file = snapshot.with_suffix(".rest.jsonl")
        self.log = log_of(snapshot)
        self.info: dict[str, InfoEntry] = {}
        self.config: dict[str, ConfigEntry] = {}
        self._loaded = False
        self._stamp = ""
        self._sections: dict[str, tuple[int, int]] = {}  # rest-file sections not loaded yet
        self._snapshot_rows: tuple[list[str], list[str]] = ([], [])  # the snapshot's names and statuses
        self._section_of: dict[str, str] | None = None  # task name -> its section, from them when first needed
        self._log_at: tuple[int, int] = (0, 0)  # (inode, offset) of the log read so far
        self._log_rows = 0  # rows of the log not in the snapshot
        self._parsed = 0  # files this reader had to parse

    def load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        data = None
        with contextlib.suppress(OSError):
            data = _snapshot_part(read_bytes(self.snapshot))
        if data is not None:
            table = _columns(data.get("info"), [*_KEYED_TABLE, {str}])
            if table is not None:
                names, inodes, mtimes, sizes, statuses = table
                self.info.update(zip(names, zip(zip(inodes, mtimes, sizes), statuses, [None] * len(names))))
                self._snapshot_rows = (names, statuses)
                self._sections = _sections(data.get("sections"))
                self._stamp = data["stamp"]
            at = data.get("log")
            if type(at) is list and len(at) == 2 and all(type(v) is int for v in at):
                self._log_at = (at[0], at[1])
        self._read_log()

    def _load_section(self, status: str | None) -> None:
        """Take the other fields and the configs of the snapshot's rows of tasks that had this
        status from the rest file (each section once; `ls status:failed` reads one section)."""
        where = self._sections.pop(status, None) if status is not None else None
        if where is None:
            return
        data = None
        start, end = where
        with contextlib.suppress(OSError):
            fd = open_regular(self.rest_file)
            try:
                if 0 <= start <= end <= os.fstat(fd).st_size:  # (a damaged table must not ask for 1 PB)
                    text = _read_from(fd, start, end)
                    data = _snapshot_part(text)
            finally:
                os.close(fd)
        if data is None or data["stamp"] != self._stamp or data.get("status") != status:
            return  # the rest file of another snapshot, or damaged: these rows cost parses
        # rows nest no deeper than a task file may (sections are parsed whole, unchecked, and a
        # planted one must not crash a reader later): a row sits 3 levels in, so one look at the
        # text says it of them all; only a section that fails it has each row looked at
        shallow = text_nests_within(text, MAX_JSON_DEPTH + 3)
        table = _columns(data.get("info"), [{str}, {dict}])
        if table is not None:
            info = self.info
            for name, rest in zip(*table):
                entry = info.get(name)
                if entry is not None and entry[2] is None and (shallow or nests_within(rest, MAX_JSON_DEPTH)):
                    info[name] = (entry[0], entry[1], rest)
        table = _columns(data.get("config"), [*_KEYED_TABLE, {dict}])
        if table is not None:
            names, inodes, mtimes, sizes, configs = table
            config = self.config
            for name, key, value in zip(names, zip(inodes, mtimes, sizes), configs):
                if shallow or nests_within(value, MAX_JSON_DEPTH):
                    config.setdefault(name, (key, value))  # rows of the log are newer

    def _read_log(self) -> None:
        """Take the rows appended since `_log_at` (all of them after the log was started anew)."""
        with contextlib.suppress(OSError, ValueError):
            fd = open_regular(self.log)
            try:
                st = os.fstat(fd)
                inode, offset = self._log_at
                if inode != st.st_ino or offset > st.st_size:
                    offset = 0  # another log, or this one emptied by a writer since
                data = _read_from(fd, offset)
            finally:
                os.close(fd)
            end = data.rfind(b"\n") + 1  # a row still being written is left to the next reader
            self._log_at = (st.st_ino, offset + end)
            for row in _log_rows(data[:end]):
                self._log_rows += 1
                self._take(row)

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

    def in_its_order(self, names: Sequence[str]) -> list[str]:
        """`names` in the order the index learned of them (their creation order, mostly), those it
        does not know last. A scan that reads tasks in this order finds their entries, and the
        kernel their inodes, next to each other in memory: 100,000 tasks listed in a folder's
        order (a hash's) cost `ls` ~0.2 s more, in cache misses."""
        listed = set(names)
        ordered = [name for name in self.info if name in listed]
        if len(ordered) < len(listed):
            info = self.info
            ordered += [name for name in names if name not in info]
        return ordered

    def status(self, name: str, key: StatKey) -> str | None:
        """The status recorded for a task_info.json with this stat key (None: not known)."""
        entry = self.info.get(name)
        return entry[1] if entry is not None and entry[0] == key else None

    def info_data(self, name: str, key: StatKey) -> dict[str, Any] | None:
        """The content of task `name`'s task_info.json if the index holds it for this stat key."""
        entry = self.info.get(name)
        if entry is None or entry[0] != key:
            return None
        rest = _object(entry[2] if entry[2] is not None else self._rest(name, entry))
        return None if rest is None else {"name": name, **rest, "status": entry[1]}  # left-out defaults read as defaults

    def creation_hint(self, name: str) -> tuple[str, bool] | None:
        """(created_at, pinned) as the index last recorded them for task `name`, whatever its
        file holds now (unchecked: only to choose which tasks to read first); None: not known."""
        entry = self.info.get(name)
        if entry is None:
            return None
        rest = self._rest(name, entry)
        if type(rest) is str:
            rest = _object(rest)
        if type(rest) is not dict:
            return None
        created = rest.get("created_at")
        return (created if type(created) is str else "", rest.get("pinned") is True)

    def _rest(self, name: str, entry: InfoEntry) -> str | dict[str, Any] | None:
        """The other fields of the row `entry` of task `name`, as held: a snapshot row's section of
        the rest file is loaded first (its status is still the snapshot's)."""
        if entry[2] is None and self._sections:
            self._load_section(entry[1])
            return self.info[name][2]
        return entry[2]

    def config_data(self, name: str, key: StatKey) -> dict[str, Any] | None:
        entry = self.config.get(name)
        if (entry is None or entry[0] != key) and self._sections:
            self._load_section(self._section_holding(name))  # (its rows never replace the log's)
            entry = self.config.get(name)
        if entry is None or entry[0] != key:
            return None
        return _object(entry[1])

    def _section_holding(self, name: str) -> str | None:
        """The rest file's section that holds task `name`'s rows: its status in the snapshot, as
        its info entry says until the section is loaded or a log row replaces it; else found in
        the snapshot's columns (a table of 100,000 names built only then: `ls status:failed`
        needs none)."""
        entry = self.info.get(name)
        if entry is not None and entry[2] is None:
            return entry[1]
        if self._section_of is None:
            self._section_of = dict(zip(*self._snapshot_rows))
        return self._section_of.get(name)

    def parsed_info(self, name: str, key: StatKey, data: Any) -> None:
        """A reader parsed this task_info.json: remember it (in the next snapshot)."""
        row = info_row(name, key, data)
        if row is not None:
            self.info[name] = (key, row[5], row[6])
            self._parsed += 1

    def parsed_config(self, name: str, key: StatKey, config: dict[str, Any]) -> None:
        row = config_row(name, key, config)
        if row is not None:
            self.config[name] = (key, row[5])
            self._parsed += 1

    def flush(self, live: Callable[[], Iterable[str]]) -> None:
        """Write a new snapshot when this reader parsed files or the log grew long (readers
        never append: a read-only command writes nothing but the snapshot).
        `live()`: the task names that exist now (rows of others are left out)."""
        if self._parsed < PARSED_TO_SAVE and self._log_rows <= max(COMPACT_LINES, len(self.info) // 2):
            return
        for status in list(self._sections):
            self._load_section(status)  # the rows it holds go into the new snapshot
        self._read_log()  # rows appended since this reader loaded: the snapshot covers them too
        names = set(live())
        stamp = os.urandom(8).hex()  # (the secrets module costs 14 ms to import)
        info: list[tuple[Any, ...]] = []
        by_status: dict[str, tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]] = {}
        for name, (key, status, rest) in self.info.items():
            if name in names:
                info.append((name, *key, status))
                if (value := _object(rest)) is not None:  # (rows of an older snapshot are made lean here)
                    by_status.setdefault(status, ([], []))[0].append((name, _lean(value)))
        for name, (key, config) in self.config.items():
            entry = self.info.get(name)
            if entry is not None and name in names and (value := _object(config)) is not None:
                by_status.setdefault(entry[1], ([], []))[1].append((name, *key, value))
        with contextlib.suppress(OSError, ValueError):
            # the rest file first: a reader pairing the new main file with the old rest file
            # finds their stamps differ and parses files instead
            sections, parts, at = {}, [], 0
            for status, (rests, configs) in by_status.items():
                part = dumps_compact({"version": VERSION, "stamp": stamp, "status": status, "info": _by_column(rests, 2),
                                      "config": _by_column(configs, 5)}).encode("utf-8") + b"\n"
                sections[status] = [at, at + len(part)]
                parts.append(part)
                at += len(part)
            atomic_write(self.rest_file, b"".join(parts), fsync=False, mode=0o600)
            text = dumps_compact({"version": VERSION, "stamp": stamp, "info": _by_column(info, 5), "sections": sections,
                                  "log": list(self._log_at)})
            atomic_write(self.snapshot, text.encode("utf-8"), fsync=False, mode=0o600)
        self._parsed = self._log_rows = 0


def _log_rows(lines: bytes) -> list[Any]:
    """The rows of whole log lines: parsed as one JSON array when every line is one value (half
    the time of a parse per line: 50,000 rows, 0.17 -> 0.09 s); else line by line, a line that
    does not parse (torn by a killed writer, edited) counting as None."""
    count = lines.count(b"\n")
    if count and b"\n\n" not in lines and not lines.startswith(b"\n"):
        with contextlib.suppress(ValueError, RecursionError):
            rows = json.loads(b"[" + lines[:-1].replace(b"\n", b",") + b"]")
            if type(rows) is list and len(rows) == count:  # (a torn line can merge with the next)
                return rows
    rows = []
    for line in lines.split(b"\n"):
        if line:
            try:
                rows.append(json.loads(line))
            except (ValueError, RecursionError):
                rows.append(None)
    return rows


def _object(value: str | dict[str, Any] | None) -> dict[str, Any] | None:
    """A row's value as an object fit to use: compact JSON text of a log row parsed (depth
    checked), a rest section's object as it is (its depth checked as its section was loaded);
    None otherwise."""
    if type(value) is dict:
        return value
    if type(value) is str:
        try:
            value = loads_compact_json(value)
        except ValueError:
            return None
        return value if type(value) is dict else None
    return None


def _by_column(rows: Sequence[tuple[Any, ...]], width: int) -> list[list[Any]]:
    """Rows of `width` fields as `width` columns (how snapshots store tables: fewer bytes)."""
    return [list(column) for column in zip(*rows)] if rows else [[] for _ in range(width)]
