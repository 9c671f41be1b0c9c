"""A batch's staging folder, `tasks/.staging-<pid>-<hex>/`: where `TaskStore.create_tasks` writes
a batch before it renames the tasks into tasks/ one by one. Once every file of the batch is on
disk, its writer records the batch there (`.batch.json`: who writes it — pid, host, process start
time —, its task names in order, whether it is to be queued) and holds that file locked (flock)
until the batch is whole in tasks/ and, with run, queued; then the folder goes. A writer killed in
between (SIGKILL, a power cut: what no signal handler sees) leaves it, and the next command that
scans the workspace, or the runner's next full pass, finishes the batch (`tidy`): the rest moved
in under the names recorded, the batch's tasks still pending queued when it was to be. A folder
whose record is still locked is a live writer's, never touched; a folder without a record is a
batch cut before it was whole on disk, removed by the next batch write (`remove_stale`:
all or nothing)."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import stat

from pyruns_tui.workspace.critical_section import CriticalSection
from pyruns_tui.workspace.fsio import dump_json, fsync_dir_fd, write_all
from pyruns_tui.workspace.names import name_problem, unique_name

TYPE_CHECKING = False  # not `from typing`: importing typing costs a command ~4 ms
if TYPE_CHECKING:
    from collections.abc import Iterable

    from pyruns_tui.workspace.store import TaskStore

PREFIX = ".staging-"
RECORD = ".batch.json"  # (a task name never starts with a dot)
READ_LIMIT = 64 << 20  # a record of 100,000 names is a few MB


def new_name() -> str:
    return f"{PREFIX}{os.getpid()}-{os.urandom(4).hex()}"


def _process_start() -> str | None:
    """This process's start time in clock ticks after boot (Linux), which tells it from a later
    process given the same pid."""
    try:
        with open("/proc/self/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[19].decode()
    except (OSError, IndexError, ValueError):
        return None


class StagedBatch:
    """The writer's side of one staging folder: `record` once the batch is on disk (the critical
    section starts there), `moved_in` once every task is renamed in, `done` when it is whole and
    queued (the folder goes, the section ends; a batch not moved in is left to be finished)."""

    def __init__(self, *, queue: bool = False) -> None:
        self.queue = queue
        self.path: str | None = None
        self.section: CriticalSection | None = None
        self._fd: int | None = None
        self._moved_in = False

    @property
    def recorded(self) -> bool:
        return self._fd is not None

    def record(self, stage_fd: int, path: str, names: list[str]) -> None:
        """Enter the critical section, then write and lock the record (durable before any rename)."""
        self.path = path
        self.section = CriticalSection(len(names)).begin()
        data = {"pid": os.getpid(), "host": os.uname().nodename, "process_start": _process_start(),
                "names": names, "queue": self.queue}
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        fd = os.open(RECORD + ".tmp", flags, 0o644, dir_fd=stage_fd)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # before it has its name: no finisher ever sees it unlocked
            write_all(fd, dump_json(data))
            os.fsync(fd)
            os.rename(RECORD + ".tmp", RECORD, src_dir_fd=stage_fd, dst_dir_fd=stage_fd)
            fsync_dir_fd(stage_fd)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd

    def moved_in(self) -> None:
        self._moved_in = True

    def done(self) -> None:
        """The batch is whole (and queued when asked): remove the folder, unlock, end the section.
        Not moved in (an error midway): the folder stays for the next command to finish."""
        try:
            if self._moved_in and self.path is not None:
                import shutil

                shutil.rmtree(self.path, ignore_errors=True)
        finally:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
            if self.section is not None:
                self.section.end()  # (may deliver a deferred signal: last)


def tidy(store: TaskStore, found: list[str], *, start_runner: bool = True) -> list[str]:
    """Finish the batches of the staging folders in `found` (the entries starting with PREFIX that
    the caller's own listing of tasks/ saw: no second listing) whose writer is gone, one line each
    for the face or the log. A folder with a record is its writer's while the record is locked
    (alive, or stopped with ctrl+z), never touched; one without a record is left to
    `remove_stale`. Never under the workspace lock: finishing queues, which takes and lets go of
    it in parts and may start a runner whose first pass needs it.
    `start_runner=False`: the runner itself finishes, queueing without waking a runner."""
    tasks_dir = str(store.layout.tasks_dir)
    lines = []
    for name in among(found):
        line = _finish(store, tasks_dir, name, start_runner)
        if line:
            lines.append(line)
    return lines


def remove_stale(tasks_dir: str, found: Iterable[str]) -> None:
    """Remove the staging folders in `found` (a batch write's listing, as for `tidy`) that have
    no record and whose writer, the process named in the folder's name, is gone: a batch cut
    before it was whole on disk. Only under the workspace lock (a batch write's), as a writer
    holds it from its folder's mkdir to its record."""
    for name in among(found):
        _remove_if_stale(tasks_dir, name)


_IS_STAGING = re.compile(re.escape(PREFIX)).match


def among(names: Iterable[str]) -> list[str]:
    """The staging folders among the entries `names` of tasks/: picked out in C (a listing of
    100,000 tasks looked at name by name in Python cost ~10 ms)."""
    return list(filter(_IS_STAGING, names))


def listed(tasks_dir: str) -> list[str]:
    """The staging folders in tasks/ now (for a caller without a listing of its own): the names
    alone (os.scandir made an entry object for each of 100,000 tasks)."""
    try:
        return among(os.listdir(tasks_dir))
    except OSError:
        return []


def _remove_if_stale(tasks_dir: str, name: str) -> None:
    """Remove staging folder `name` if it has no record and its writer is gone (a `gen` of 10,000
    tasks killed as it writes leaves one behind, and nobody else ever would)."""
    parts = name.split("-")
    if len(parts) != 3 or not parts[1].isdigit() or _process_exists(int(parts[1])):
        return
    path = os.path.join(tasks_dir, name)
    try:
        if not stat.S_ISDIR(os.lstat(path).st_mode) or os.path.lexists(os.path.join(path, RECORD)):
            return
    except OSError:
        return
    import shutil

    shutil.rmtree(path, ignore_errors=True)


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # someone else's process
    return True


def _finish(store: TaskStore, tasks_dir: str, staging: str, start_runner: bool) -> str | None:
    # the record first, without the workspace lock: a live writer holds both (a `gen` stopped with
    # ctrl+z among them), and a reader must not wait for it
    taken = _take_over(tasks_dir, staging)
    if taken is None:
        return None
    record_fd, names, queue = taken
    try:
        with store.lock():
            moved, renamed = _move_rest(tasks_dir, staging, names)
        final = [renamed.get(name, name) for name in names]
        queued, problem = _queue_pending(store, final, start_runner) if queue else (0, None)
        import shutil

        shutil.rmtree(os.path.join(tasks_dir, staging), ignore_errors=True)
    finally:
        os.close(record_fd)
    if not moved and not queued and not problem:
        return None  # (killed after all was done, before the folder went)
    noun = "task" if len(names) == 1 else "tasks"
    what = f"{moved} moved in" + (f", {queued} queued" if queue else "")
    renames = f"; {len(renamed)} renamed, their names being taken" if renamed else ""
    why = f"; {problem}" if problem else ""
    return f"finished a batch of {len(names)} {noun} that an interrupted gen left half-written ({what}{renames}){why}"


def _take_over(tasks_dir: str, staging: str) -> tuple[int, list[str], bool] | None:
    """The record of a staging folder whose writer is gone, locked now by this process, with its
    names and intent; None for a live writer's, one that is gone, or one without a record (a
    batch cut before it was whole on disk: the next writer removes it, under the workspace lock)."""
    tasks_fd = os.open(tasks_dir, os.O_RDONLY | os.O_DIRECTORY)
    try:
        try:
            stage_fd = os.open(staging, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=tasks_fd)
        except OSError:
            return None  # gone, or replaced by a symlink
        try:
            try:
                fd = os.open(RECORD, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=stage_fd)
            except OSError:
                return None  # no record, or a symlink planted there: not ours to read
        finally:
            os.close(stage_fd)
    finally:
        os.close(tasks_fd)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ValueError("not a regular file")
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except (OSError, ValueError):
        os.close(fd)
        return None  # locked: its writer is alive (or a finisher is at it)
    try:
        data = json.loads(_read(fd))
        names = data["names"]
        queue = data.get("queue") is True
        if not isinstance(names, list) or not all(isinstance(n, str) and not name_problem(n) for n in names):
            raise ValueError("bad names")
    except (OSError, ValueError, KeyError, TypeError):
        os.close(fd)
        return None  # not a record we wrote: left alone
    return fd, names, queue


def _read(fd: int) -> bytes:
    parts = []
    size = 0
    while size <= READ_LIMIT:
        part = os.read(fd, 1 << 20)
        if not part:
            break
        parts.append(part)
        size += len(part)
    return b"".join(parts)


def _move_rest(tasks_dir: str, staging: str, names: list[str]) -> tuple[int, dict[str, str]]:
    """Rename into tasks/ each task of the batch still in the staging folder (a real folder, never
    a symlink), under its name, or a unique one if that is taken now; how many, and the renamed."""
    moved = 0
    renamed: dict[str, str] = {}
    tasks_fd = os.open(tasks_dir, os.O_RDONLY | os.O_DIRECTORY)
    try:
        try:
            stage_fd = os.open(staging, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=tasks_fd)
        except FileNotFoundError:
            return 0, {}  # finished meanwhile by another command
        try:
            taken = set(os.listdir(tasks_fd))
            for name in names:
                try:
                    if not stat.S_ISDIR(os.lstat(name, dir_fd=stage_fd).st_mode):
                        continue
                except FileNotFoundError:
                    continue  # moved in before the writer died
                target = unique_name(name, taken)
                os.rename(name, target, src_dir_fd=stage_fd, dst_dir_fd=tasks_fd)
                taken.add(target)
                moved += 1
                if target != name:
                    renamed[name] = target
        finally:
            os.close(stage_fd)
        if moved:
            fsync_dir_fd(tasks_fd)
    finally:
        os.close(tasks_fd)
    return moved, renamed


def _queue_pending(store: TaskStore, names: list[str], start_runner: bool) -> tuple[int, str | None]:
    """Queue the batch's tasks that are still pending (the writer was killed before or while it
    queued them); how many, and why not all (None when all were)."""
    from pyruns_tui.errors import PyrunsError
    from pyruns_tui.runner.control import queue  # lazy: only a batch to finish needs the runner
    from pyruns_tui.workspace.model import Status

    pending = []
    for name in names:
        with contextlib.suppress(PyrunsError):  # gone since: not queued
            if store.get(name).status is Status.PENDING:
                pending.append(name)
    if not pending:
        return 0, None
    try:
        outcome = queue(store, pending, start_runner=start_runner)
    except PyrunsError as exc:
        return 0, f"not queued: {exc}"
    if outcome.skipped:
        return len(pending) - len(outcome.skipped), f"{len(outcome.skipped)} not queued"
    return len(pending), None
