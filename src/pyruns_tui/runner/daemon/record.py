"""What a run records about where it ran: host, interpreter, git state, redacted environment."""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    import asyncio

from pyruns_tui.runner.redact import REDACTED, is_secret, redact_env  # noqa: F401  (re-exported)

GIT_TIMEOUT_S = 2.0  # per git command, where the caller waits for it
GIT_BACKGROUND_TIMEOUT_S = 60.0  # per git command read in a thread: nobody is blocked meanwhile
GIT_CACHE_S = 10.0
GIT_WAIT_S = 0.05  # the runner's loop waits this long for a git state; a slower git is waited for in a thread


def host_name() -> str:
    return socket.gethostname()


def resolve_python(executable: str) -> str:
    """The absolute path of the task interpreter when it can be found on PATH, else as given."""
    if os.sep in executable:
        return os.path.abspath(executable)
    return shutil.which(executable) or executable


def _git(directory: Path, *args: str, timeout_s: float = GIT_TIMEOUT_S) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(directory), *args],
            capture_output=True,
            timeout=timeout_s,
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"},
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.decode("utf-8", "replace").strip()


def read_git(directory: Path, timeout_s: float = GIT_TIMEOUT_S) -> dict[str, Any] | None:
    """`{"commit", "dirty", "branch", "root"}` of the repository holding `directory`, or None."""
    head = _git(directory, "rev-parse", "HEAD", "--abbrev-ref", "HEAD", "--show-toplevel", timeout_s=timeout_s)
    if head is None:
        return None
    lines = head.splitlines()
    if len(lines) < 3:
        return None
    commit, branch, root = lines[0], lines[1], lines[2]
    status = _git(directory, "status", "--porcelain", "--untracked-files=no", timeout_s=timeout_s)
    return {
        "commit": commit,
        "dirty": None if status is None else bool(status),
        "branch": None if branch == "HEAD" else branch,
        "root": root,
    }


class GitCache:
    """`read_git` per directory, remembered for a few seconds (a batch starts many tasks at once)."""

    def __init__(self, ttl_s: float = GIT_CACHE_S) -> None:
        self.ttl_s = ttl_s
        self._cache: dict[Path, tuple[float, dict[str, Any] | None]] = {}
        self._reading: dict[Path, InThread[dict[str, Any] | None]] = {}  # folders a thread is reading now
        self._prefetched: dict[Path, float] = {}  # of those, the ones `prefetch` started (when), unasked for yet

    def _known(self, directory: Path) -> tuple[bool, dict[str, Any] | None]:
        """(True, its state) while a read of `directory` is younger than the cache's time."""
        hit = self._cache.get(directory)
        if hit is not None and time.monotonic() - hit[0] < self.ttl_s:
            return True, hit[1]
        return False, None

    def get(self, directory: Path) -> dict[str, Any] | None:
        known, info = self._known(directory)
        if not known:
            now = time.monotonic()
            info = read_git(directory) if directory.is_dir() else None
            self._cache[directory] = (now, info)
        return info

    def read(self, directory: Path, loop: asyncio.AbstractEventLoop | None, then: Callable[[], None],
             wait_s: float = GIT_WAIT_S) -> tuple[bool, dict[str, Any] | None]:
        """(True, the git state of `directory`) from the cache, or read in a thread of its own
        and waited for up to `wait_s` when this call starts the read; (False, None) while that
        read goes on, and `then()` is called on `loop` once it is done. A `git status` of a large
        repository on a network filesystem takes seconds, during which the runner's loop would
        handle no exit, stop or output. Without a loop (no runner around it), read here."""
        if loop is None:
            return True, self.get(directory)
        known, info = self._known(directory)
        if known:
            return True, info
        pending = self._reading.get(directory)
        prefetched = self._prefetched.pop(directory, None)
        if pending is not None and prefetched is not None and pending.done.is_set() \
                and time.monotonic() - prefetched >= self.ttl_s:
            del self._reading[directory]  # a head start grown old (the runner idled since): read again
            pending = prefetched = None
        if pending is None:
            try:
                pending = self._reading[directory] = InThread(functools.partial(_read_in_thread, directory),
                                                              loop, then, "git-read")
            except RuntimeError:  # no thread to be had (a process limit): read it here, as before
                return True, self.get(directory)
            pending.done.wait(wait_s)
        elif prefetched is not None:  # waited for as if this call had started it
            pending.done.wait(wait_s)
        if not pending.done.is_set():
            return False, None
        del self._reading[directory]
        # (None also when it raised); a prefetched state is as old as its read
        self._cache[directory] = (time.monotonic() if prefetched is None else prefetched, pending.value)
        return True, pending.value

    def prefetch(self, directory: Path, loop: asyncio.AbstractEventLoop | None, then: Callable[[], None]) -> None:
        """Start reading the git state of `directory` in a thread, unless it is known or being
        read: the runner does it as it starts, so the first task queued to it need not wait for
        git (2-10 ms here; a large repository's `git status` much longer). `then()` as for `read`,
        whose first call for `directory` waits for this read as for one it started."""
        if loop is None or self._known(directory)[0] or directory in self._reading:
            return
        try:
            self._reading[directory] = InThread(functools.partial(_read_in_thread, directory), loop, then, "git-read")
        except RuntimeError:  # no thread to be had: the first launch reads it
            return
        self._prefetched[directory] = time.monotonic()


def _read_in_thread(directory: Path) -> dict[str, Any] | None:
    return read_git(directory, GIT_BACKGROUND_TIMEOUT_S) if directory.is_dir() else None


T = TypeVar("T")


class InThread(Generic[T]):
    """`call()` in a daemon thread of its own, so that the runner's loop goes on meanwhile (a git
    read, a Slurm poll); `then()` is called on `loop` once it returned (`value`) or raised
    (`error`), and `done` is set. RuntimeError when no thread can be had (a process limit)."""

    def __init__(self, call: Callable[[], T], loop: asyncio.AbstractEventLoop, then: Callable[[], None],
                 name: str) -> None:
        self.done = threading.Event()
        self.value: T | None = None
        self.error: Exception | None = None

        def work() -> None:
            try:
                self.value = call()
            except Exception as exc:  # noqa: BLE001 - kept for the loop, which must hear of any end
                self.error = exc
            self.done.set()
            with contextlib.suppress(RuntimeError):  # the loop closed: the runner is exiting
                loop.call_soon_threadsafe(then)

        threading.Thread(target=work, name=name, daemon=True).start()
