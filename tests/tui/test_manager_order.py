"""The Manager's sort order: ties break by natural name order in the sort's direction."""

from __future__ import annotations

from pyruns_tui.tui.models.columns import build_columns
from pyruns_tui.tui.models.task_index import TaskIndex
from pyruns_tui.workspace.store import TaskStore
from tests.conftest import make_tasks


def test_ties_break_by_natural_name_order_in_the_sort_direction(store: TaskStore) -> None:
    names = make_tasks(store, 12, prefix="big_")
    for name in names:  # one batch: one timestamp
        store.update(name, lambda t: setattr(t, "created_at", "2026-12-04T10:00:00.000+00:00"))
    store.update("big_3", lambda t: setattr(t, "pinned", True))
    tasks = {task.name: task for task in store.scan()}
    index = TaskIndex()
    index.apply(index.load(store, tasks, tasks))
    created = next(c for c in build_columns([], []) if c.key == "created")
    natural = [f"big_{i}" for i in range(12) if i != 3]
    assert [e.name for e in index.ordered(created, False)] == ["big_3", *natural]
    assert [e.name for e in index.ordered(created, True)] == ["big_3", *natural[::-1]]
