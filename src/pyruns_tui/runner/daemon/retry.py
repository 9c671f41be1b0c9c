"""Retries of failed runs (`run --retries N [--retry-on REGEX]`, settings `retries`, `retry_on`).

A failed run is retried (the task is queued again at its old place in the queue; its next run
records `retry_of`) while the task has retries left, its error matches `retry_on` (any error when
unset), and the circuit breaker does not count the failure as deterministic. Runs stopped by the
user and runs the runner lost are not retried.
"""

from __future__ import annotations

import re

from pyruns_tui.workspace.model import Run, Task
from pyruns_tui.workspace.settings import Settings


def retries_used(task: Task, run: Run) -> int:
    """How many retries the chain of runs ending with `run` has spent already."""
    by_index = {r.index: r for r in task.runs}
    used = 0
    current: Run | None = run
    while current is not None and current.retry_of is not None:
        used += 1
        current = by_index.get(current.retry_of)
    return used


def should_retry(task: Task, run: Run, settings: Settings, *, deterministic: bool) -> bool:
    """Whether the failed `run` of `task` is run again (see module doc)."""
    allowed = task.retries if task.retries is not None else settings.retries
    if allowed <= 0 or deterministic or run.error is None:
        return False
    if retries_used(task, run) >= allowed:
        return False
    pattern = task.retry_on if task.retry_on is not None else settings.retry_on
    if pattern is None:
        return True
    try:
        return re.search(pattern, run.error) is not None
    except re.error:
        return False
