"""The Monitor's jump to a Python traceback (t/T), on the log of a real failing program under a pty."""

from __future__ import annotations

import sys

from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.tui.screens.monitor import MonitorScreen
from pyruns_tui.workspace.layout import Layout
from pyruns_tui.workspace.model import Status
from pyruns_tui.workspace.store import TaskStore
from tests.logs.pty_recorder import record_pty
from tests.tui.monitor_fixtures import add_run, add_task
from tests.tui.test_monitor import settle, wait_for

PROGRAM = """
import traceback
for step in range(60):
    print("step", step)
    if step == 10:
        try:
            {}["lr"]
        except KeyError:
            traceback.print_exc()
def load():
    try:
        open("/nonexistent/train.csv")
    except OSError as exc:
        raise RuntimeError("cannot load the data") from exc
load()
"""


def _highlighted(view, line: int) -> bool:  # type: ignore[no-untyped-def]
    """Whether log line `line` (on screen) is drawn with the traceback highlight."""
    y = line - round(view.scroll_y)
    assert 0 <= y < view.scrollable_content_region.height, "the line is not on screen"
    marked = view.get_component_rich_style("logview--traceback", partial=True).bgcolor
    return any(segment.style is not None and segment.style.bgcolor == marked for segment in view.render_line(y))


async def test_t_jumps_to_the_first_traceback_then_the_next_and_T_back(layout: Layout, store: TaskStore) -> None:
    log = record_pty([sys.executable, "-c", PROGRAM])
    add_task(store, "broken")
    add_run(store, "broken", Status.FAILED, log)
    app = PyrunsApp(layout, start_mode="monitor", watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, MonitorScreen)
        screen.show_task("broken")
        view = screen.log_pane.view
        await wait_for(pilot, lambda: view.buffer is not None and view.buffer.line_count > 60)
        buffer = view.buffer
        assert view.follow and view.traceback is None

        await pilot.press("t")
        first = view.traceback
        assert first is not None and buffer.plain_line(first[0]) == "Traceback (most recent call last):"
        assert buffer.plain_line(first[1] - 1) == "KeyError: 'lr'" and buffer.plain_line(first[0] - 1) == "step 10"
        assert not view.follow
        await pilot.pause()
        assert _highlighted(view, first[0]) and _highlighted(view, first[1] - 1)
        assert not _highlighted(view, first[0] - 1) and not _highlighted(view, first[1])

        await pilot.press("t")
        second = view.traceback
        assert second is not None and second[0] > first[1]
        assert buffer.plain_line(second[1] - 1) == "RuntimeError: cannot load the data"
        assert any("No such file" in buffer.plain_line(i) for i in range(*second))  # the chain is one block
        await pilot.pause()
        assert _highlighted(view, second[0]) and not _highlighted(view, second[0] - 1)

        await pilot.press("t")  # no further traceback: it stays
        assert view.traceback == second
        await pilot.press("T")
        assert view.traceback == first
