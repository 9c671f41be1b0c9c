"""StatusNames: how many tasks of each status have each parameter and metric name.

What the Manager hands `unknown_key_lines` (as `ls` does, from the tasks a query's `status:` terms
leave): kept one changed task at a time, so neither a search keystroke nor a running task's new
metric walks every task.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable

from pyruns_tui.workspace.model import Status
from pyruns_tui.workspace.query import TaskView
from pyruns_tui.workspace.search_names import SearchNames


class StatusNames:
    """Per status: its number of tasks, and how many of them have each parameter and metric name."""

    def __init__(self, views: Iterable[TaskView] = ()) -> None:
        self._tasks: Counter[Status] = Counter()
        self._params: dict[Status, Counter[str]] = {}
        self._metrics: dict[Status, Counter[str]] = {}
        for view in views:
            self.add(view)

    def add(self, view: TaskView) -> None:
        status = view.task.status
        self._tasks[status] += 1
        for counts, names in ((self._params, view.params), (self._metrics, view.metrics)):
            if names:
                counts.setdefault(status, Counter()).update(names.keys())  # (keys: counted in C, not as a mapping)

    def remove(self, view: TaskView) -> None:
        status = view.task.status
        self._tasks[status] -= 1
        for counts, names in ((self._params, view.params), (self._metrics, view.metrics)):
            counted = counts.get(status)
            if counted is None or not names:
                continue
            for name in names:
                left = counted[name] - 1
                if left > 0:
                    counted[name] = left
                else:
                    del counted[name]

    def names(self, accepts: Callable[[str], bool] | None = None) -> SearchNames:
        """The names of the tasks whose status `accepts` takes (all without it: `Query.status_filter`)."""
        statuses = [s for s, n in self._tasks.items() if n > 0 and (accepts is None or accepts(s.value))]
        params: dict[str, None] = {}
        metrics: dict[str, None] = {}
        for status in statuses:
            params.update(dict.fromkeys(self._params.get(status, ())))
            metrics.update(dict.fromkeys(self._metrics.get(status, ())))
        return SearchNames(params, metrics, any(not s.is_finished for s in statuses), bool(statuses))


def names_differ(old: TaskView, new: TaskView) -> bool:
    """Whether a task's status, parameter names or metric names differ between two views of it
    (its params are read again, into a new mapping, only when its task_info.json changed)."""
    return (old.task.status is not new.task.status or old.params is not new.params
            or old.metrics is not new.metrics and old.metrics.keys() != new.metrics.keys())
