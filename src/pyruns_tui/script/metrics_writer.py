"""The buffered, crash-tolerant appender behind `pr.log()`: one per process and task.

Rows are encoded at once and kept in memory; a daemon thread writes them about one
interval after the first buffered row, and `flush()`, interpreter exit and a full buffer
write them too. Some rows are written at once instead: in a `multiprocessing` child (a
Pool may end it with SIGTERM right after its last task, before any flush), and those
logged by atexit handlers (atexit is last-in first-out: handlers registered before the
first row run after the exit flush). Each write appends whole lines with a single
`os.write` on an `O_APPEND` descriptor, so processes sharing the file (forked DataLoader
workers) never interleave partial lines. After a fork the child starts with an empty
buffer, so the parent's pending rows are written once, by the parent.
"""

from __future__ import annotations

import atexit
import json
import os
import sys
import threading
import time
import weakref
from collections.abc import Callable

from pyruns_tui.safefile import open_regular

TYPE_CHECKING = False  # not `from typing`: importing typing costs a command ~4 ms
if TYPE_CHECKING:
    from typing import Any

FLUSH_INTERVAL_S = 1.0
MAX_BUFFERED_ROWS = 4096
_OPEN_FLAGS = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)

_live_writers: weakref.WeakSet[MetricsWriter] = weakref.WeakSet()
_process_hooks_installed = False


class MetricsWriter:
    """Appends JSON rows to one metrics.jsonl, in batches, from any thread or forked child."""

    def __init__(
        self,
        path: str,
        on_error: Callable[[str, str], None],
        interval_s: float = FLUSH_INTERVAL_S,
    ) -> None:
        self.path = path
        self.interval_s = interval_s
        self._on_error = on_error
        self._encode = json.JSONEncoder(
            separators=(",", ":"), check_circular=False, allow_nan=False
        ).encode
        self._closed = False
        self._start_process_state()
        _install_process_hooks()
        _live_writers.add(self)

    def _start_process_state(self) -> None:
        """Fresh locks, buffer and flusher: at creation and in a forked child."""
        # Re-entrant: a signal handler that logs while the main thread is inside append.
        self._lock = threading.RLock()
        self._write_lock = threading.RLock()
        self._rows: list[str] = []
        self._pending = threading.Event()
        self._flusher: threading.Thread | None = None
        self._pid = os.getpid()
        # Registered on the next first-row: a forked multiprocessing child clears its
        # finalizers after the fork hooks run.
        self._exit_hook_registered = False
        # Whether each row is written at once: None until the first row of this process
        # (a forked multiprocessing child learns that it is one after the fork hooks run).
        self._at_once: bool | None = None

    def append(self, row: dict[str, Any]) -> None:
        """Buffer one row (a dict of JSON scalars); written within about one interval, or
        at once (see `_wake_flusher`)."""
        line = self._encode(row)
        now = False
        with self._lock:
            rows = self._rows
            rows.append(line)
            count = len(rows)
            if count == 1:
                now = self._wake_flusher()
        if now or count >= MAX_BUFFERED_ROWS:
            self.flush()

    def _wake_flusher(self) -> bool:
        """Have the first buffered row written: by the flusher thread, or by the caller at
        once (True) in a multiprocessing child, in atexit handlers or past the exit flush."""
        if not self._exit_hook_registered:
            self._exit_hook_registered = _register_multiprocessing_exit(self)
        at_once = self._at_once
        if at_once is None:
            at_once = self._at_once = _in_multiprocessing_child()
        if at_once or _in_atexit_handler():
            return True
        if self._flusher is None and not self._closed:
            flusher = threading.Thread(
                target=self._flush_loop, name="pyruns-metrics-flush", daemon=True
            )
            try:
                flusher.start()
            except RuntimeError:  # "can't create new thread at interpreter shutdown" (3.12)
                return True
            self._flusher = flusher
        self._pending.set()
        return False

    def _flush_loop(self) -> None:
        pending = self._pending
        while not self._closed:
            pending.wait()
            time.sleep(self.interval_s)  # batch everything logged during one interval
            pending.clear()
            try:
                self.flush()
            except Exception as exc:
                self._on_error("flush", f"writing metrics failed: {exc!r}")

    def flush(self) -> None:
        """Append every buffered row to the file now; rows that cannot be written are lost."""
        with self._write_lock:
            with self._lock:
                rows = self._rows
                if not rows:
                    return
                self._rows = []
            data = ("\n".join(rows) + "\n").encode("utf-8")
            try:
                _append_whole(self.path, data)
            except OSError as exc:
                self._on_error(
                    "write",
                    f"cannot write {self.path}: {exc.strerror or exc}; "
                    f"{len(rows)} metric rows dropped (further write errors are not reported)",
                )

    def close(self) -> None:
        """Flush and stop the flusher thread (used when tests rebind the task)."""
        self.flush()
        self._closed = True
        self._pending.set()

    def _after_fork_in_child(self) -> None:
        self._start_process_state()


def _append_whole(path: str, data: bytes) -> None:
    fd = open_regular(path, _OPEN_FLAGS, 0o644)  # a symlink or FIFO planted as metrics.jsonl is refused
    try:
        view = memoryview(data)
        while view:  # a short write only happens on errors such as a full disk
            written = os.write(fd, view)
            view = view[written:]
    finally:
        os.close(fd)


def _flush_all_at_exit() -> None:
    for writer in list(_live_writers):
        if writer._pid == os.getpid():
            # atexit handlers registered before the first row run after this one: what
            # they log is written at once, since no flush is left to come
            writer._at_once = True
            try:
                writer.flush()
            except Exception:
                pass  # exiting: nothing useful left to do with the error


def _after_fork_in_child() -> None:
    for writer in list(_live_writers):
        writer._after_fork_in_child()


def _install_process_hooks() -> None:
    global _process_hooks_installed
    if _process_hooks_installed:
        return
    _process_hooks_installed = True
    atexit.register(_flush_all_at_exit)
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=_after_fork_in_child)


def _in_atexit_handler() -> bool:
    """Whether the main thread is past threading's shutdown (running atexit handlers): the
    exit flush of a writer created there is registered too late to run."""
    return getattr(threading, "_SHUTTING_DOWN", False) and threading.current_thread() is threading.main_thread()


def _in_multiprocessing_child() -> bool:
    """Whether this process was started by multiprocessing (Pool and DataLoader workers too).

    A process that has not imported multiprocessing is none; multiprocessing is not imported.
    """
    mp_process = sys.modules.get("multiprocessing.process")
    if mp_process is None:
        return False
    try:
        return mp_process.parent_process() is not None
    except Exception:
        return False


def _register_multiprocessing_exit(writer: MetricsWriter) -> bool:
    """Flush at the end of a multiprocessing child, which leaves by os._exit (no atexit).

    Registered in every process that has imported multiprocessing; False until then.
    """
    mp_util = sys.modules.get("multiprocessing.util")
    if mp_util is None:
        return False
    mp_util.Finalize(writer, _flush_quietly, args=(weakref.ref(writer),), exitpriority=10)
    return True


def _flush_quietly(ref: weakref.ref[MetricsWriter]) -> None:
    writer = ref()
    if writer is not None and writer._pid == os.getpid():
        try:
            writer.flush()
        except Exception:
            pass
