"""The queue a runner keeps between passes (`Scheduler._waiting`, in `queue_order`): the index of
its tasks that may start while GPU tasks wait, and taking entries out of it in place."""

from __future__ import annotations

import bisect
from collections.abc import Callable

from pyruns_tui.runner.daemon.runs import queue_order
from pyruns_tui.workspace.model import Task

Key = tuple[bool, int, str, str, str]  # a task's place in the queue (`queue_order`)


class NoGpuIndex:
    """The places (`queue_order`) of the kept queue's tasks that may start while the GPU tasks
    before them wait (they need no GPU, or are forced), in order: a run's end goes from one to the
    next, past the GPU tasks between. It may hold places no longer in the queue (dropped as they
    are met), never lacks one; `rule` is the `gpus_per_task` it was made with (None: to be made)."""

    def __init__(self) -> None:
        self.keys: list[Key] = []
        self.rule: int | None = None

    def make(self, queued: list[Task], passes: Callable[[Task], bool], rule: int) -> None:
        """Made anew for the queue `queued` (in order): `passes` says which tasks it holds."""
        self.keys = [queue_order(task) for task in queued if passes(task)]
        self.rule = rule

    def add(self, task: Task) -> None:
        """Add a task put in the queue (one that `passes`)."""
        key = queue_order(task)
        at = bisect.bisect_left(self.keys, key)
        if at == len(self.keys) or self.keys[at] != key:
            self.keys.insert(at, key)

    def next(self, queued: list[Task], position: int, passes: Callable[[Task], bool]) -> int:
        """The position in `queued` of the first task at or after `position` that `passes`, or the
        queue's end; the places met on the way whose task is no longer there (started, left the
        queue, needs GPUs now) are dropped. Only the part of `queued` from `position` on is
        searched: it is in order (an entry before it may be a task started by this walk, its
        record changed)."""
        keys = self.keys
        at = bisect.bisect_left(keys, queue_order(queued[position]))
        while at < len(keys):
            key = keys[at]
            found = bisect.bisect_left(queued, key, lo=position, key=queue_order)
            if found < len(queued) and queue_order(queued[found]) == key and passes(queued[found]):
                return found
            del keys[at]
        return len(queued)


def take_out(items: list[Task], positions: list[int]) -> None:
    """Take the entries at `positions` (ascending) out of `items`, in place: each one moves the tail
    (a `memmove`) when they are few, as many as a walk starts; a stop of thousands is one rebuild."""
    if len(positions) <= 16:
        for position in reversed(positions):
            del items[position]
        return
    kept: list[Task] = []
    start = positions[0]
    for position in positions:
        kept += items[start:position]
        start = position + 1
    kept += items[start:]
    items[positions[0]:] = kept
