"""The export dialog (Monitor and Manager `x`) through Pilot at 80x24: a refused path stays to be
corrected, its reason wraps, and the format follows the typed extension."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from textual.geometry import Region
from textual.pilot import Pilot

from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.tui.widgets.monitor.export_dialog import ExportDialog
from pyruns_tui.workspace.layout import Layout
from pyruns_tui.workspace.model import Status
from pyruns_tui.workspace.store import TaskStore
from tests.tui.monitor_fixtures import add_run, add_task
from tests.waiting import wait_for

SIZE = (80, 24)


@asynccontextmanager
async def export_dialog(layout: Layout, store: TaskStore) -> AsyncIterator[tuple[Pilot, ExportDialog]]:
    """The Monitor's export dialog (`x`) over a task with one finished run, its path box emptied."""
    add_task(store, "t")
    add_run(store, "t", Status.COMPLETED, b"done\n")
    app = PyrunsApp(layout, start_mode="monitor", watch_disk=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("x")
        dialog = app.screen
        assert isinstance(dialog, ExportDialog)
        dialog.query_one("#export-path").value = ""
        yield pilot, dialog


async def test_export_dialog_keeps_a_refused_path_and_says_why(layout: Layout, store: TaskStore,
                                                               tmp_path: Path) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    async with export_dialog(layout, store) as (pilot, dialog):
        app, box = pilot.app, dialog.query_one("#export-path")
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


async def test_export_dialog_error_wraps_instead_of_being_cut(layout: Layout, store: TaskStore,
                                                             tmp_path: Path) -> None:
    async with export_dialog(layout, store) as (pilot, dialog):
        dialog.query_one("#export-path").value = str(tmp_path / "nope" / "deeper" / "out.csv")
        await pilot.press("enter")
        await pilot.pause()
        note = dialog.query_one("#export-exists")
        message = str(note.render())
        assert message.endswith("No such file or directory")
        box = dialog.query_one("#export-path").parent
        assert box is not None and note.region.right <= box.content_region.right  # not cut at the border
        shown = "".join(strip.text for strip in note.render_lines(Region(0, 0, note.size.width, note.size.height)))
        assert "".join(shown.split()) == "".join(message.split())  # every word on screen, wrapped


async def test_export_dialog_format_follows_the_typed_extension_and_the_other_way(layout: Layout, store: TaskStore,
                                                                                 tmp_path: Path) -> None:
    async with export_dialog(layout, store) as (pilot, dialog):
        app, box = pilot.app, dialog.query_one("#export-path")
        assert dialog.format == "csv"
        await pilot.press(*str(tmp_path / "out.json"))
        await wait_for(pilot, lambda: dialog.format == "json", what="JSON picked by .json")
        assert dialog.query_one("#format-json").value and not dialog.query_one("#format-csv").value
        dialog.query_one("#format-md").value = True  # picking a format renames out.json
        await wait_for(pilot, lambda: box.value == str(tmp_path / "out.md"), what="out.md")
        box.value = str(tmp_path / "out.csv")  # and typing .csv with Markdown chosen writes CSV
        await pilot.press("enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, ExportDialog))
        assert (tmp_path / "out.csv").read_text().startswith("name,")


async def test_export_dialog_refuses_a_path_inside_the_pyruns_folder_at_once(layout: Layout,
                                                                           store: TaskStore) -> None:
    """A report typed over `_pyruns_/.../task_info.json` replaced the task's record; then the dialog
    first asked "exists: Enter again overwrites" and refused only on that second Enter: refused on
    the first, with the engine's line (`report_refusal`), no question, the record unchanged."""
    async with export_dialog(layout, store) as (pilot, dialog):
        info = layout.task_info("t")
        before = info.read_bytes()
        dialog.query_one("#export-path").value = str(info)
        note = dialog.query_one("#export-exists")
        for _ in range(2):  # the first Enter refuses; Enter again still does
            await pilot.press("enter")
            await pilot.pause()
            assert pilot.app.screen is dialog
            shown = str(note.render())
            assert shown == (f"cannot write {info}: it is inside {layout.root}, where pyruns-tui keeps its own files "
                             "(task records, settings, the runner's files); write the report outside it")
            assert "Enter again overwrites" not in shown
        assert info.read_bytes() == before


async def test_export_dialog_does_not_offer_to_overwrite_a_symlink(layout: Layout, store: TaskStore,
                                                                  tmp_path: Path) -> None:
    """A symlink at the typed path was asked about as an existing file ("Enter again overwrites"),
    then refused by the engine: refused at the first Enter, the file it points to unchanged."""
    elsewhere = tmp_path / "elsewhere.csv"
    elsewhere.write_text("theirs\n")
    link = tmp_path / "link.csv"
    link.symlink_to(elsewhere)
    async with export_dialog(layout, store) as (pilot, dialog):
        dialog.query_one("#export-path").value = str(link)
        await pilot.press("enter")
        await pilot.pause()
        shown = str(dialog.query_one("#export-exists").render())
        assert pilot.app.screen is dialog and "it is a symlink" in shown and "Enter again" not in shown
    assert link.is_symlink() and elsewhere.read_text() == "theirs\n"
