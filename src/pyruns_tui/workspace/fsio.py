"""Atomic file writes and the workspace lock: how every writer touches the disk safely."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

_syncfs: Any = None


def atomic_write(path: Path, data: bytes, *, fsync: bool = True, mode: int = 0o644) -> None:
    """Write `data` to `path` via a temp file + rename: readers see the old or the new file whole."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        if fsync:
            os.fsync(fd)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    os.close(fd)
    try:
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: Path, text: str, *, fsync: bool = True, mode: int = 0o644) -> None:
    atomic_write(path, text.encode("utf-8"), fsync=fsync, mode=mode)


def dump_json(data: Any) -> bytes:
    """Strict, readable JSON (no NaN), as written to every *.json file of a workspace."""
    return (json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")


def atomic_write_json(path: Path, data: Any, *, fsync: bool = True, mode: int = 0o644) -> None:
    atomic_write(path, dump_json(data), fsync=fsync, mode=mode)


def sync_filesystem(path: Path) -> None:
    """Flush every dirty page of the filesystem holding `path` (one call instead of N fsyncs)."""
    global _syncfs
    if _syncfs is None:
        import ctypes.util  # only when first needed: it is slow to import

        libc_name = ctypes.util.find_library("c")
        libc = ctypes.CDLL(libc_name, use_errno=True) if libc_name else None
        _syncfs = getattr(libc, "syncfs", False) if libc is not None else False
    if _syncfs:
        fd = os.open(path, os.O_RDONLY)
        try:
            _syncfs(fd)
        finally:
            os.close(fd)
    else:
        os.sync()


def fsync_dir(path: Path) -> None:
    """Make a rename inside directory `path` durable."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class WorkspaceLock:
    """An exclusive lock over one workspace, shared by the TUI, the CLI and the runner.

    `flock` serialises processes; an RLock serialises threads of this process, and the
    depth count makes the lock re-entrant so engine functions can nest.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._fd: int | None = None

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        with self._thread_lock:
            if self._depth == 0:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX)
                except BaseException:
                    os.close(fd)
                    raise
                self._fd = fd
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0 and self._fd is not None:
                    fcntl.flock(self._fd, fcntl.LOCK_UN)
                    os.close(self._fd)
                    self._fd = None

