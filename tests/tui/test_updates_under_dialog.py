"""A dialog over a screen that updates (the Monitor following a log, the Manager's running
durations): the screen below stops drawing, since each of its repaints was one of the whole dimmed
terminal, and shows what changed meanwhile once the dialog closes."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.tui.models import system_feed
from pyruns_tui.tui.screens.manager import ManagerScreen
from pyruns_tui.tui.screens.monitor import MonitorScreen
from pyruns_tui.tui.widgets.manager.browser import TaskBrowser
from pyruns_tui.tui.widgets.manager.dialogs import ConfirmDialog
from pyruns_tui.tui.widgets.monitor.logview import LogView
from pyruns_tui.workspace.layout import Layout
from pyruns_tui.workspace.model import Status, Task, now_iso
from pyruns_tui.workspace.store import TaskStore
from tests.tui.frames import count_calls, count_frames
from tests.tui.monitor_fixtures import add_run, add_task, fixed_feed
from tests.waiting import wait_for

LINES_WHILE_OPEN = 6


@pytest.fixture(autouse=True)
def _fixed_system_feed() -> Iterator[None]:
    system_feed.use_feed(fixed_feed(2))
    yield
    system_feed.use_feed(None)


@pytest.fixture
def sleeper() -> Iterator[int]:
    """The pid of a real process for the running task (a stray Stop could only end this one)."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    yield process.pid
    process.kill()
    process.wait()


@pytest.fixture
def ticks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The log views' poll ticks (polled or not)."""
    return count_calls(monkeypatch, LogView, "_tick")


async def test_a_dialog_over_a_followed_log_holds_its_repaints_and_the_lines_show_after(
        layout: Layout, store: TaskStore, sleeper: int, ticks: list[int]) -> None:
    add_task(store, "live")
    log = add_run(store, "live", Status.RUNNING, b"line 0\n", pid=sleeper)
    app = PyrunsApp(layout, start_mode="monitor", watch_disk=False)
    frames = count_frames(app)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, MonitorScreen) and app.screen.log_pane.view.lines == 1,
                       what="the running task's log shown")
        screen = app.screen
        assert isinstance(screen, MonitorScreen)
        view = screen.log_pane.view
        await pilot.press("s")  # "Stop 1 running task?"
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="the Stop dialog")
        await pilot.pause()
        before = frames[0]
        for i in range(1, LINES_WHILE_OPEN + 1):
            with open(log, "ab") as stream:
                stream.write(b"line %d\n" % i)
            fired = ticks[0]
            # two of the log's poll ticks after each line: following it, each would have drawn it
            await wait_for(pilot, lambda fired=fired: ticks[0] >= fired + 2, what="two log poll ticks")  # type: ignore[misc]
        drawn = frames[0] - before
        assert drawn == 0, f"{drawn} frames sent while the dialog was open over {LINES_WHILE_OPEN} log lines"
        await pilot.press("escape")
        assert isinstance(app.screen, MonitorScreen)
        expected = [f"line {i}" for i in range(LINES_WHILE_OPEN + 1)]
        buffer = view.buffer
        assert buffer is not None
        await wait_for(pilot, lambda: [buffer.plain_line(i) for i in range(buffer.line_count)] == expected,
                       what="every line written while the dialog was open")
        assert view.follow and view.lines == LINES_WHILE_OPEN + 1
        assert f"{LINES_WHILE_OPEN + 1} lines" in str(screen.log_pane.query_one(".logpane--header").render())


async def test_a_dialog_over_the_manager_holds_the_running_durations(
        layout: Layout, store: TaskStore, sleeper: int, monkeypatch: pytest.MonkeyPatch) -> None:
    ticks = count_calls(monkeypatch, TaskBrowser, "_tick")  # its once-a-second timer
    add_task(store, "live")
    add_run(store, "live", Status.RUNNING, b"", pid=sleeper)

    def started_now(task: Task) -> None:  # its duration cell counts seconds: a repaint a second
        task.runs[-1].start = now_iso()

    store.update("live", started_now)
    app = PyrunsApp(layout, start_mode="manager", watch_disk=False)
    frames = count_frames(app)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, ManagerScreen) and app.screen.browser.settled
                       and app.screen.table.visible_names() == ["live"], what="the running task listed")
        screen = app.screen
        assert isinstance(screen, ManagerScreen)
        fired = ticks[0]
        await wait_for(pilot, lambda: ticks[0] >= fired + 2 and screen.table.tick_repaints, what="a duration repainted")
        await pilot.press("s")  # "Stop 1 running task?"
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="the Stop dialog")
        await pilot.pause()
        before, fired = frames[0], ticks[0]
        await wait_for(pilot, lambda: ticks[0] >= fired + 3, what="three ticks of the durations")
        drawn = frames[0] - before
        assert drawn == 0, f"{drawn} frames sent while the dialog was open over a running duration"
        await pilot.press("escape")
        repaints = screen.table.tick_repaints
        await wait_for(pilot, lambda: screen.table.tick_repaints > repaints, what="the duration counting again")
