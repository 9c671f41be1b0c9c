"""Text the user must read stands out from what is behind it (WCAG contrast, as
test_manager_errors.py measures the Manager's cursor row)."""

from __future__ import annotations

from rich.segment import Segment
from textual.pilot import Pilot

from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.tui.screens.monitor import MonitorScreen
from pyruns_tui.tui.widgets.generator.name_prefix import PrefixInput, placeholder_for
from pyruns_tui.workspace.layout import Layout
from tests.tui.manager_helpers import build_workspace, wait_for, workers_done
from tests.tui.test_manager_errors import _contrast


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
