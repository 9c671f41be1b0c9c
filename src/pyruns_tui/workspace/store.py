"""TaskStore: load, scan, save and move the tasks of one workspace — the only door to the disk."""

from __future__ import annotations

import _thread  # (the thread ids of the lock's holders: importing threading costs a command ~1.5 ms)
import contextlib
import heapq
import os
import stat
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from pyruns_tui.errors import PyrunsError, WorkspaceError, os_error_line
from pyruns_tui.workspace import layout as L
from pyruns_tui.workspace.fsio import (
    SHARED_MODE,
    NotRegularFile,
    WorkspaceLock,
    atomic_write,
    atomic_write_json,
    dump_json,
    fsync_dir_fd,
    indented_json,
    json_string,
    read_bytes,
    read_json,
    read_text,
    sync_filesystem,
    write_all,
)
from pyruns_tui.workspace.gc_pause import bulk_load
from pyruns_tui.workspace.layout import Layout, script_in_project
from pyruns_tui.workspace.model import Run, Status, Task, now_iso
from pyruns_tui.workspace.names import is_plain_entry, kept_name_problem, unique_name, unique_names, validate_name
from pyruns_tui.workspace.scan_index import ScanIndex, StatKey, append_rows, config_row, info_row, key_of, log_of
from pyruns_tui.workspace.staging import PREFIX as STAGING_PREFIX
from pyruns_tui.workspace.staging import StagedBatch
from pyruns_tui.workspace.staging import new_name as new_staging_name
from pyruns_tui.workspace.staging import remove_stale as remove_stale_staging

TYPE_CHECKING = False  # not `from typing`: importing typing costs a command ~4 ms
if TYPE_CHECKING:
    from typing import Any

    from pyruns_tui.workspace.metrics_cache import MetricsCache
    from pyruns_tui.workspace.metrics_cache import Values as MetricValues

_read_json = read_json  # the parse of task files (tests count the calls)


@dataclass(frozen=True)
class NewTask:
    """What `create_tasks` needs for one task: its wanted name and exact parameters."""

    name: str
    config: dict[str, Any]
    command: str | None = None  # shell tasks: the filled command line for config.sh
    after: tuple[str, ...] = ()  # tasks it waits for (runner/dependencies.py)
    gpu_mem_mb: int | None = None  # GPU memory it needs, MB (memory-aware placement)


