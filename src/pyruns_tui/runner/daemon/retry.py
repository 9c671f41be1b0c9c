"""Retries of failed runs (`run --retries N [--retry-on REGEX]`, settings `retries`, `retry_on`).

A failed run is retried (the task is queued again at its old place in the queue; its next run
records `retry_of`) while the task has retries left, its error matches `retry_on` (any error when
unset), and the circuit breaker does not count the failure as deterministic. Runs stopped by the
user and runs the runner lost are not retried.
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys

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
    return matches(pattern, run.error)


MATCH_LIMIT_S = 1.0  # a `retry_on` match that takes longer is no match
_MATCH = "import json, re, sys\npattern, text = json.load(sys.stdin)\nsys.exit(0 if re.search(pattern, text) else 1)"


@functools.lru_cache(maxsize=256)
def matches(pattern: str, text: str) -> bool:
    """`re.search(pattern, text)`, in a child interpreter given MATCH_LIMIT_S: a pattern that
    backtracks for ever (`^ValueError: (a+)+$` against forty a's and a `!`) ran on the runner's
    loop and held every task of the workspace, and its lock, for as long. A pattern that is not
    valid, or a match that is not done in time, is no match. (A child costs ~15 ms, paid once per
    failed run with `retry_on`, and once per distinct error: failures often repeat theirs.)"""
    try:
        done = subprocess.run([sys.executable, "-I", "-S", "-c", _MATCH], input=json.dumps([pattern, text]).encode(),
                              capture_output=True, timeout=MATCH_LIMIT_S, check=False)
    except (subprocess.TimeoutExpired, OSError):
        return False
    return done.returncode == 0
