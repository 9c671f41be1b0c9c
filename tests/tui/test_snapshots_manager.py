"""Snapshots of the Manager at 80x24 and 120x40: fixed task times, states, notes and metrics."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from textual.pilot import Pilot

from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.workspace.layout import Layout
from tests.tui.manager_helpers import build_workspace, settle, wait_for

SIZES = [(80, 24), (120, 40)]


@pytest.fixture
def app(layout: Layout) -> PyrunsApp:
    build_workspace(layout)
    return PyrunsApp(layout, start_mode="manager", watch_disk=False)


def after(*keys: str, select: tuple[str, ...] = ()) -> Callable[[Pilot[None]], Awaitable[None]]:
    """Wait for the table, select tasks by name, press `keys`, wait for the detail pane."""

    async def run_before(pilot: Pilot[None]) -> None:
        screen = await settle(pilot)
        if select:
            screen.table.set_selected(select)
        await pilot.press(*keys)
        await pilot.app.workers.wait_for_complete()
        await wait_for(pilot, lambda: screen.detail.has_class("-hidden") or screen.detail.task_name == screen.table.cursor_name)
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("size", SIZES)
def test_manager_table(snap_compare, app: PyrunsApp, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(app, terminal_size=size, run_before=after("down", "down"))


@pytest.mark.parametrize("size", SIZES)
def test_manager_search_and_selection(snap_compare, app: PyrunsApp, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    keys = ("slash", *"lr>=0.01", "enter", "space")
    assert snap_compare(app, terminal_size=size, run_before=after(*keys))


def test_manager_detail_pane_at_80_columns(snap_compare, app: PyrunsApp) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(app, terminal_size=(80, 24), run_before=after("down", "down", "v"))


def test_manager_compare_dialog(snap_compare, app: PyrunsApp) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(app, terminal_size=(120, 40), run_before=after("c", select=("base", "wide")))


def test_manager_confirm_delete(snap_compare, app: PyrunsApp) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(app, terminal_size=(80, 24), run_before=after("d", select=("deep", "tiny_lr")))
