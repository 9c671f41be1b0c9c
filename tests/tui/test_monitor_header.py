"""The Monitor's log header fits its pane at 120, 80 and 60 columns: details go first, never the essentials."""

from __future__ import annotations

import time

import pytest
from rich.cells import cell_len
from textual.widgets import Static

from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.tui.models import system_feed
from pyruns_tui.tui.screens.monitor import MonitorScreen
from pyruns_tui.tui.widgets.monitor.log_pane import LogPane
from pyruns_tui.workspace.layout import Layout
from pyruns_tui.workspace.model import Status
from pyruns_tui.workspace.progress_file import RunProgress, write_run_progress
from pyruns_tui.workspace.store import TaskStore
from tests.tui.frames import count_calls, count_frames
from tests.tui.monitor_fixtures import add_run, add_task, fixed_feed
from tests.waiting import wait_for

NAME = "sweep_lr-0.01"
WIDE_LINE = b"epoch 3:  42%|" + b"\xe2\x96\x88" * 120 + b"| 812/1563 [01:05<01:36, 8.1it/s, loss=0.31]\n"


def header_of(pane: LogPane) -> tuple[str, int]:
    header = pane.query_one(".logpane--header", Static)
    return str(header.render()), header.size.width


@pytest.fixture
def running(store: TaskStore, layout: Layout) -> TaskStore:
    """Two running tasks, the first on its second run with a progress sidecar and a 160-column line."""
    for name in (NAME, "sweep_lr-0.1"):
        add_task(store, name)
        add_run(store, name, Status.FAILED, b"run 1\n", minute=0)
        add_run(store, name, Status.RUNNING, b"warming up\n" + WIDE_LINE, minute=1, pid=4242)
        write_run_progress(layout.task_dir(name), RunProgress(
            run=2, progress=0.42, progress_label="epoch 3/10 · 812/1563", eta_s=96.0, updated_at=time.time()))
    return store


@pytest.mark.parametrize("size", [(120, 40), (80, 24), (60, 20)])
async def test_the_log_header_fits_the_pane(layout: Layout, running: TaskStore, size: tuple[int, int]) -> None:
    app = PyrunsApp(layout, start_mode="monitor", watch_disk=False)
    async with app.run_test(size=size) as pilot:
        await app.workers.wait_for_complete()
        screen = app.screen
        assert isinstance(screen, MonitorScreen)
        screen.show_task(NAME)
        pane = screen.log_pane
        await wait_for(pilot, lambda: "42%" in header_of(pane)[0], what=f"the progress in the header {header_of(pane)}")
        text, width = header_of(pane)
        assert cell_len(text) <= width and "…" not in text, (text, width)
        assert NAME in text and "●" in text  # the task and the follow state are always there
        if size[0] >= 80:
            assert "● follow" in text and ("run1" in text or "run 2/2" in text)
        if size[0] >= 120:
            assert "eta" in text and "⇆ 1-" in text  # the sideways position of the 160-column line
        assert pane.size.width >= 38  # at 60 columns the task list gives room to the log
        await pilot.press("v")  # the split view: two compact panes
        panes = list(screen.query(LogPane).results())
        await wait_for(pilot, lambda: sum(p.display and p.shown_task is not None for p in panes) >= 2,
                       what="two panes")
        for split in panes:
            if split.display and split.shown_task is not None and split.size.width:
                text, width = header_of(split)
                assert cell_len(text) <= width and "…" not in text and split.shown_task.name in text, (text, width)


async def test_the_header_follows_progress_that_adds_no_line(layout: Layout, running: TaskStore) -> None:
    # a `\r` bar redrawn in place adds no line and changes no record: the header stayed at its
    # first percentage while the bar moved on
    app = PyrunsApp(layout, start_mode="monitor", watch_disk=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        screen = app.screen
        assert isinstance(screen, MonitorScreen)
        screen.show_task(NAME)
        pane = screen.log_pane
        await wait_for(pilot, lambda: "42%" in header_of(pane)[0], what="the first progress")
        write_run_progress(layout.task_dir(NAME), RunProgress(
            run=2, progress=0.77, progress_label="epoch 8/10 · 100/1563", eta_s=30.0, updated_at=time.time()))
        await wait_for(pilot, lambda: "77%" in header_of(pane)[0], what=f"the new progress {header_of(pane)}")


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_a_long_failure_reason_is_cut_not_left_out_with_the_rest(
        layout: Layout, store: TaskStore, size: tuple[int, int]) -> None:
    # a CUDA OOM's reason did not fit the header: it was left out, and everything of lower priority
    # (run, follow, lines) had been left out before it, for nothing: the header said ` ✖ y5_7-of-8`
    error = "RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 23.70 GiB total capacity)"
    add_task(store, "y5_7-of-8")
    add_run(store, "y5_7-of-8", Status.FAILED, b"Traceback (most recent call last):\n" + error.encode() + b"\n")
    store.update("y5_7-of-8", lambda task: setattr(task.runs[-1], "error", error))
    app = PyrunsApp(layout, start_mode="monitor", watch_disk=False)
    async with app.run_test(size=size) as pilot:
        await app.workers.wait_for_complete()
        screen = app.screen
        assert isinstance(screen, MonitorScreen)
        screen.show_task("y5_7-of-8")
        pane = screen.log_pane
        await wait_for(pilot, lambda: "✖ RuntimeError: CUDA" in header_of(pane)[0], what=f"the reason {header_of(pane)}")
        text, width = header_of(pane)
        assert cell_len(text) <= width and text.endswith("…"), (text, width)
        assert text.startswith(" ✖ y5_7-of-8  ") and "●" in text  # with the follow state
        if size[0] >= 120:
            assert "run1   ● follow" in text


async def test_a_log_of_one_line_says_one_line(layout: Layout, store: TaskStore) -> None:
    # a tqdm bar's whole log is one line: the header said `1 lines`
    add_task(store, NAME)
    add_run(store, NAME, Status.COMPLETED, b"train: 100%|##########| 10/10 [00:01<00:00, 9.9it/s]\n")
    app = PyrunsApp(layout, start_mode="monitor", watch_disk=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, MonitorScreen)
        pane = screen.log_pane
        await wait_for(pilot, lambda: "1 line" in header_of(pane)[0], what=f"the line count {header_of(pane)}")
        assert "1 lines" not in header_of(pane)[0] and "  1 line" in header_of(pane)[0]


async def test_an_unchanged_header_is_not_sent_again(layout: Layout, store: TaskStore,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # the header looks at a running run's progress each second: it re-sent the same line every
    # time (~900 B/s to the terminal of an idle Monitor, over SSH)
    add_task(store, NAME)
    add_run(store, NAME, Status.RUNNING, b"training\n", pid=4242)
    checks = count_calls(monkeypatch, LogPane, "_refresh_progress")
    system_feed.use_feed(fixed_feed(0))  # the system panel never changes
    try:
        app = PyrunsApp(layout, start_mode="monitor", watch_disk=False)
        async with app.run_test(size=(120, 40)) as pilot:
            screen = app.screen
            assert isinstance(screen, MonitorScreen)
            pane = screen.log_pane
            await wait_for(pilot, lambda: "1 line" in header_of(pane)[0], what="the log and its header")
            frames, checked = count_frames(app), checks[0]
            await wait_for(pilot, lambda: checks[0] >= checked + 3, what="three progress checks")
            assert frames[0] == 0, f"{frames[0]} frames for a header that did not change"
    finally:
        system_feed.use_feed(None)
