"""Snapshots of the Monitor at 80x24 and 120x40: fixed workspace times, fixed system samples."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from textual.pilot import Pilot

from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.tui.models import system_feed
from pyruns_tui.tui.screens.monitor import MonitorScreen
from pyruns_tui.tui.widgets.monitor.logview import LogView
from pyruns_tui.workspace.layout import Layout
from pyruns_tui.workspace.store import TaskStore
from tests.tui.monitor_fixtures import demo_workspace, fixed_feed


@pytest.fixture(autouse=True)
def _fixed_feed() -> Iterator[None]:
    system_feed.use_feed(fixed_feed(2, owners={4242: "exp_1-of-3"}))
    yield
    system_feed.use_feed(None)


@pytest.fixture
def app(layout: Layout, store: TaskStore) -> PyrunsApp:
    demo_workspace(store)
    return PyrunsApp(layout, start_mode="monitor", watch_disk=False)


async def settled(pilot: Pilot) -> None:
    app = pilot.app
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, MonitorScreen)
    view = screen.log_pane.view
    while view.buffer is None or view.lines == 0:
        await pilot.pause(0.02)
    screen.set_focus(None)  # no focus ring or cursor: the footer shows the screen's keys
    await pilot.pause()


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_monitor_log_view(snap_compare, app: PyrunsApp, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(app, terminal_size=size, run_before=settled)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_monitor_charts_overlay(snap_compare, app: PyrunsApp, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot) -> None:
        await settled(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, MonitorScreen)
        screen.task_list.focus()
        await pilot.press("space", "space", "k", "c")  # space marks and moves down
        charts = screen.charts
        while not charts.query("BrailleChart") or not all(len(c.series) == 2 for c in charts.query("BrailleChart")):
            await pilot.pause(0.02)
        screen.set_focus(None)
        await pilot.pause()
        await pilot.wait_for_scheduled_animations()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_monitor_split_view(snap_compare, app: PyrunsApp, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot) -> None:
        await settled(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, MonitorScreen)
        screen.task_list.focus()
        await pilot.press("space", "space", "space", "v")  # space marks and moves down (not past the last)
        while not all(p.view.lines for p in screen.grid.panes[:3]):
            await pilot.pause(0.02)
        screen.set_focus(None)
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_monitor_search_and_wrap(snap_compare, app: PyrunsApp) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot) -> None:
        await settled(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, MonitorScreen)
        screen.log_pane.view.focus()
        await pilot.press("slash", *"step 4", "enter", "n", "w")
        view = screen.query_one(LogView)
        assert view.wrap and view.match_line is not None
        screen.set_focus(None)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_monitor_without_gpus(snap_compare, app: PyrunsApp) -> None:  # type: ignore[no-untyped-def]
    system_feed.use_feed(fixed_feed(0))
    assert snap_compare(app, terminal_size=(80, 24), run_before=settled)
