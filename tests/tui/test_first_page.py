"""Opening the Manager on a big workspace: the tasks the table starts with show before the first
scan has read every task (WorkspaceState.first_page), the status line says the rest is being
read, and every task follows once it is."""

from __future__ import annotations

import threading

import pytest

import pyruns_tui.tui.state as state_module
from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.tui.models.prefs import PREFS_FILE, ManagerPrefs
from pyruns_tui.tui.state import Snapshot, WorkspaceState
from pyruns_tui.tui.widgets.topbar import TopBar
from pyruns_tui.workspace.layout import Layout
from pyruns_tui.workspace.store import TaskStore
from tests.tui.manager_helpers import manager, settle, shown
from tests.waiting import wait_for
from tests.workspace.test_first_tasks import reader, workspace


def status_line(app: PyrunsApp) -> str:
    return str(manager(app).query_one("#manager-status").render())


async def test_the_first_page_shows_while_the_rest_is_read(layout: Layout, store: TaskStore,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    workspace(store)  # 12 tasks, t3 and t10 pinned, t(i) created at minute i (t8 at 9)
    reader(layout, "snapshot")  # the scan index a reader before left
    monkeypatch.setattr(state_module, "FIRST_PAGE_FROM", 10)
    monkeypatch.setattr(state_module, "FIRST_PAGE", 3)
    gate = threading.Event()  # holds the first scan until the first page has been seen
    refresh = WorkspaceState.refresh

    def held(self: WorkspaceState) -> Snapshot:
        assert gate.wait(30), "the test never let the scan go on"
        return refresh(self)

    monkeypatch.setattr(WorkspaceState, "refresh", held)
    app = PyrunsApp(layout, start_mode="manager", watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: manager(app).table.rows, what="the first page")
        # newest first (the default): the pinned ones, then the newest
        assert shown(manager(app)) == ["t10", "t3", "t11"]
        assert status_line(app).startswith("first 3 of 12 tasks (reading the rest…)")
        assert "○" not in app.screen.query_one(TopBar).summary.plain  # counted once every task is read
        gate.set()
        screen = await settle(pilot)
        assert shown(screen) == ["t10", "t3", "t11", "t9", "t8", *(f"t{i}" for i in (7, 6, 5, 4, 2, 1, 0))]
        assert status_line(app).startswith("12 tasks")
        assert "○12" in app.screen.query_one(TopBar).summary.plain


async def test_no_first_page_for_a_small_workspace(layout: Layout, store: TaskStore,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    workspace(store)
    reader(layout, "snapshot")
    state = WorkspaceState(layout)
    assert not state.first_page(newest_first=True)  # 12 tasks: below FIRST_PAGE_FROM
    monkeypatch.setattr(state_module, "FIRST_PAGE_FROM", 10)
    monkeypatch.setattr(state_module, "FIRST_PAGE", 4)
    assert state.first_page(newest_first=False) and state.snapshot.total == 12
    assert sorted(state.snapshot.tasks) == ["t0", "t1", "t10", "t3"]  # the oldest and the pinned
    assert len(state.refresh().tasks) == 12 and state.snapshot.total is None
    assert not state.first_page(newest_first=False)  # once read, never a page again


async def test_no_first_page_when_sorted_by_another_column(layout: Layout, store: TaskStore,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The page is chosen by creation time: a Manager sorted otherwise waits for every task."""
    workspace(store)
    reader(layout, "snapshot")
    ManagerPrefs(sort="status").save(layout.workspace_dir / PREFS_FILE)
    monkeypatch.setattr(state_module, "FIRST_PAGE_FROM", 10)
    reached, gate = threading.Event(), threading.Event()
    refresh = WorkspaceState.refresh

    def held(self: WorkspaceState) -> Snapshot:
        reached.set()  # the first page, if any, was made before this
        assert gate.wait(30), "the test never let the scan go on"
        return refresh(self)

    monkeypatch.setattr(WorkspaceState, "refresh", held)
    app = PyrunsApp(layout, start_mode="manager", watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, reached.is_set, what="the first scan")
        assert not app.state.snapshot.tasks and not manager(app).table.rows
        gate.set()
        screen = await settle(pilot)
        assert len(screen.table.rows) == 12


def test_counts_read_with_thousands_separators() -> None:
    """`first 218 of 100,000 tasks`: the status line's counts are read at a glance."""
    from pyruns_tui.humanize import plural

    assert (plural(1, "task"), plural(3, "task"), plural(100_000, "task")) == ("1 task", "3 tasks", "100,000 tasks")
