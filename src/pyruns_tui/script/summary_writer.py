"""The merge behind `pr.summary()`: read summary.json, update it, write it back atomically.

Processes exclude each other with an `flock` on the task folder. An flock belongs to the
open file description, which a forked child inherits: a child forked while the lock fd is
open (a DataLoader worker started while another thread is in `pr.summary()`) would hold
the lock for as long as it lives, and its own `pr.summary()` would wait on itself for
ever. So within a process the flocked section runs under one lock that `os.fork()` takes
first (`os.register_at_fork`): no fork happens while another thread holds the flock.
The thread in the section can still fork (a signal handler that starts a worker): the
child then closes the fd it inherited. A `pr.summary()` from a signal handler that
interrupted this thread's own merge is written by that merge, not waited on.

Imported by the first `pr.summary()` inside a task (it imports threading and json).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import threading

from pyruns_tui.safefile import MAX_READ_BYTES, open_regular, read_bytes

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_lock = threading.RLock()  # re-entrant: a fork from within the section takes it again
_owner: int | None = None  # the thread inside the flocked section
_held_fd: int | None = None  # the fd holding the flock, while it is open
_pending: dict[str, Any] = {}  # values of calls nested in the owner's (signal handlers)


def merge_summary(path: str, values: dict[str, Any]) -> None:
    """Merge `values` into the JSON object at `path` (the task folder's summary.json)."""
    global _owner, _held_fd, _pending
    me = threading.get_ident()
    if _owner == me:  # a signal handler interrupted this thread's merge: it writes these too
        _pending.update(values)
        return
    folder = os.path.dirname(path)
    with _lock:
        while values:
            fd = os.open(folder, os.O_RDONLY)
            _held_fd, _owner = fd, me
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)  # the task folder itself is the lock
                _write_merged(path, values)
                while _pending:
                    values, _pending = _pending, {}
                    _write_merged(path, values)
            finally:
                if _held_fd == fd:  # (a child forked in here closed its copy already)
                    os.close(fd)  # closing releases the flock
                _held_fd = None
                _owner = None  # after the close: a handler running before this line defers to us
            values, _pending = _pending, {}


def _write_merged(path: str, values: dict[str, Any]) -> None:
    try:
        merged = json.loads(read_bytes(path, MAX_READ_BYTES))  # a FIFO or symlink planted there is not read
        if not isinstance(merged, dict):
            merged = {}
    except (OSError, ValueError, RecursionError):
        merged = {}
    merged.update(values)
    text = json.dumps(merged, indent=2, ensure_ascii=False, allow_nan=False)
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        with os.fdopen(open_regular(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), "w", encoding="utf-8") as stream:
            stream.write(text + "\n")
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise


def _before_fork() -> None:
    _lock.acquire()  # waits while another thread holds the flock


def _after_fork_in_parent() -> None:
    _lock.release()


def _after_fork_in_child() -> None:
    global _lock, _owner, _held_fd, _pending
    if _held_fd is not None:  # forked from within the section, by its own thread
        with contextlib.suppress(OSError):
            os.close(_held_fd)  # the parent's fd still holds the flock; this copy must not
    _lock = threading.RLock()
    _owner = None
    _held_fd = None
    _pending = {}


os.register_at_fork(
    before=_before_fork, after_in_parent=_after_fork_in_parent, after_in_child=_after_fork_in_child
)
