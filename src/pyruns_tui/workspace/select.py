"""Selecting tasks with a query: the one place that joins tasks, params and metrics for search."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pyruns_tui.errors import WorkspaceError
from pyruns_tui.workspace.gc_pause import bulk_load
from pyruns_tui.workspace.model import Task
from pyruns_tui.workspace.query import (
    Query,
    TaskView,
    flat_view,
    metric_values_of,
    parse_query,
    term_operand,
)
from pyruns_tui.workspace.search_names import SearchNames, names_a_value, unknown_key_lines
from pyruns_tui.workspace.store import TaskStore

TYPE_CHECKING = False  # not `from typing`: importing typing costs a command ~4 ms
if TYPE_CHECKING:
    from typing import TypeVar

    T = TypeVar("T")


def pinned_first(items: Sequence[T], is_pinned: Callable[[T], bool]) -> list[T]:
    """`items` with the pinned ones moved to the front, each part in its given order (ls and Manager)."""
    pinned = [item for item in items if is_pinned(item)]
    if not pinned:
        return list(items)
    return pinned + [item for item in items if not is_pinned(item)]


def last_metrics(store: TaskStore, task: Task | str) -> dict[str, float]:
    """Last logged value of every metric of a task in the run that stands for it (empty when it
    logged none): the values the Manager shows (`metrics.runs.latest_metrics`)."""
    return metric_values(store, store.get(task) if isinstance(task, str) else task)[0]


def metric_values(store: TaskStore, task: Task) -> tuple[dict[str, float], dict[str, tuple[float, float]]]:
    """`last_metrics`, and each metric's (min, max) in the same run: what a query's metric terms
    look at (`loss<0.1`, `loss.min<0.1`)."""
    metrics_key = store.metrics_stat(task.name)
    if metrics_key is None:
        return {}, {}
    cached = store.cached_metrics(task, metrics_key)
    if cached is not None:
        return cached
    from pyruns_tui.metrics.runs import latest_metrics

    values = metric_values_of(latest_metrics(store, task)[1])
    store.cache_metrics(task, metrics_key, values)
    return values


def select_tasks(store: TaskStore, query: Query | str = "", *, params: bool = True,
                 notes: list[str] | None = None) -> list[TaskView]:
    """The live tasks matching `query`, oldest first, with flat params (and metrics if needed).
    With `params=False` (a listing that shows none) no config is read unless the query needs
    it, and the views' params are then empty (100,000 tasks: 0.7 s less).

    A term naming no parameter, metric or metric statistic of any task searched (a typo: it
    would match none) raises WorkspaceError naming the closest names, unless some of those tasks
    has yet to run or end (it may log it): then a line is added to `notes` (`unknown_key_message`)."""
    if isinstance(query, str):
        query = parse_query(query)
    with bulk_load():  # (views of 100,000 tasks: nothing for the cyclic GC to find)
        return _select(store, query, params, notes)


class _KeyCheck:
    """The names of the tasks searched (`SearchNames`, for `unknown_key_lines`), gathered only while
    some term of the query is unknown: one that no task searched so far had (its own lookup)."""

    def __init__(self, query: Query) -> None:
        self.unknown = [term for term in query.terms if names_a_value(term)]
        self.params: dict[str, None] = {}
        self.metrics: dict[str, None] = {}
        self.pending = False
        self.searched = False

    def see(self, view: TaskView) -> None:
        self.searched = True
        self.pending = self.pending or not view.task.status.is_finished
        self.unknown = [term for term in self.unknown if not term_operand(term, view)[0]]
        if self.unknown:
            self.params.update(dict.fromkeys(view.params))
            self.metrics.update(dict.fromkeys(view.metrics))

    def lines(self) -> list[str]:
        """The note for each unknown term; WorkspaceError for the first when no task is pending."""
        names = SearchNames(self.params, self.metrics, self.pending, self.searched)
        lines = unknown_key_lines(Query(tuple(self.unknown)), names) if self.unknown else []
        if lines and not self.pending:
            raise WorkspaceError(lines[0])
        return lines


def _select(store: TaskStore, query: Query, with_params: bool, notes: list[str] | None) -> list[TaskView]:
    check = _KeyCheck(query)
    views = []
    by_task_alone = not query.needs_params  # then configs are read for the matching tasks only
    match_all = not query.terms
    for task in store.scan(status=query.status_filter()):
        if by_task_alone and not match_all and not query.matches(TaskView(task=task, params={}, metrics={})):
            continue
        if by_task_alone and not with_params:
            views.append(TaskView(task=task, params={}, metrics={}))
            continue
        params = flat_view(store.config_or_empty(task.name))
        metrics, extremes = metric_values(store, task) if not match_all and query.needs_metrics_with(params) else ({}, {})
        view = TaskView(task=task, params=params, metrics=metrics, extremes=extremes)
        if check.unknown:
            check.see(view)
        if by_task_alone or query.matches(view):
            views.append(view)
    said = check.lines()
    if notes is not None:
        notes.extend(said)
    return views
