"""Pilot, on a real full disk (a tmpfs, root only): a run whose log the full disk cut is said
while its task runs on, in the Monitor's log header and the Manager's detail pane (they showed
a frozen log and progress, and `running`, until the run ended failed)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console
from textual.widgets import Static

from pyruns_tui.runner import control
from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.tui.screens.manager import ManagerScreen
from pyruns_tui.tui.screens.monitor import MonitorScreen
from pyruns_tui.workspace.model import Status
from tests.reliability.harness import flood_then_wait, open_gate, small_disk
from tests.runner.harness import Project, finish_project, shell_project
from tests.waiting import wait_for, wait_until

pytestmark = pytest.mark.slow


@pytest.fixture
def cut_task(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Project, str]]:
    """A running task whose log a full 2 MB tmpfs cut; it waits for the test, then the disk is freed."""
    fifo = tmp_path / "gate.fifo"
    with small_disk(tmp_path / "disk", "2m") as disk:
        project = shell_project(disk / "proj", monkeypatch)
        name = project.add("flood", flood_then_wait(fifo))
        control.queue(project.store, [name])
        state = project.runner_paths.run_state(name, 1)
        wait_until(lambda: state.exists() and b'"log_cut"' in state.read_bytes(), 30, "the log to be cut")
        yield project, name
        assert project.task(name).status is Status.RUNNING  # it ran on all along
        (project.dir / "fill").unlink()
        open_gate(fifo)
        project.wait(name, timeout=60)
        finish_project(project)


async def test_the_monitor_header_says_the_log_was_cut(cut_task: tuple[Project, str]) -> None:
    project, name = cut_task
    app = PyrunsApp(project.layout, start_mode="monitor", watch_disk=False)
    async with app.run_test(size=(160, 30)) as pilot:
        await app.workers.wait_for_complete()
        screen = app.screen
        assert isinstance(screen, MonitorScreen)
        screen.show_task(name)
        header = screen.log_pane.query_one(".logpane--header", Static)
        await wait_for(pilot, lambda: "log cut at" in str(header.render()), what=f"the cut in {header.render()}")
        text = str(header.render())
        assert "✂ log cut at " in text and ": disk full; task runs on" in text, text


async def test_the_manager_detail_pane_says_the_log_was_cut(cut_task: tuple[Project, str]) -> None:
    project, name = cut_task
    app = PyrunsApp(project.layout, start_mode="manager", watch_disk=False)
    async with app.run_test(size=(160, 30)) as pilot:
        await app.workers.wait_for_complete()
        screen = app.screen
        assert isinstance(screen, ManagerScreen)
        await wait_for(pilot, lambda: "log cut at" in pane_text(screen), what="the cut in the detail pane")
        assert ": disk full; the task runs on" in pane_text(screen), pane_text(screen)


def pane_text(screen: ManagerScreen) -> str:
    console = Console(width=150, record=True, file=io.StringIO())
    console.print(screen.detail.query_one("#detail-body", Static).content)
    return console.export_text()
