"""When the queue of a workspace will be done: running ETAs plus the queued tasks, each as long
as the median completed task, shared by the slots."""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterable, Mapping

from pyruns_tui.humanize import format_duration
from pyruns_tui.workspace.model import Status, Task
from pyruns_tui.workspace.progress_file import RunProgress


def median_duration(tasks: Iterable[Task]) -> float | None:
    """Median duration of the completed tasks' last runs (None when none completed)."""
    durations = [t.last_run.duration_s for t in tasks
                 if t.status is Status.COMPLETED and t.last_run is not None and t.last_run.duration_s is not None]
    return statistics.median(durations) if durations else None


def queue_finish_s(active: Iterable[Task], progress: Mapping[str, RunProgress], slots: int,
                   now: float, median: float | None) -> float | None:
    """Seconds until every running and queued task among `active` is done, or None when none is,
    or when some are queued and no task completed yet (`median` None: no duration to go by).

    A running task counts its ETA; without one, the median less the time it already ran. The
    work is spread over `slots`, but never ends before the longest running task.
    """
    active = list(active)
    running = [t for t in active if t.status is Status.RUNNING]
    queued = sum(1 for t in active if t.status is Status.QUEUED)
    if not running and not queued:
        return None
    if queued and median is None:
        return None
    lefts = []
    for task in running:
        reading = progress.get(task.name)
        left = reading.eta_at(now) if reading is not None else None
        if left is None:
            ran = task.duration_s(now) or 0.0
            left = max((median or 0.0) - ran, 0.0)
        lefts.append(left)
    total = sum(lefts) + queued * (median or 0.0)
    return max(total / max(slots, 1), max(lefts, default=0.0))


def describe_finish(left: float | None, now: float) -> str:
    """`queue done ≈ 14:32 (in 1h05m)`, or `queue done ≈ ?` when it cannot be told."""
    if left is None:
        return "queue done ≈ ?"
    return f"queue done ≈ {time.strftime('%H:%M', time.localtime(now + left))} (in {format_duration(left)})"