def stat_key(path: str | Path) -> StatKey | None:
    """(inode, mtime, size) of a file, None when it cannot be stat'ed: what tells whether a
    file changed since it was last read (an atomic replace always changes the inode)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def info_mode(data: dict[str, Any]) -> int:
    """File mode of a task_info.json: as the umask says (shared with the group under umask 002);
    owner-only if it holds a run's environment snapshot inline (written before the snapshot
    moved to `run_logs/runN.env.json`)."""
    runs = data.get("runs") or []
    return 0o600 if any(isinstance(r, dict) and r.get("env") for r in runs) else SHARED_MODE


PARALLEL_WRITES_FROM = 200  # tasks per batch from which create_tasks writes with two threads


def _write_staged(stage_fd: int, batch: Sequence[tuple[str, list[tuple[str, bytes]]]]) -> dict[tuple[str, str], StatKey]:
    """Create each task folder with its files inside the staging folder (plain writes: it is
    synced before anything is renamed in; paths relative to it: short lookups). A big batch is
    written by two threads: the work is in the kernel (mkdir, create), where they overlap.
    Returns the stat key of each file written, for the scan index (a rename keeps it)."""
    keys: dict[tuple[str, str], StatKey] = {}

    def write(part: Sequence[tuple[str, list[tuple[str, bytes]]]]) -> None:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
        for name, files in part:
            os.mkdir(name, dir_fd=stage_fd)
            for file_name, data in files:
                fd = os.open(f"{name}/{file_name}", flags, SHARED_MODE, dir_fd=stage_fd)
                try:
                    write_all(fd, data)
                    keys[name, file_name] = key_of(os.fstat(fd))
                finally:
                    os.close(fd)

    if len(batch) < PARALLEL_WRITES_FROM:
        write(batch)
        return keys
    import threading  # (concurrent.futures costs ~8 ms to import)

    errors: list[BaseException] = []

    def write_half() -> None:
        try:
            write(batch[1::2])
        except BaseException as exc:  # noqa: BLE001 - raised below, in the caller's thread
            errors.append(exc)

    helper = threading.Thread(target=write_half, name="pyruns-create")
    helper.start()
    try:
        write(batch[::2])
    finally:
        helper.join()
    if errors:
        raise errors[0]  # the caller removes the staging folder
    return keys


_NAME_MARK = "\0pyruns-task-name\0"  # (no task name holds a NUL)
_TIME_MARK = "\0pyruns-created-at\0"
_NAME_JSON = json_string(_NAME_MARK)
_TIME_JSON = json_string(_TIME_MARK)


class _NewInfo:
    """The task_info.json of the new tasks of a batch that differ only in name and created_at, and
    its scan index row: laid out once, with those two filled in for each task (`gen` of 10,000
    tasks made two dicts and an indented layout per task: ~0.15 s). The template is checked on
    the first task against what `dump_json(task.to_dict())` and `info_row` make, byte for byte;
    where they differ (a mark inside the script's path), each task is laid out itself."""

    def __init__(self, first: Task) -> None:
        self._text: str | None = None
        self._rest: str | None = None
        data = first.to_dict()
        if data.get("name") != first.name or data.get("created_at") != first.created_at:
            return
        data["name"], data["created_at"] = _NAME_MARK, _TIME_MARK  # (keys kept where they are)
        self._status = data.get("status")
        text = indented_json(data)
        if text.count(_NAME_JSON) == 1 and text.count(_TIME_JSON) == 1:
            self._text = text
        row = info_row(_NAME_MARK, (0, 0, 0), data)
        if row is not None and row[-1].count(_TIME_JSON) == 1 and _NAME_JSON not in row[-1]:
            self._rest = row[-1]
        if self._text is not None and self.text(first) != dump_json(first.to_dict()):
            self._text = None
        if self._rest is not None and self.row(first, (0, 0, 0)) != info_row(first.name, (0, 0, 0), first.to_dict()):
            self._rest = None

    def text(self, task: Task) -> bytes:
        """`dump_json(task.to_dict())`."""
        if self._text is None:
            return dump_json(task.to_dict())
        return (self._text.replace(_TIME_JSON, json_string(task.created_at)).replace(_NAME_JSON, json_string(task.name))
                + "\n").encode("utf-8")

    def row(self, task: Task, key: StatKey) -> list[Any] | None:
        """`info_row(task.name, key, task.to_dict())`."""
        if self._rest is None:
            return info_row(task.name, key, task.to_dict())
        return ["i", task.name, *key, self._status, self._rest.replace(_TIME_JSON, json_string(task.created_at))]


def _taken(tasks_dir: str | int) -> set[str]:
    """The names a task made or restored in `tasks/` (a path or an fd of it) cannot have: every
    entry there, whatever it is. A folder is a task (or its remains), and a rename onto a file,
    a symlink (dangling or not) or a folder that is not empty fails, or would replace it."""
    return set(os.listdir(tasks_dir))


def _test_stops() -> set[int]:
    """After how many renames of a batch this process stops itself (SIGSTOP), from
    PYRUNS_TUI_TEST_STOP_AT_RENAME (`4` or `3,6`): where tests kill or signal a writer
    (tests/reliability/test_batch_interrupted.py)."""
    value = os.environ.get("PYRUNS_TUI_TEST_STOP_AT_RENAME", "")
    return {int(part) for part in value.split(",") if part.isdigit()}


def _stop_for_test() -> None:
    import signal

    os.kill(os.getpid(), signal.SIGSTOP)


def _first_created(hints: Sequence[tuple[str, str]], count: int, newest_first: bool) -> list[str]:
    """The names of the first `count` (created_at, name) pairs in creation order, and of any
    tied with the last of them; those without a time ("") come last, as listings sort them."""
    if count <= 0:
        return []
    dated = [hint for hint in hints if hint[0]]
    first = (heapq.nlargest if newest_first else heapq.nsmallest)(count, dated)
    if len(first) == count:
        edge = first[-1][0]
        return [name for created, name in dated if (created >= edge if newest_first else created <= edge)]
    return [name for _, name in dated] + [name for created, name in hints if not created][:count - len(dated)]


def listing_key(task: Task) -> str:
    """The order of a listing: oldest first, a batch in its natural order.

    By (created_at, name): one string compared sorts 100,000 tasks in half the time of a tuple
    (the same order unless a hand edit put a NUL in created_at). A batch's tasks share their
    created_at and differ in a number: the shorter name first puts `b_2-of-12` before
    `b_10-of-12` (the natural order the Manager shows; a natural key cost ~150 ms per 100,000)."""
    return f"{task.created_at}\0{chr(32 + len(task.name))}{task.name}"


def trash_refusal(tasks: Sequence[Task]) -> str | None:
    """Why `TaskStore.trash` refuses to move `tasks` (a queued or running one refuses them all:
    stop it first), or None. The Manager's `d` asks it before its confirmation, `rm` through
    `trash`: one rule, one line."""
    active = [task for task in tasks if task.status.is_active]
    if len(active) == 1:
        return f"task {active[0].name!r} is {active[0].status.value}; stop it before deleting"
    if not active:
        return None
    from pyruns_tui.humanize import listed

    counts = Counter(task.status.value for task in active)
    states = ", ".join(f"{count} {status}" for status, count in counts.items())
    return (f"{len(active)} of these tasks are active ({states}): "
            f"{listed([task.name for task in active])}; stop them before deleting")


class TaskStore:
    """The tasks of one workspace on disk, with stat-based caching of what was already parsed."""

    def __init__(self, layout: Layout, *, disk_cache: bool = False, finish_batches: bool = False) -> None:
        """`finish_batches`: a scan that sees a staging folder finishes the batch an interrupted
        writer left half-written (workspace/staging.py) and adds a line saying so to `notes`
        (the CLI's and the TUI's stores; the faces say them)."""
        layout.check_folders()  # a symlinked tasks/ would lead every read, write and move outside
        self.layout = layout
        self._tasks_dir = str(layout.tasks_dir)  # hot paths join strings, not Paths
        self._index = ScanIndex(layout.cache_file) if disk_cache else None
        self._metrics: MetricsCache | None = None  # made at its first use (only with disk_cache)
        self._lock = WorkspaceLock(layout.lock_file)
        # name -> (stat key of task_info.json, raw dict) and name -> (stat key of config, config)
        self._info_cache: dict[str, tuple[StatKey, dict[str, Any]]] = {}
        self._written: dict[str, StatKey] = {}  # files as `save` wrote them (from a valid Task): no re-check
        self._task_cache: dict[str, tuple[StatKey, Task]] = {}
        self._config_cache: dict[str, tuple[StatKey, dict[str, Any]]] = {}
        self._broken: set[str] = set()  # tasks whose task_info.json did not parse when last read
        self._rows: list[list[Any] | None] = []  # scan index rows of the saves of the current hold
        self._rows_of: int | None = None  # the thread holding the lock (`lock`), while one does
        self.finish_batches = finish_batches
        self.notes: list[str] = []  # what a finished batch says, for the face to show (and clear)
        self._staging_seen: list[str] = []  # the staging folders the last listing held
        self._finishing = False

    @classmethod
    def open(cls, root: Path, name: str, *, disk_cache: bool = False) -> TaskStore:
        """The store of workspace `name` under the `_pyruns_` dir `root`; it must exist.

        With `disk_cache`, the scan index (workspace/scan_index.py) spares parsing files it
        holds (call `save_cache()` when done); short-lived readers such as `pyr-tui ls` use it.
        """
        layout = Layout(root=root, name=name)
        if not layout.tasks_dir.is_dir():
            raise WorkspaceError(f"no workspace {name!r} in {root} (run `pyr-tui init SCRIPT.py` first)")
        return cls(layout, disk_cache=disk_cache)

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the workspace lock (re-entrant) around a read-modify-write; WorkspaceError when
        tasks/ (or .trash) has been replaced by a symlink since the store was opened (looked at
        as the lock is taken, not again in a nested hold). The scan index rows of the saves made
        in a hold are appended as it ends (one open of the index's log, still under the lock)."""
        with self._lock.hold():
            if self._rows_of is not None:  # nested (this thread holds it: no other can be here)
                yield
                return
            self.layout.check_folders()
            self._rows, self._rows_of = [], _thread.get_ident()
            try:
                yield
            finally:
                rows, self._rows, self._rows_of = self._rows, [], None
                append_rows(self.layout.cache_file, rows)

    def names(self) -> list[str]:
        """Folder names of the live (not trashed) tasks, unsorted."""
        names = []
        staged = []
        try:
            with os.scandir(self.layout.tasks_dir) as it:
                for e in it:
                    if e.name.startswith("."):
                        if e.name.startswith(STAGING_PREFIX):
                            staged.append(e.name)
                    elif e.is_dir(follow_symlinks=False):  # a symlink is never a task folder: it could lead anywhere
                        names.append(e.name)
        except FileNotFoundError:
            pass
        self._staging_seen = staged
        return names

    def _is_task_folder(self, name: str) -> bool:
        """Whether `name` can only mean a real folder directly inside tasks/ (no path tricks)."""
        return is_plain_entry(name) and not os.path.islink(os.path.join(self._tasks_dir, name))

    def exists(self, name: str) -> bool:
        # any entry: a FIFO or symlink task_info.json is a broken task (`broken: ...`), not a missing one
        return self._is_task_folder(name) and os.path.lexists(self.layout.task_info(name))

    def _info_path(self, name: str) -> str:
        """Task `name`'s task_info.json as a str path (built at every read and write: no Path)."""
        return f"{self._tasks_dir}/{name}/{L.TASK_INFO}"

    def get(self, name: str) -> Task:
        """The task named `name`, read from disk (cached while task_info.json is unchanged)."""
        task = self._load(name, self._info_path(name)) if self._is_task_folder(name) else None
        if task is None:
            raise WorkspaceError(f"no task named {name!r} in workspace {self.layout.name!r}")
        return task

    def get_many(self, names: Sequence[str]) -> list[Task]:
        """The tasks named `names` (WorkspaceError for one that is missing), read-only as `scan`'s:
        what the scan index holds for an unchanged file is not read again (`run sweep` orders
        10,000 tasks by them, then `get`s each under the lock: one stat each, no open)."""
        if self._index is not None and len(names) > 1:
            self._index.load()
        tasks = []
        with bulk_load():
            for name in names:
                task = self._load(name, self._info_path(name), shared=True) if self._is_task_folder(name) else None
                if task is None:
                    raise WorkspaceError(f"no task named {name!r} in workspace {self.layout.name!r}")
                tasks.append(task)
        return tasks

    def scan(self, status: Callable[[str], bool] | None = None) -> list[Task]:
        """Every live task, oldest first; only files changed since the last scan are parsed.

        With `status`, tasks whose status (a value such as "failed") it refuses may be left out
        unparsed where the scan index knows their status (callers still filter the rest); it is
        asked once per status value, so it must answer by the value alone.
        The Tasks are shared with later scans while their file is unchanged: treat them as
        read-only (`get` returns a private copy to change and `save`)."""
        with bulk_load():
            tasks = self._scan(status)
        if self._staging_seen and self.finish_batches and not self._finishing \
                and self._rows_of != _thread.get_ident() \
                and self.finish_interrupted(self._staging_seen):  # (not inside this thread's hold of the lock)
            with bulk_load():  # scanned again only when a batch was finished: a live writer's
                tasks = self._scan(status)  # staging folder (every refresh during a `gen`) changes nothing
        return tasks

    def finish_interrupted(self, found: list[str] | None = None) -> bool:
        """Finish the batches interrupted writers left half-written (staging.tidy) among the staging
        folders `found` by a listing just made (None: tasks/ is listed for them); what it did goes
        to `notes`. Whether it finished any (moved or queued tasks)."""
        from pyruns_tui.workspace import staging

        self._finishing = True
        try:
            done = staging.tidy(self, staging.listed(self._tasks_dir) if found is None else found)
        finally:
            self._finishing = False
        self.notes += done
        return bool(done)

    def _scan(self, status: Callable[[str], bool] | None) -> list[Task]:
        index = self._index
        if index is not None:
            index.load()
        tasks_dir = self._tasks_dir
        tasks: list[Task] = []
        names = self.names()
        if index is not None:
            names = index.in_its_order(names)
        status_of = index.status if index is not None and status is not None else None
        wanted: Callable[[str], bool] = status or bool
        task_cache = self._task_cache
        allowed: dict[str, bool] = {}  # status value -> wanted(value): asked once per value
        stat = os.stat
        for name in names:
            path = f"{tasks_dir}/{name}/{L.TASK_INFO}"  # (os.path.join cost more than the stat)
            try:
                st = stat(path)
            except OSError:
                continue  # (gone since the listing, or no record: not a task)
            key = (st.st_ino, st.st_mtime_ns, st.st_size)
            if status_of is not None and name not in task_cache:
                known = status_of(name, key)
                if known is not None:
                    ok = allowed.get(known)
                    if ok is None:
                        ok = allowed[known] = wanted(known)
                    if not ok:
                        continue
            task = self._load(name, path, shared=True, key=key)  # (the stat that chose it: not a second)
            if task is not None:
                tasks.append(task)
        for stale in set(self._info_cache).difference(names):  # set(dict): one copy the other thread cannot change midway
            self.forget(stale)
        tasks.sort(key=listing_key)
        return tasks

    def first_tasks(self, count: int, *, newest_first: bool, least: int = 0) -> tuple[list[Task], int] | None:
        """The tasks a listing by creation time (pinned first) starts with, at least `count` of
        them where there are, and how many live tasks there are: for a first screen of a big
        workspace while `scan` reads the rest. Which tasks is what the scan index recorded
        (a hand edit since can make it another); each task is read and checked by stat as in
        `scan`. None without the index, with fewer than `least` live tasks, or when the index
        does not know more than `count` of them."""
        index = self._index
        if index is None:
            return None
        names = self.names()
        if len(names) < least:
            return None
        index.load()
        pinned: list[tuple[str, str]] = []
        others: list[tuple[str, str]] = []
        unknown: list[str] = []
        for name in names:
            hint = index.creation_hint(name)
            if hint is None:
                unknown.append(name)
            else:
                (pinned if hint[1] else others).append((hint[0], name))
        if len(unknown) > count:
            return None
        chosen = [*_first_created(pinned, count, newest_first), *unknown]
        if len(chosen) < count:
            chosen += _first_created(others, count - len(chosen), newest_first)
        tasks_dir = self._tasks_dir
        tasks = [task for name in chosen if (task := self._load(name, f"{tasks_dir}/{name}/{L.TASK_INFO}", shared=True))]
        return tasks, len(names)

    def change_token(self) -> tuple[StatKey | None, StatKey | None]:
        """Two stats that change whenever one of our writers changed a task: the tasks folder's
        (a task made, trashed or restored) and the scan index log's (every write of a task file
        appends a row there). Cheaper than a scan's stat of every task; a hand edit, or a write
        whose row could not be appended (a full disk), is not seen: watchers scan fully now and then."""
        return stat_key(self._tasks_dir), stat_key(log_of(self.layout.cache_file))

    def version(self, name: str) -> StatKey | None:
        """The stat key of the task_info.json last read for `name`: equal keys mean equal content."""
        cached = self._info_cache.get(name)
        return cached[0] if cached else None

    def read_uncached(self, name: str) -> Task:
        """Task `name` parsed from its file now, neither from nor into the caches (the runner keeps
        its own, of the active tasks only); raises OSError, ValueError or WorkspaceError."""
        task = Task.from_dict(_read_json(self._info_path(name)))
        task.name = name
        return task

    def read_status(self, name: str) -> tuple[Status, str | None]:
        """Task `name`'s (status, reason) from its file now, uncached and without building the Task
        (the runner's dependency checks); raises OSError, ValueError or AttributeError."""
        data = _read_json(self._info_path(name))
        return Status(data.get("status", "pending")), data.get("reason")

    def config_text(self, name: str) -> tuple[str, str]:
        """The file a task runs with, as text: (`config.sh`, its command) for a shell task, else
        (`config.yaml`, its parameters); raises OSError (a FIFO in its place is refused, not read)."""
        shell = self.layout.task_command(name)
        path = shell if shell.is_file() else self.layout.task_config(name)
        return path.name, read_bytes(path).decode("utf-8", "replace")

    def scan_trash(self) -> list[Task]:
        """Tasks in the trash; each Task.name is its folder name inside `.trash/`."""
        trash = self.layout.trash_dir
        tasks = []
        if trash.is_dir() and not trash.is_symlink():
            for entry in sorted(trash.iterdir()):
                if entry.is_symlink():
                    continue
                with contextlib.suppress(OSError, ValueError, WorkspaceError):
                    task = Task.from_dict(_read_json(entry / L.TASK_INFO))
                    task.name = entry.name
                    tasks.append(task)
        return tasks

    def forget(self, name: str) -> None:
        """Drop what is cached about task `name` (for long-lived processes that touch each task once)."""
        self._info_cache.pop(name, None)
        self._config_cache.pop(name, None)
        self._task_cache.pop(name, None)
        self._written.pop(name, None)

    def load_config(self, name: str) -> dict[str, Any]:
        """The exact parameters of a task (config.yaml), cached while the file is unchanged."""
        if self._index is not None:
            self._index.load()
        if not self._is_task_folder(name):
            raise WorkspaceError(f"no task named {name!r} in workspace {self.layout.name!r}")
        return self._config(name)

    def _config(self, name: str) -> dict[str, Any]:
        """load_config of a name known to be a task folder (e.g. just listed by `scan`)."""
        path = f"{self._tasks_dir}/{name}/{L.CONFIG_YAML}"
        try:
            st = os.stat(path)  # (stat_key inlined: once per task of a listing)
        except OSError:
            return {}
        key = (st.st_ino, st.st_mtime_ns, st.st_size)
        cached = self._config_cache.get(name)
        if cached is not None and cached[0] == key:
            return cached[1]
        indexed = self._index.config_data(name, key) if self._index is not None else None
        if indexed is not None:
            self._config_cache[name] = (key, indexed)
            return indexed
        from pyruns_tui.params import yamlio  # only on a cache miss: it costs ~30 ms to import

        try:
            text = read_text(path)
        except OSError as exc:
            raise WorkspaceError(f"task {name!r}: cannot read config.yaml: {os_error_line(exc, path)}") from None
        except UnicodeDecodeError:
            raise WorkspaceError(f"task {name!r}: cannot read config.yaml: {path} is not UTF-8 text; fix or "
                                 "remove it") from None
        data = yamlio.load_text(text, where=path)
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise WorkspaceError(f"{path}: config must be a mapping of key: value")
        self._config_cache[name] = (key, data)
        if self._index is not None:
            self._index.parsed_config(name, key, data)
        return data

    def read_command(self, name: str) -> str:
        """The command line of a shell task (config.sh)."""
        if not self._is_task_folder(name):
            raise WorkspaceError(f"no task named {name!r} in workspace {self.layout.name!r}")
        try:
            return read_text(self.layout.task_command(name))
        except FileNotFoundError as exc:
            raise WorkspaceError(f"task {name!r} has no config.sh") from exc

    def _load(self, name: str, info_path: str, *, shared: bool = False, key: StatKey | None = None) -> Task | None:
        """The task in `info_path`; with `shared`, an unchanged file gives the same (read-only)
        Task object as last time, which keeps rescans of 10,000 tasks cheap. `key`: the file's
        stat key from a stat just made (a scan's), else it is stat'ed here."""
        if key is None:
            key = stat_key(info_path)
            if key is None:
                return None
        if shared:
            known = self._task_cache.get(name)
            if known is not None and known[0] == key:
                return known[1]
        cached = self._info_cache.get(name)
        index = self._index
        if cached is not None and cached[0] == key:
            data = cached[1]
        elif index is not None and (indexed := index.info_data(name, key)) is not None:
            data = indexed
            self._info_cache[name] = (key, data)
        else:
            try:
                data = _read_json(Path(info_path))
            except (OSError, ValueError) as exc:
                return self._unreadable(name, exc)
            self._info_cache[name] = (key, data)
            if index is not None:
                index.parsed_info(name, key, data)
        try:
            task = Task.from_dict(data, trusted=self._written.get(name) == key)
        except WorkspaceError as exc:
            return self._unreadable(name, exc)
        task.name = name  # the folder name is authoritative
        self._broken.discard(name)
        if shared:
            self._task_cache[name] = (key, task)
        return task

    def _unreadable(self, name: str, why: Exception) -> Task:
        # a hand-broken task_info.json must not hide the task or crash a listing
        self._broken.add(name)
        if isinstance(why, NotRegularFile):
            detail = f"{why.kind} in its place"
        else:
            detail = (why.strerror if isinstance(why, OSError) else None) or str(why)
        reason = f"broken: task_info.json is unreadable ({detail})"
        return Task(name=name, status=Status.FAILED, created_at="", reason=reason)

    def save_cache(self) -> None:
        """Record in the scan index what this store had to parse, and in the metrics cache the
        metric values it worked out (only with `disk_cache`)."""
        listed: list[list[str]] = []  # the task names, listed once for both (only if one writes)

        def live() -> list[str]:
            if not listed:
                listed.append(self.names())
            return listed[0]

        if self._index is not None:
            self._index.flush(live)
        if self._metrics is not None:
            self._metrics.flush(live)
            # let go of its rows (100,000 tasks: ~0.1 GB): read again at the next use, which in
            # the Manager is the next big load (a change of a few tasks reads their files)
            self._metrics = None

    def save(self, task: Task, *, fsync: bool = True) -> None:
        """Write task_info.json atomically (callers hold the lock for read-modify-write).

        `fsync=False` (the runner's frequent progress writes) keeps the write atomic but lets
        the kernel flush it later.
        """
        self._append_rows([self._write(task, fsync=fsync)])

    def _append_rows(self, rows: list[list[Any] | None]) -> None:
        """Append scan index rows: as the lock's hold ends when this thread holds it, else now."""
        if self._rows_of == _thread.get_ident():
            self._rows += rows
        else:
            append_rows(self.layout.cache_file, rows)

    def _write(self, task: Task, *, fsync: bool, looked: bool = False) -> list[Any] | None:
        """`save` but for the scan index's log row, returned for the caller to append. `looked`: the
        task folder was found a folder, not a link, by the read this write follows."""
        folder = f"{self._tasks_dir}/{task.name}"
        if not looked and not self._is_real_folder(task.name):
            raise WorkspaceError(f"no task named {task.name!r} in workspace {self.layout.name!r}")
        if task.name in self._broken:  # never replace a file we could not read with a blank record
            raise WorkspaceError(f"task {task.name!r}: task_info.json is unreadable; fix it by hand or delete the task")
        data = task.to_dict()
        data.pop("trashed_at", None)  # a live task's: left by a restore that could not rewrite the record
        try:
            key = key_of(atomic_write(f"{folder}/{L.TASK_INFO}", dump_json(data), fsync=fsync, mode=info_mode(data)))
        except OSError as exc:  # a full disk: one line in every face, the old file stays whole
            raise WorkspaceError(f"cannot save task {task.name!r}: {os_error_line(exc)}") from exc
        self._info_cache[task.name] = (key, data)
        self._written[task.name] = key
        return info_row(task.name, key, data)

    def _is_real_folder(self, name: str) -> bool:
        """`_is_task_folder` and a folder, in one lstat (not a symlink, not a file)."""
        if not is_plain_entry(name):
            return False
        try:
            return stat.S_ISDIR(os.lstat(os.path.join(self._tasks_dir, name)).st_mode)
        except (OSError, ValueError):
            return False

    def save_all(self, tasks: Sequence[Task], *, sync: bool = True, saved: list[str] | None = None) -> bool:
        """Save several tasks, durable on return: one filesystem sync instead of an fsync each
        (queueing 10,000 tasks took 19 s with one fsync per file), and one append to the scan
        index's log (one per task was 2 of the 6 opens each task cost `run`). With `sync=False` the
        sync is left to the caller (`sync`), who may release the lock first; True when one is owed.
        The names of those written are appended to `saved` as they are (a save that fails, on a
        full disk, leaves the ones before it written, and their rows appended)."""
        rows: list[list[Any] | None] = []
        try:
            for task in tasks:
                rows.append(self._write(task, fsync=len(tasks) == 1))
                if saved is not None:
                    saved.append(task.name)
        finally:
            self._append_rows(rows)
        owed = len(tasks) > 1
        if owed and sync:
            self.sync()
        return owed and not sync

    def sync(self) -> None:
        """Make every write to the workspace so far durable (one `syncfs`)."""
        sync_filesystem(self.layout.tasks_dir)

    def update(self, name: str, change: Callable[[Task], None], *, fsync: bool = True,
               known: tuple[StatKey, Task] | None = None) -> Task:
        """Re-read task `name` under the lock, apply `change` to it, save it, and return it.
        `known`: the stat key of a read of the file and the Task it gave (the runner's, of a queued
        task): while the file keeps that key under the lock, a copy of that Task is changed and the
        file is not read again."""
        with self.lock():
            task = self._known_copy(name, known) if known is not None else None
            if task is None:
                task = self.get(name)
            change(task)
            # its folder was looked at as it was read (not a link, its record in it): not again
            self._append_rows([self._write(task, fsync=fsync, looked=task.name == name)])
            return task

    def _known_copy(self, name: str, known: tuple[StatKey, Task]) -> Task | None:
        """A copy of `known`'s Task when task `name`'s file still has its stat key, else None."""
        if not self._is_task_folder(name) or stat_key(self._info_path(name)) != known[0]:
            return None
        task = Task.from_dict(known[1].to_dict(), trusted=True)  # (checked when it was read)
        task.name = name
        self._broken.discard(name)
        return task

    def create_tasks(self, new: Sequence[NewTask], *, task_kind: str, script: str | None,
                     batch: StagedBatch | None = None) -> list[Task]:
        """Create tasks all-or-nothing: staged in a hidden folder, synced once, then renamed in.

        Wanted names that are taken get a unique suffix. Nothing is left behind on an error before
        the renames, and a crash never leaves a half-written task in tasks/: a task folder is
        renamed in only after every file of the batch is on disk (one `syncfs`, see
        sync_filesystem). From the first rename the batch is in its critical section (a signal
        waits for it) and recorded for the next command to finish if this one dies (staging.py).
        `batch`: the caller's, to end once it has queued the tasks (`StagedBatch.done`).
        """
        from pyruns_tui.params import yamlio

        for item in new:
            validate_name(item.name)
        inside = script_in_project(script, self.layout.project_dir) if script else None
        where = {L.SCRIPT_IN_PROJECT: inside} if inside else {}  # a copied or moved project runs its own script
        staged = batch or StagedBatch()
        staging_name = new_staging_name()
        staging = os.path.join(self._tasks_dir, staging_name)
        with self.lock():
            created: list[Task] = []
            tasks_fd = os.open(self._tasks_dir, os.O_RDONLY)
            try:
                taken = _taken(tasks_fd)
                # the staging folders of writers killed before their record, from the same listing
                remove_stale_staging(self._tasks_dir, taken)
                os.mkdir(staging_name, dir_fd=tasks_fd)
                stage_fd = os.open(staging_name, os.O_RDONLY, dir_fd=tasks_fd)
                try:
                    files_of: list[tuple[str, list[tuple[str, bytes]]]] = []
                    configs: dict[str, dict[str, Any]] = {}
                    infos: list[_NewInfo] = []  # the task_info.json text of each task, and its index row
                    by_keys: dict[tuple[tuple[str, ...], int | None], _NewInfo] = {}
                    for item, name in zip(new, unique_names([item.name for item in new], taken)):
                        task = Task(name=name, task_kind=task_kind, script=script, after=list(item.after),
                                    gpu_mem_mb=item.gpu_mem_mb, extra=dict(where))
                        shared = (tuple(item.after), item.gpu_mem_mb)  # (what else tells the batch's tasks apart)
                        info = by_keys.get(shared)
                        if info is None:
                            info = by_keys[shared] = _NewInfo(task)
                        configs[name] = item.config
                        files = [(L.CONFIG_YAML, yamlio.dump_text(item.config).encode("utf-8"))]
                        if item.command is not None:
                            files.append((L.CONFIG_SH, item.command.encode("utf-8")))
                        files.append((L.TASK_INFO, info.text(task)))
                        files_of.append((name, files))
                        created.append(task)
                        infos.append(info)
                    keys = _write_staged(stage_fd, files_of)
                    sync_filesystem(Path(staging))
                    # from here the batch is whole on disk: cut, it is finished by the next command
                    staged.record(stage_fd, staging, [task.name for task in created])
                    stops = _test_stops()
                    for number, task in enumerate(created):
                        if number in stops:
                            _stop_for_test()
                        os.rename(task.name, task.name, src_dir_fd=stage_fd, dst_dir_fd=tasks_fd)
                    if len(created) in stops:
                        _stop_for_test()
                finally:
                    os.close(stage_fd)
                fsync_dir_fd(tasks_fd)
                staged.moved_in()
            except OSError as exc:  # (names relative to the folders' fds: say which folder)
                raise WorkspaceError(f"cannot create tasks: {os_error_line(exc, self._tasks_dir)}") from exc
            finally:
                os.close(tasks_fd)
                if not staged.recorded:  # (a recorded batch is the next command's to finish)
                    import shutil  # (~3 ms to import, with its compression modules: not for every reader)

                    shutil.rmtree(staging, ignore_errors=True)
                if batch is None:
                    staged.done()
            append_rows(self.layout.cache_file, self._created_rows(created, infos, configs, keys))
        return created

    @staticmethod
    def _created_rows(created: Sequence[Task], infos: Sequence[_NewInfo], configs: dict[str, dict[str, Any]],
                      keys: dict[tuple[str, str], StatKey]) -> Iterator[list[Any] | None]:
        """Scan index rows of a batch just written (the config as yamlio loads it back: its dump
        round-trips plain values; anything else is left to a reader to parse)."""
        for task, info in zip(created, infos):
            info_key, config_key = keys.get((task.name, L.TASK_INFO)), keys.get((task.name, L.CONFIG_YAML))
            if info_key is not None:
                yield info.row(task, info_key)
            if config_key is not None:
                yield config_row(task.name, config_key, configs[task.name])

    def trash(self, names: Sequence[str]) -> list[str]:
        """Move tasks to `.trash/` (soft delete); returns their names inside the trash."""
        moved = []
        with self.lock():
            tasks = [self.get(name) for name in names]
            refusal = trash_refusal(tasks)
            if refusal is not None:
                raise WorkspaceError(refusal)
            self.layout.trash_dir.mkdir(exist_ok=True)  # (not a symlink: the lock checked)
            taken = set(os.listdir(self.layout.trash_dir))
            for task in tasks:
                trash_name = unique_name(task.name, taken)
                taken.add(trash_name)
                if task.name not in self._broken:
                    info = dict(self._info_cache.get(task.name, ((0, 0, 0), task.to_dict()))[1])
                    info["trashed_at"] = now_iso()
                    atomic_write_json(self.layout.task_info(task.name), info, fsync=False, mode=info_mode(info))
                os.rename(self.layout.task_dir(task.name), self.layout.trashed_task_dir(trash_name))
                self.forget(task.name)
                moved.append(trash_name)
            if moved:  # the records, both folders: one sync for the whole batch, durable on return
                self.sync()
        return moved

    def restore(self, trash_names: Sequence[str]) -> list[str]:
        """Move tasks back from the trash under their original name (suffixed if now taken).

        The record loses `trashed_at` only once its folder is back: a move that fails leaves the
        trashed task as it was. A record that cannot be rewritten then (a full disk: the move
        needs no space, the write does) keeps it until its next save (`save` drops it)."""
        restored = []
        with self.lock():
            taken = _taken(self._tasks_dir)
            for trash_name in trash_names:
                source = self.layout.trashed_task_dir(trash_name)
                if not is_plain_entry(trash_name) or source.is_symlink() or not source.is_dir():
                    raise WorkspaceError(f"no task named {trash_name!r} in the trash (see `pyr-tui ls --trash`)")
                try:
                    info = _read_json(source / L.TASK_INFO)
                except (OSError, ValueError):
                    info = None  # unreadable: moved back as it is, never replaced by a blank record
                original = info.get("name") if isinstance(info, dict) else None
                # the file could say "../x"; a name given before whitespace was refused comes back as it was
                if not isinstance(original, str) or kept_name_problem(original):
                    original = trash_name
                name = unique_name(original, taken)
                target = self.layout.task_dir(name)
                try:
                    os.rename(source, target)
                except OSError as exc:
                    raise WorkspaceError(f"cannot restore {trash_name!r}: {os_error_line(exc, str(target))}") from exc
                taken.add(name)
                self.forget(name)
                restored.append(name)
                if isinstance(info, dict):
                    info["name"] = name
                    info.pop("trashed_at", None)
                    with contextlib.suppress(OSError, ValueError):
                        atomic_write_json(self.layout.task_info(name), info, fsync=False, mode=info_mode(info))
            if restored:  # as trash: the records and both folders, one sync
                self.sync()
        return restored

    def run_env(self, name: str, run: Run) -> dict[str, str]:
        """The environment snapshot of a run ({} when not recorded or not readable by us)."""
        try:
            return self.read_run_env(name, run)
        except WorkspaceError:
            return {}

    def read_run_env(self, name: str, run: Run | None) -> dict[str, str]:
        """The environment snapshot of a run (None: the task has none); WorkspaceError in one line
        saying why there is none to show: no run yet, a task record that cannot be read, not
        recorded (an older run), another user's (owner-only), a damaged or planted file (a FIFO,
        a symlink, not JSON)."""
        if run is None:
            if name in self._broken:
                raise WorkspaceError(f"task {name!r}: its task_info.json cannot be read, nor its runs with it "
                                     f"(`pyr-tui show {name}` says why)")
            raise WorkspaceError(f"task {name!r} has not run yet; a run's environment is recorded when it starts")
        if run.env:
            return run.env
        path = self.layout.run_env(name, run.index)
        where = f"task {name!r}: run {run.index} has no environment to show"
        try:
            data = read_json(path) if self._is_task_folder(name) else None
        except FileNotFoundError:
            raise WorkspaceError(f"{where}: none was recorded ({path} is missing: the run is older than "
                                 "the record, or the file was removed)") from None
        except PermissionError:
            raise WorkspaceError(f"{where} that you can read ({path} is owner-only: the user who ran it can "
                                 "show it)") from None
        except OSError as exc:
            raise WorkspaceError(f"{where}: {os_error_line(exc, str(path))}") from None
        except ValueError as exc:
            raise WorkspaceError(f"{where}: {path} is damaged, not JSON ({exc})") from None
        if not isinstance(data, dict):
            raise WorkspaceError(f"{where}: {path} is damaged, not a JSON object")
        return {str(k): str(v) for k, v in data.items()}

    def iter_tasks_with_config(self) -> Iterator[tuple[Task, dict[str, Any]]]:
        """Every live task with its parameters (for search, export and skip-existing)."""
        for task in self.scan():
            yield task, self.config_or_empty(task.name)

    def metrics_stat(self, name: str) -> StatKey | None:
        """The stat key of task `name`'s metrics.jsonl, None when it has none (lstat, of a string
        path: a query comparing values asks it of every task, 100,000 in a big workspace)."""
        try:
            return key_of(os.lstat(f"{self._tasks_dir}/{name}/{L.METRICS}"))
        except OSError:
            return None

    def cached_metrics(self, task: Task, metrics_key: StatKey) -> MetricValues | None:
        """`task`'s metric values as the metrics cache holds them for this metrics.jsonl and the
        task_info.json `task` was read from (workspace/metrics_cache.py); None: work them out."""
        key = self._metrics_cache_key(task, metrics_key)
        return None if key is None else self._metrics_cache().get(task.name, key)

    def cache_metrics(self, task: Task, metrics_key: StatKey, values: MetricValues) -> None:
        """Remember `task`'s metric values (written by `save_cache`)."""
        key = self._metrics_cache_key(task, metrics_key)
        if key is not None:
            self._metrics_cache().put(task.name, key, values)

    def cached_metric_runs(self, task: Task, metrics_key: StatKey) -> Any:
        """The statistics of `task`'s runs (JSON data, `metrics.runs` knows their shape) as the
        metrics cache holds them for this metrics.jsonl and task_info.json; None: work them out."""
        key = self._metrics_cache_key(task, metrics_key)
        return None if key is None else self._metrics_cache().get_runs(task.name, key)

    def cache_metric_runs(self, task: Task, metrics_key: StatKey, runs: Any) -> None:
        """Remember the statistics of `task`'s runs (written by `save_cache`)."""
        key = self._metrics_cache_key(task, metrics_key)
        if key is not None:
            self._metrics_cache().put_runs(task.name, key, runs)

    def _metrics_cache_key(self, task: Task, metrics_key: StatKey) -> tuple[int, ...] | None:
        """metrics.jsonl's key and the key of the task_info.json `task` is (a scan's shared Task,
        with `disk_cache`); None for any other Task: its record's key is not known."""
        known = self._task_cache.get(task.name) if self._index is not None else None
        if known is None or known[1] is not task:
            return None
        return (*metrics_key, *known[0])

    def _metrics_cache(self) -> MetricsCache:
        if self._metrics is None:
            from pyruns_tui.workspace.metrics_cache import MetricsCache

            self._metrics = MetricsCache(self.layout.metrics_cache_file)
        return self._metrics

    def config_or_empty(self, name: str) -> dict[str, Any]:
        """The config of a task just listed by `scan` (plain folder names: scandir, no symlinks);
        {} when config.yaml is broken, which must not hide the task."""
        try:
            return self._config(name)
        except PyrunsError:
            return {}
