"""What the Monitor tells about what it shows (session 22 findings), the real app through Pilot at 80x24:
paging back stops at `log_scrollback` and says so once, the header says `last N lines` for a tail,
`/` on a missing log says why, charts do not join row-placed points to stepped ones, a one-point metric is visible and names its x,
and `space` marks-and-moves with focus given back after the charts (in the log it pages, as in less)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.tui.screens.monitor import MonitorScreen
from pyruns_tui.tui.widgets.monitor.braille import BrailleChart, Series, render_chart
from pyruns_tui.tui.widgets.monitor.log_pane import LogPane
from pyruns_tui.tui.widgets.monitor.logview import LogView
from pyruns_tui.tui.widgets.monitor.task_list import TaskList
from pyruns_tui.workspace.layout import Layout
from pyruns_tui.workspace.model import Status
from pyruns_tui.workspace.store import TaskStore
from tests.conftest import Shown
from tests.tui.monitor_fixtures import add_run, add_task, write_metrics
from tests.tui.test_logview import LogApp, lines_of, screen_rows
from tests.waiting import wait_for

SIZE = (80, 24)


def monitor(app: PyrunsApp) -> MonitorScreen:
    screen = app.screen
    assert isinstance(screen, MonitorScreen)
    return screen


def header_text(pane: LogPane) -> str:
    return str(pane.query_one(".logpane--header").render())


async def test_g_pages_back_no_further_than_log_scrollback_and_says_so_once(tmp_path: Path,
                                                                           notifications: list[Shown]) -> None:
    log = tmp_path / "run1.log"
    log.write_bytes(lines_of(3000))
    # a 300-line tail and 800-line pages: the second page would take the view to 1,100 lines
    app = LogApp(log, scrollback=1000, tail_bytes=3000, page_bytes=8000)
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(LogView)
        await wait_for(pilot, lambda: view.lines > 0)
        for _ in range(5):
            await pilot.press("g")
            await pilot.pause()
        assert view.lines == 1000 and view.buffer is not None and view.buffer.line_count == 1000
        await pilot.press("g")
        assert screen_rows(view)[0] == "line 2000"  # the last 1,000 lines of 3,000, held whole
        assert [n.message for n in notifications] == [  # once, not a toast more per `g`
            f"showing the last 1,000 lines (log_scrollback: 1000); the full log is at {log}"]


async def test_the_header_says_last_n_lines_when_the_log_is_not_held_from_its_start(layout: Layout,
                                                                                    store: TaskStore) -> None:
    add_task(store, "big")
    big = add_run(store, "big", Status.COMPLETED, lines_of(3000))
    add_task(store, "small")
    add_run(store, "small", Status.COMPLETED, lines_of(30), minute=5)
    app = PyrunsApp(layout, start_mode="monitor", watch_disk=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = monitor(app)
        pane = screen.log_pane
        screen.show_task("small")
        await wait_for(pilot, lambda: pane.view.lines == 30)
        assert "30 lines" in header_text(pane) and "last" not in header_text(pane)
        screen.show_task("big")
        pane.view.tail_bytes = 3000  # only the tail is read, as a 1 MB tail of a bigger log
        pane.view.open(big)
        await wait_for(pilot, lambda: 0 < pane.view.lines < 3000)
        await wait_for(pilot, lambda: f"last {pane.view.lines:,} lines" in header_text(pane), what="last N lines")


async def test_search_on_a_task_whose_log_is_missing_says_why(layout: Layout, store: TaskStore,
                                                             notifications: list[Shown]) -> None:
    add_task(store, "gone")
    add_run(store, "gone", Status.COMPLETED, b"first\n").unlink()
    app = PyrunsApp(layout, start_mode="monitor", watch_disk=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = monitor(app)
        screen.show_task("gone")
        await pilot.pause()
        await pilot.press("slash")
        await pilot.pause()
        [note] = notifications
        assert note.message.startswith("no log to search: the log of run 1 of 'gone' is missing (")
        assert app.focused is screen.log_pane.view  # no search box opened for nothing


@asynccontextmanager
async def one_chart(layout: Layout, store: TaskStore, rows: list[dict[str, float]]) -> AsyncIterator[BrailleChart]:
    """The Monitor's charts (`c`) of a finished task that logged `rows`: its one chart, drawn."""
    add_task(store, "t")
    add_run(store, "t", Status.COMPLETED, b"done\n")
    write_metrics(layout, "t", rows)
    app = PyrunsApp(layout, start_mode="monitor", watch_disk=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("c")
        charts = monitor(app).charts
        await wait_for(pilot, lambda: charts.query(BrailleChart) and charts.query_one(BrailleChart).series)
        yield charts.query_one(BrailleChart)


async def test_a_chart_with_stepped_and_row_placed_points_draws_the_stepped_ones_and_says_so(
        layout: Layout, store: TaskStore) -> None:
    rows = [{"step": i * 100, "loss": 1.0 / (i + 1)} for i in range(10)] + [{"loss": 0.1 - i * 0.005} for i in range(3)]
    async with one_chart(layout, store, rows) as chart:
        [series] = chart.series
        assert [x for x, _ in series.points] == [i * 100.0 for i in range(10)]  # no row 10..12 joined to step 900
        assert chart.x_label == "step (3 without a step not drawn)"
        assert "3 without a step not drawn" in str(chart.render())


async def test_steps_that_restart_each_epoch_are_drawn_in_log_order(layout: Layout, store: TaskStore) -> None:
    # `Epoch: 2, Step: 0`: drawn against the step, the line ran back to x=0 at every epoch
    rows = [{"step": step, "loss": 1.0 / (i + 1)} for i, step in enumerate([0, 100, 200] * 3)]
    async with one_chart(layout, store, rows) as chart:
        [series] = chart.series
        assert [x for x, _ in series.points] == [float(i) for i in range(9)]
        assert chart.x_label == "log order (the steps restart)"


def test_a_metric_logged_once_is_a_whole_cell_not_one_dot() -> None:
    lines = render_chart([Series("val", [(30.0, 0.3)])], 30, 8, title="val_loss")
    assert sum(line.plain.count("⣿") for line in lines[1:-1]) == 1
    assert render_chart([Series("val", [(30.0, 0.3)])], 14, 8, x_label="step (9 without a step not drawn)")[
        -1].plain.split() == ["30"]  # the label left out where it does not fit, the value kept


@pytest.mark.parametrize(("row", "axis"), [({"val_loss": 0.25}, "row 0"), ({"step": 30, "val_loss": 0.25}, "step 30")])
async def test_a_metric_logged_once_names_its_one_x_under_the_point(layout: Layout, store: TaskStore,
                                                                  row: dict[str, float], axis: str) -> None:
    # the axis showed the padded range around the point, `-1  row  1` or `29  step  31`: x values no point has
    async with one_chart(layout, store, [row]) as chart:
        lines = str(chart.render()).splitlines()
        assert lines[-1].split() == axis.split()
        point = next(line.index("⣿") for line in lines if "⣿" in line)
        end = len(lines[-1].rstrip())
        assert end - len(axis.split()[-1]) <= point < end  # the value under its point


async def test_space_marks_and_moves_down_and_escape_from_charts_gives_focus_back(layout: Layout,
                                                                                 store: TaskStore) -> None:
    for minute, name in enumerate(("c", "b", "a")):
        add_task(store, name)
        add_run(store, name, Status.COMPLETED, f"{name}\n".encode(), minute=minute)
    app = PyrunsApp(layout, start_mode="monitor", watch_disk=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = monitor(app)
        task_list = screen.query_one(TaskList)
        task_list.focus()
        assert task_list.names == ["a", "b", "c"]
        await pilot.press("c", "escape")
        assert screen.view_name == "log" and app.focused is task_list
        await pilot.press("space", "space")  # as the Manager's space: mark, then the next one
        assert task_list.marked == {"a", "b"} and task_list.current == "c"
        screen.log_pane.view.focus()
        await pilot.press("c", "escape")
        assert app.focused is screen.log_pane.view


async def test_space_in_the_log_pages_down_and_b_back_as_in_less_and_marks_nothing(layout: Layout,
                                                                                  store: TaskStore) -> None:
    # space did nothing once Enter had put the focus on the log: the footer shows no space there
    for minute, name in enumerate(("b", "a")):
        add_task(store, name)
        add_run(store, name, Status.COMPLETED, lines_of(300), minute=minute)
    app = PyrunsApp(layout, start_mode="monitor", watch_disk=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = monitor(app)
        task_list = screen.query_one(TaskList)
        view = screen.log_pane.view
        task_list.focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: view.lines == 300 and app.focused is view)
        await pilot.press("g")
        assert view.scroll_y == 0
        await pilot.press("space")
        assert view.scroll_y == view.scrollable_content_region.height  # a page, as PgDn
        assert not view.follow  # paged, not sent to the end
        await pilot.press("space", "b")
        assert view.scroll_y == view.scrollable_content_region.height
        assert task_list.marked == set() and task_list.current == "a"  # the list's space is not reached
        space = screen.active_bindings["space"]  # what the footer and `?` go by
        assert space.node is view and space.binding.description == "Page down"

