"""Pilot tests of the Manager's compare dialog (`c` on two selected tasks) on a real workspace."""

from __future__ import annotations

import json

import pytest
from textual.containers import VerticalScroll

from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.tui.widgets.manager.compare import CompareDialog
from pyruns_tui.workspace.layout import Layout
from pyruns_tui.workspace.model import Status, Task
from pyruns_tui.workspace.store import NewTask, TaskStore
from tests.tui.manager_helpers import finished_run, settle, wait_for


def screen_lines(app: PyrunsApp) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_last_line_of_a_long_comparison_can_be_scrolled_into_view(layout: Layout, size: tuple[int, int]) -> None:
    # dcgan's 17 parameters and its two losses: more lines than the dialog holds at 80x24, under a
    # title that wraps there; End must bring the last metric (`Loss_G`) on screen
    config = {f"param_{i:02d}": i for i in range(40)}
    store = TaskStore(layout)
    store.create_tasks([NewTask("dcsweep_1-of-4", {**config, "lr": 0.001}), NewTask("dcsweep_2-of-4", {**config, "lr": 0.0002})],
                       task_kind="plain", script=None)
    for name in ("dcsweep_1-of-4", "dcsweep_2-of-4"):
        def finish(task: Task) -> None:
            task.status = Status.COMPLETED
            task.runs = [finished_run(Status.COMPLETED)]

        store.update(name, finish)
        layout.metrics_file(name).write_text(json.dumps({"step": 0, "Loss_D": 0.1, "Loss_G": 2.5}) + "\n")
    async with PyrunsApp(layout, start_mode="manager").run_test(size=size) as pilot:
        screen = await settle(pilot)
        screen.table.set_selected(["dcsweep_1-of-4", "dcsweep_2-of-4"])
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, CompareDialog))
        await pilot.press("end")
        scroll = pilot.app.screen.query_one(VerticalScroll)
        await wait_for(pilot, lambda: scroll.scroll_y == scroll.max_scroll_y)
        await pilot.pause()
        assert any("Loss_G" in line and "2.5" in line for line in screen_lines(pilot.app)), "\n".join(screen_lines(pilot.app))
