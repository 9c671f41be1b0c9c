"""The footer at 80 columns: how to get help and how to quit are always shown, each key whole."""

from __future__ import annotations

import pytest

from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.workspace.layout import Layout
from tests.tui.manager_helpers import build_workspace, wait_for, workers_done


def footer_line(app: PyrunsApp) -> str:
    return app.screen._compositor.render_strips()[-1].text


@pytest.mark.parametrize("mode", ["generator", "manager", "monitor"])
async def test_help_and_quit_are_shown_at_80_columns(layout: Layout, mode: str) -> None:
    """The app's keys come last in Textual's order: the Manager's keys pushed `? Help` out, the
    Generator's left a `q` with no `Quit`."""
    build_workspace(layout)
    app = PyrunsApp(layout, start_mode=mode, watch_disk=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await workers_done(pilot)
        await wait_for(pilot, lambda: " ? Help  q Quit ▏^p palette " in footer_line(app),
                       what="? Help and q Quit in the footer")


async def test_the_screen_keys_that_fit_are_shown_whole(layout: Layout) -> None:
    build_workspace(layout)
    app = PyrunsApp(layout, start_mode="manager", watch_disk=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await workers_done(pilot)
        await wait_for(pilot, lambda: "? Help" in footer_line(app), what="? Help in the footer")
        await pilot.pause()
        line = footer_line(app)
        assert line.startswith(" / Search  ⏎ Monitor  r Run  s Stop  d Delete ")
        assert "Dup" not in line  # `e Duplicate` does not fit whole: not shown (it is in `?`)
        await pilot.resize_terminal(140, 24)
        await wait_for(pilot, lambda: "e Duplicate  n Notes" in footer_line(app), what="every key at 140")


async def test_the_monitor_shows_stop_and_rerun_at_80_columns(layout: Layout) -> None:
    """With `? Help  q Quit` pinned, the Monitor's first keys (Next run, Split, Charts) pushed
    `s Stop` out of an 80-column footer."""
    build_workspace(layout)
    app = PyrunsApp(layout, start_mode="monitor", watch_disk=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await workers_done(pilot)
        await wait_for(pilot, lambda: "? Help" in footer_line(app), what="? Help in the footer")
        await pilot.pause()
        assert " s Stop  r Rerun " in footer_line(app)
        screen = app.screen
        screen.log_pane.view.focus()  # (where Enter on a Manager row lands): the log's keys come first
        await wait_for(pilot, lambda: "f Follow" in footer_line(app), what="the log's keys in the footer")
        await pilot.pause()
        assert " s Stop  r Rerun " in footer_line(app)


async def test_the_monitor_log_search_shows_its_keys_as_the_manager_search_does(layout: Layout) -> None:
    """With the log's search box focused the footer showed none of the screen's keys (the
    Manager's search shows `esc Clear search`): Enter and Esc were said only in the placeholder."""
    from pyruns_tui.tui.screens.help import HelpScreen, binding_rows
    from pyruns_tui.tui.screens.monitor import MonitorScreen
    from pyruns_tui.workspace.model import Status
    from pyruns_tui.workspace.store import TaskStore
    from tests.tui.monitor_fixtures import add_run, add_task

    store = TaskStore(layout)
    add_task(store, "t")
    add_run(store, "t", Status.COMPLETED, b"row 1\nrow 2\n")
    app = PyrunsApp(layout, start_mode="monitor", watch_disk=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await workers_done(pilot)
        screen = app.screen
        assert isinstance(screen, MonitorScreen)
        screen.log_pane.view.focus()
        await pilot.press("slash")
        await wait_for(pilot, lambda: app.focused is not None and app.focused.id == "log-search",
                       what="the log search focused")
        await wait_for(pilot, lambda: "⏎ Find  esc Close search" in footer_line(app),
                       what="Enter and Esc in the footer")
        await pilot.press("escape")  # the key the footer names closes it
        await wait_for(pilot, lambda: app.focused is screen.log_pane.view, what="the log focused again")
        assert not screen.log_pane.query_one("#log-search").display
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        sections = {title: dict(binding_rows(bindings)) for title, bindings in app.screen.sections}
    assert sections["Monitor — log search"]["Esc"] == "Close search"
    assert sections["Monitor — log search"]["Enter"] == "Find"
