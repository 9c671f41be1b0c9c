"""Pilot: the Manager's detail pane lists a task's dependencies (`after`) and its dependents."""

from __future__ import annotations

import io

from rich.console import Console
from textual.widgets import Static

from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.tui.screens.manager import ManagerScreen
from pyruns_tui.workspace.layout import Layout
from pyruns_tui.workspace.store import NewTask, TaskStore
from tests.tui.manager_helpers import settle, wait_for


def pane_text(screen: ManagerScreen) -> str:
    console = Console(width=120, record=True, file=io.StringIO())
    console.print(screen.detail.query_one("#detail-body", Static).content)
    return console.export_text()


async def test_detail_pane_lists_after_and_waited_for_by(layout: Layout) -> None:
    store = TaskStore(layout)
    store.create_tasks([NewTask("prep", {}), NewTask("train", {}, after=("prep",)),
                        NewTask("eval", {}, after=("prep", "train"))], task_kind="plain", script=None)
    async with PyrunsApp(layout, start_mode="manager").run_test(size=(160, 40)) as pilot:
        screen = await settle(pilot)
        screen.table.move_to("prep")
        await wait_for(pilot, lambda: "waited for by: train, eval" in pane_text(screen)
                       or "waited for by: eval, train" in pane_text(screen))
        screen.table.move_to("eval")
        await wait_for(pilot, lambda: "after: prep, train" in pane_text(screen))
        assert "waited for by" not in pane_text(screen)
