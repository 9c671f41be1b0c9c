"""flock-based locks: who runs (the workspace directory) and who may start a runner (spawn.lock)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

from pyruns_tui.workspace.fsio import open_regular


def _open(path: Path) -> int:
    """An fd to lock `path` with: a directory (never created) or a regular file (created if missing)."""
    if os.path.isdir(path) and not os.path.islink(path):
        return os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    return open_regular(path, os.O_RDWR | os.O_CREAT, 0o600)


def try_lock(path: Path) -> int | None:
    """An fd holding an exclusive flock on `path` (a file or a directory), or None when someone
    else holds it."""
    fd = _open(path)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    except BaseException:
        os.close(fd)
        raise
    return fd


def lock_within(path: Path, timeout_s: float) -> int | None:
    """`try_lock` retried for up to `timeout_s` (a client's liveness probe holds it for microseconds)."""
    deadline = time.monotonic() + timeout_s
    while True:
        fd = try_lock(path)
        if fd is not None or time.monotonic() >= deadline:
            return fd
        time.sleep(0.01)


def unlock(fd: int) -> None:
    with contextlib.suppress(OSError):
        fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)


def is_held(path: Path) -> bool:
    """Whether some process holds the flock on `path` (a live runner holds its workspace directory)."""
    if not path.exists():
        return False
    fd = try_lock(path)
    if fd is None:
        return True
    unlock(fd)
    return False


def remove_unless_held(path: Path) -> None:
    """Remove the lock file `path` unless someone holds it. Removed while we hold it: whoever
    locks it meanwhile finds the path gone or new and locks that one (supervisor._lock_file)."""
    with contextlib.suppress(OSError):
        fd = try_lock(path)
        if fd is not None:
            try:
                path.unlink()
            finally:
                unlock(fd)


@contextlib.contextmanager
def held(path: Path) -> Iterator[None]:
    """Hold the flock on `path` (blocking) for the duration of the block."""
    fd = _open(path)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        unlock(fd)
