"""Text the user must read stands out from what is behind it (WCAG contrast, as
test_manager_errors.py measures the Manager's cursor row): 4.5:1 at least."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.segment import Segment
from textual.pilot import Pilot

from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.tui.screens.monitor import MonitorScreen
from pyruns_tui.tui.widgets.generator.name_prefix import PrefixInput, placeholder_for
from pyruns_tui.workspace.bootstrap import init_workspace
from pyruns_tui.workspace.layout import Layout
from tests.tui.manager_helpers import build_workspace, wait_for, workers_done
from tests.tui.test_generator import edit, ready, row
from tests.tui.test_manager_errors import _contrast

READABLE = 4.5  # WCAG AA for text
MARKS = "○◷▶✔✖■"  # the status marks: read as text


def contrast_of(segment: Segment) -> float:
    style = segment.style
    assert style is not None and style.color is not None and style.bgcolor is not None, segment
    fg, bg = style.color.get_truecolor(), style.bgcolor.get_truecolor()
    return _contrast((fg.red, fg.green, fg.blue), (bg.red, bg.green, bg.blue))


async def test_the_monitor_list_marks_a_highlighted_failed_task_readably(layout: Layout) -> None:
    """The red `✖` of a failed task kept its colour on the blue highlight: 2.4 to 1, read by hue
    alone; it is drawn as the task's name on it is."""
    build_workspace(layout)
    app = PyrunsApp(layout, start_mode="monitor", watch_disk=False)
    async with app.run_test(size=(100, 24)) as pilot:
        await workers_done(pilot)
        screen = app.screen
        assert isinstance(screen, MonitorScreen)
        tasks = screen.task_list
        await wait_for(pilot, lambda: "tiny_lr" in tasks.names, what="the task list")
        tasks.focus()
        tasks.highlighted = tasks.names.index("tiny_lr")
        await pilot.pause()
        line = tasks.render_line(tasks.highlighted - int(tasks.scroll_offset.y))
        shown = {segment.text.strip(): contrast_of(segment) for segment in line if segment.text.strip()}
        assert set(shown) == {"✖", "tiny_lr"}
        assert shown["✖"] == shown["tiny_lr"] >= 3


async def test_the_generators_name_prefix_placeholder_is_readable(layout: Layout) -> None:
    """`creation time` (what an empty prefix names the tasks for) was Textual's placeholder grey on
    the form's near-black: 3.5 to 1."""
    app = PyrunsApp(layout, start_mode="generator", watch_disk=False)
    async with app.run_test(size=(100, 24)) as pilot:
        prefix = await wait_for_prefix(pilot, app)
        line = [segment for segment in prefix.render_line(0) if segment.text.strip()]
        assert "".join(segment.text for segment in line).strip() == placeholder_for(prefix.content_size.width)
        assert min(map(contrast_of, line)) >= 4.5


async def wait_for_prefix(pilot: Pilot[None], app: PyrunsApp) -> PrefixInput:
    await wait_for(pilot, lambda: app.screen.query("#gen-prefix"), what="the Generator's name prefix")
    await pilot.pause()
    return app.screen.query_one("#gen-prefix", PrefixInput)


def unreadable(app: PyrunsApp) -> set[tuple[str, str, str, float]]:
    """Each text on the screen (words, numbers, status marks; not borders, bars or scrollbars)
    drawn below READABLE: (text, colour, background, contrast)."""
    out = set()
    for strip in app.screen._compositor.render_strips():
        for segment in strip:
            style = segment.style
            text = segment.text.strip()
            if not any(ch.isalnum() or ch in MARKS for ch in text) or style is None:
                continue
            assert style.color is not None and style.bgcolor is not None, segment
            ratio = contrast_of(segment)
            if ratio < READABLE:
                out.add((text, style.color.get_truecolor().hex, style.bgcolor.get_truecolor().hex, round(ratio, 2)))
    return out


@pytest.mark.parametrize("mode", ["generator", "manager", "monitor"])
async def test_every_text_of_a_screen_is_readable(layout: Layout, mode: str) -> None:
    """The theme's cursor and primary buttons (#ddedf9 on #0178d4: 3.8:1), the red ✖ and ■ of a
    failed or interrupted task on a row or the top bar (3.7:1, 3.3:1), a dim time on the Manager's
    cursor (2.8:1)."""
    build_workspace(layout)
    app = PyrunsApp(layout, start_mode=mode, watch_disk=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await workers_done(pilot)
        await pilot.pause()
        assert unreadable(app) == set()
        if mode == "monitor":  # the list focused: its highlighted task on the cursor colour
            app.screen.task_list.focus()
            await pilot.pause()
            assert unreadable(app) == set()
        if mode == "manager":  # the table not focused: the cursor row blurred
            app.screen.set_focus(None)
            await pilot.pause()
            assert unreadable(app) == set()


NULLS = """import argparse
parser = argparse.ArgumentParser()
parser.add_argument("--resume", default=None, help="checkpoint to resume from")
parser.add_argument("--arch", default=None, choices=["a", "b"], help="architecture")
parser.parse_args()
"""


async def test_null_values_are_readable(tmp_path: Path) -> None:
    """`null` (no value) was drawn in the disabled grey: 3.2:1 on the form."""
    (tmp_path / "train.py").write_text(NULLS)
    app = PyrunsApp(init_workspace(tmp_path, tmp_path / "train.py"), watch_disk=False)
    async with app.run_test(size=(100, 24)) as pilot:
        gen = await ready(pilot)
        assert "null" in "".join(strip.text for strip in app.screen._compositor.render_strips())
        assert unreadable(app) == set()
        for key in ("resume", "arch"):  # in the editor (an Input, a Select) while it is edited
            await edit(pilot, row(gen, key))
            await pilot.pause()
            assert unreadable(app) == set(), key
