"""The export dialog (Monitor and Manager `x`) through Pilot at 80x24: a refused path stays to be corrected."""

from __future__ import annotations

from pathlib import Path

from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.tui.widgets.monitor.export_dialog import ExportDialog
from pyruns_tui.workspace.layout import Layout
from pyruns_tui.workspace.model import Status
from pyruns_tui.workspace.store import TaskStore
from tests.tui.monitor_fixtures import add_run, add_task
from tests.waiting import wait_for

SIZE = (80, 24)


async def test_export_dialog_keeps_a_refused_path_and_says_why(layout: Layout, store: TaskStore,
                                                               tmp_path: Path) -> None:
    add_task(store, "t")
    add_run(store, "t", Status.COMPLETED, b"done\n")
    folder = tmp_path / "reports"
    folder.mkdir()
    app = PyrunsApp(layout, start_mode="monitor", watch_disk=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("x")
        dialog = app.screen
        assert isinstance(dialog, ExportDialog)
        box = dialog.query_one("#export-path")
        box.value = ""
        await pilot.press(*str(folder))
        for _ in range(2):  # Enter, and Enter again: refused each time, the dialog stays with the text
            await pilot.press("enter")
            assert app.screen is dialog and box.value == str(folder)
            assert "it is a folder" in str(dialog.query_one("#export-exists").render())
        await pilot.press(*"/nowhere/out.csv", "enter")  # a folder that does not exist
        assert app.screen is dialog and box.value == f"{folder}/nowhere/out.csv"
        await pilot.press(*["backspace"] * len("nowhere/out.csv"), *"out.csv", "enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, ExportDialog))
        assert (folder / "out.csv").read_text().startswith("name,")
