"""Pilot tests of the Manager's compare dialog (`c` on two selected tasks) on a real workspace."""

from __future__ import annotations

import io
import json

import pytest
from rich.cells import cell_len
from rich.console import Console
from textual.containers import VerticalScroll
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import Label, Static

from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.tui.widgets.manager.compare import CUT_NOTE, CompareDialog, CompareRow, CompareTables
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


def shown_lines(widget: Widget) -> list[str]:
    return [strip.text.rstrip() for strip in widget.render_lines(Region(0, 0, widget.size.width, widget.size.height))]


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_long_names_and_values_are_cut_to_one_line_each(layout: Layout, size: tuple[int, int]) -> None:
    """Values of 200+ characters folded into 9 lines each, a long task name into 5 in every table's
    header and the title into 5: each row is one line now, cut so that two values that differ only
    at their end (a prompt's last word) still read differently."""
    prompt = "the quick brown fox jumps over the lazy dog " * 6
    key = "model.encoder." + "very_long_nested_parameter_name_" * 4
    names = ["sweep_" + "learning_rate_schedule_" * 4 + f"{i}-of-2" for i in (1, 2)]
    config = {f"p{i:02d}": i for i in range(12)}
    store = TaskStore(layout)

    def path(i: int) -> str:  # differs in its middle only
        return "/data/" + "shards/" * 20 + f"run{i}/" + "checkpoints/" * 20

    store.create_tasks([NewTask(name, {**config, "prompt": prompt + word, "tag": letter * 230, key: i, "path": path(i)})
                        for i, (name, word, letter) in enumerate(zip(names, ("first", "second"), "xy"))],
                       task_kind="plain", script=None)
    for i, name in enumerate(names):
        def finish(task: Task) -> None:
            task.status = Status.COMPLETED
            task.runs = [finished_run(Status.COMPLETED)]

        store.update(name, finish)
        metrics = {"step": 0, "loss": 0.5 + i, "val/" + "accuracy_of_the_held_out_split_" * 7: 0.25 + i}
        layout.metrics_file(name).write_text(json.dumps(metrics) + "\n")
    async with PyrunsApp(layout, start_mode="manager").run_test(size=size) as pilot:
        screen = await settle(pilot)
        screen.table.set_selected(names)
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, CompareDialog))
        await pilot.pause()
        dialog = pilot.app.screen
        title = dialog.query_one(Label)
        body = dialog.query_one(VerticalScroll).query_one(Static)
        lines = shown_lines(body)
        shown = "\n".join(lines)
        assert title.size.height == 1 and "4 parameters differ; Esc closes" in shown_lines(title)[0], shown_lines(title)
        # 3 titles, 3 headers, 3 + 16 + 2 rows (`step` is no metric row), 2 blank lines between the
        # tables, a blank and the note
        assert len(lines) == 3 + 3 + 21 + 2 + 2, shown
        assert lines[-1] == CUT_NOTE
        prompt_line = next(line for line in lines if line.startswith("prompt"))
        assert "dog first" in prompt_line and "dog second" in prompt_line, shown
        header = lines[1]
        assert "1-of-2" in header and "2-of-2" in header, shown
        assert "x" * 10 in next(line for line in lines if line.startswith("tag")), shown
        path_line = next(line for line in lines if line.startswith("path"))
        assert "run0/" in path_line and "run1/" in path_line, shown


@pytest.mark.parametrize("width", [66, 40, 20])
def test_differing_values_never_read_the_same_once_cut(width: int) -> None:
    """Whether they differ at the start, the end, in the middle, one is the other's start or their
    characters are wide: each row one line in the width, its two values different."""
    pairs = [("a" * 300, "b" * 300), ("x" * 300 + "1", "x" * 300 + "2"), ("p" * 150 + "1" + "q" * 150, "p" * 150 + "2" + "q" * 150),
             ("z" * 300, "z" * 301), ("値" * 200 + "甲", "値" * 200 + "乙")]
    rows = [CompareRow(f"k{i}", a, b, True) for i, (a, b) in enumerate(pairs)]
    console = Console(width=width, record=True, file=io.StringIO())
    console.print(CompareTables("A" * 100 + "1", "A" * 100 + "2", (("Config", rows),)))
    lines = console.export_text().splitlines()
    assert len(lines) == 2 + len(rows) + 2 and lines[-1] == cut_note(width)
    assert all(cell_len(line) <= width for line in lines)
    for line in [lines[1], *lines[2:2 + len(rows)]]:
        a, b = line.split()[-2:]
        assert a != b, lines


def cut_note(width: int) -> str:
    return CUT_NOTE if len(CUT_NOTE) <= width else CUT_NOTE[:width - 1].rstrip() + "…"
