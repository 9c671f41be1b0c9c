"""`?` lists every key that works, the widgets' own keys included (issue 22)."""

from __future__ import annotations

import pytest
from textual.geometry import Region
from textual.widgets import Static

from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.tui.screens.help import HelpScreen, binding_rows
from pyruns_tui.workspace.layout import Layout


async def test_help_lists_the_monitor_task_list_and_log_keys(layout: Layout) -> None:
    app = PyrunsApp(layout, start_mode="monitor", watch_disk=False)
    async with app.run_test() as pilot:
        app.screen.set_focus(None)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        sections = {title: dict(binding_rows(bindings)) for title, bindings in app.screen.sections}
    keys = {title: {k.strip() for row in rows for k in row.split(",")} for title, rows in sections.items()}
    assert {"j", "k", "space", "a", "u", "Home", "End", "PgUp", "PgDn"} <= keys["Monitor — task list"]
    assert {"j", "k", "h", "l", "Home", "End", "PgUp", "PgDn", "g", "G", "/"} <= keys["Monitor — log view"]
    assert {"Tab", "shift+Tab", "?"} <= keys["Everywhere"]


async def test_help_lists_the_current_screens_keys_first(layout: Layout) -> None:
    app = PyrunsApp(layout, start_mode="manager", watch_disk=False)
    async with app.run_test() as pilot:
        app.screen.set_focus(None)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        titles = [title for title, _ in app.screen.sections]
        await pilot.press("escape", "3")
        await pilot.pause()
        app.screen.set_focus(None)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        on_monitor = [title for title, _ in app.screen.sections]
    # (it began with the Generator's, whichever screen was open)
    assert titles[0] == "Manager" and titles.index("Everywhere") > titles.index("Manager — task table")
    assert titles.index("Everywhere") < titles.index("Generator") < titles.index("Monitor")
    assert on_monitor[0] == "Monitor" and on_monitor.index("Generator") < on_monitor.index("Manager")
    assert sorted(titles) == sorted(on_monitor)  # the same sections, in another order


async def test_section_titles_are_whole_at_80_columns(layout: Layout) -> None:
    """The titles sat in the key column of the one table and were cut there: `Generator — cho…`,
    `Manager — compa…` at 80 columns."""
    app = PyrunsApp(layout, start_mode="generator", watch_disk=False)
    async with app.run_test(size=(80, 24)) as pilot:
        app.screen.set_focus(None)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.pause()
        shown = "\n".join(
            strip.text for widget in app.screen.query(Static)
            for strip in widget.render_lines(Region(0, 0, widget.size.width, widget.size.height))
        )
        titles = [title for title, bindings in app.screen.sections if binding_rows(bindings)]
    assert "…" not in shown
    assert [title for title in titles if title not in shown] == []


async def test_keys_are_named_alike_in_every_section(layout: Layout) -> None:
    """The Generator's own section said `escape`, its widgets' sections `Esc`."""
    app = PyrunsApp(layout, start_mode="generator", watch_disk=False)
    async with app.run_test(size=(80, 24)) as pilot:
        app.screen.set_focus(None)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        keys = {key for _, bindings in app.screen.sections for key, _ in binding_rows(bindings)}
    assert "Esc" in keys
    assert not {"escape", "enter"} & {k.strip() for key in keys for k in key.split(",")}


@pytest.mark.parametrize("mode", ["generator", "manager", "monitor"])
async def test_no_key_wraps_at_80_columns(layout: Layout, mode: str) -> None:
    """The key column was a quarter of the table: `Enter, space, ↓, ↑` (the Generator's choice
    select) wrapped its `↑` onto a line of its own at 80x24. It is as wide as the widest keys."""
    app = PyrunsApp(layout, start_mode=mode, watch_disk=False)
    async with app.run_test(size=(80, 24)) as pilot:
        app.screen.set_focus(None)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.pause()
        lines = [strip.text for widget in app.screen.query(Static)
                 for strip in widget.render_lines(Region(0, 0, widget.size.width, widget.size.height))]
        rows = {row for _, bindings in app.screen.sections for row in binding_rows(bindings)}
    # each key whole on the line of (the start of) its description
    cut = [key for key, description in rows
           if not any(line.startswith(key + " ") and line[len(key):].lstrip().startswith(description.split()[0])
                      for line in lines)]
    assert cut == []
