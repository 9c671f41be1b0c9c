"""The one way tests wait: poll a condition until it holds, fail with what was awaited after a deadline."""

from __future__ import annotations

import time
from collections.abc import Callable
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


async def wait_for(pilot: Any, condition: Callable[[], object], timeout: float = 15.0,
                   what: str = "condition") -> None:
    """Let a Pilot-driven app run until `condition()` holds (workers finished, messages handled)."""
    deadline = time.monotonic() + timeout
    await pilot.pause()
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")
        await pilot.pause(0.02)
