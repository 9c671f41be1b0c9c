"""The one way tests wait: poll a condition until it holds, fail with what was awaited after a deadline."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


def wait_until(predicate: Callable[[], T], timeout: float = 30.0, what: str = "condition",
               interval: float = 0.01) -> T:
    """Poll `predicate()` until it is truthy and return its value; fail the test after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(interval)


def process_ended(pid: int) -> bool:
    """Whether process `pid` has exited (gone, or a zombie not yet reaped). One psutil call: a
    `pid_exists` then a `status` raced with the reaping between them (NoSuchProcess)."""
    import psutil

    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def gate_code(path: Path, timeout: float = 120.0) -> str:
    """Lines of Python for a task that waits until the test creates `path`: it exits 3 after
    `timeout` s instead, so a test that failed before opening the gate leaves no task behind."""
    return (
        "import os as _os, sys as _sys, time as _time\n"
        f"_deadline = _time.monotonic() + {timeout!r}\n"
        f"while not _os.path.exists({str(path)!r}):\n"
        "    if _time.monotonic() > _deadline:\n"
        f"        _sys.exit(3)\n"
        "    _time.sleep(0.01)\n"
    )


async def wait_for(pilot: Any, condition: Callable[[], object], timeout: float = 15.0,
                   what: str = "condition") -> None:
    """Let a Pilot-driven app run until `condition()` holds (workers finished, messages handled)."""
    deadline = time.monotonic() + timeout
    await pilot.pause()
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")
        await pilot.pause(0.02)
