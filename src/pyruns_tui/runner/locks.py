"""flock-based locks of the runner dir: who runs (runner.lock) and who may start one (spawn.lock)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

from pyruns_tui.workspace.fsio import open_regular


def try_lock(path: Path) -> int | None:
    """An fd holding an exclusive flock on `path`, or None when someone else holds it."""
    fd = open_regular(path, os.O_RDWR | os.O_CREAT, 0o600)
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
    """Whether some process holds the flock on `path` (a live runner holds runner.lock)."""
    if not path.exists():
        return False
    fd = try_lock(path)
    if fd is None:
        return True
    unlock(fd)
    return False


@contextlib.contextmanager
def held(path: Path) -> Iterator[None]:
    """Hold the flock on `path` (blocking) for the duration of the block."""
    fd = open_regular(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        unlock(fd)
