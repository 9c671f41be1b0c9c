"""The keys that act on tasks, the same on the Manager and the Monitor: stop asks first (with a
remembered "always"), delete refuses running tasks up front, export never overwrites silently."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from pyruns_tui.errors import RunnerError
from pyruns_tui.runner import client, control
from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.tui.screens.manager import ManagerScreen
from pyruns_tui.tui.screens.monitor import MonitorScreen
from pyruns_tui.tui.widgets.manager.dialogs import ConfirmDialog
from pyruns_tui.tui.widgets.monitor.export_dialog import ExportDialog
from pyruns_tui.workspace.bootstrap import init_workspace
from pyruns_tui.workspace.layout import Layout
from pyruns_tui.workspace.model import Status
from pyruns_tui.workspace.settings import load_settings
from pyruns_tui.workspace.store import NewTask, TaskStore
from tests.conftest import DEMO, Shown
from tests.tui.manager_helpers import settle, wait_for

SLOW = {"epochs": 1, "steps": 100000, "step_time": 0.05}


@pytest.fixture
def running(tmp_path: Path) -> Iterator[TaskStore]:
    """The demo workspace with tasks `slow` (running, for minutes) and `idle` (pending)."""
    layout = init_workspace(tmp_path, DEMO / "train.py")
    store = TaskStore(layout)
    store.create_tasks([NewTask("slow", SLOW), NewTask("idle", {})], task_kind="argparse", script=str(DEMO / "train.py"))
    control.queue(store, ["slow"])
    yield store
    with contextlib.suppress(RunnerError):
        control.stop(store, store.names())
        control.wait(store, store.names(), timeout_s=60, keep_runner=False)
    client.stop_runner(layout)


async def wait_status(pilot, store: TaskStore, name: str, status: Status) -> None:  # type: ignore[no-untyped-def]
    await wait_for(pilot, lambda: store.get(name).status is status, timeout=60)


async def test_stop_asks_and_always_is_remembered(running: TaskStore) -> None:
    layout = running.layout
    app = PyrunsApp(layout, start_mode="manager")
    async with app.run_test() as pilot:
        await wait_status(pilot, running, "slow", Status.RUNNING)
        screen = await settle(pilot)
        await wait_for(pilot, lambda: "▶" in "".join(s.text for s in screen.table.render_line(1 + screen.table.index_of("slow"))))
        screen.table.move_to("slow")
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))  # a busy machine pushes it later
        assert isinstance(app.screen, ConfirmDialog) and "Stop 1 running task" in app.screen.title_text
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, ManagerScreen))
        assert not running.get("slow").stop_requested
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("a")  # stop, and don't ask again
        await wait_status(pilot, running, "slow", Status.INTERRUPTED)
        assert load_settings(layout.settings_file).confirm_stop is False
        assert "confirm_stop: false" in layout.settings_file.read_text()
        control.queue(running, ["slow"])
        await wait_status(pilot, running, "slow", Status.RUNNING)
        app.refresh_tasks()
        await settle(pilot)
        screen.table.move_to("slow")
        await pilot.press("s")  # no question this time
        assert isinstance(app.screen, ManagerScreen)
        await wait_status(pilot, running, "slow", Status.INTERRUPTED)


async def test_monitor_stops_and_reruns_the_watched_task(running: TaskStore) -> None:
    app = PyrunsApp(running.layout, start_mode="monitor")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_status(pilot, running, "slow", Status.RUNNING)
        await app.open_task("slow")
        screen = app.screen
        assert isinstance(screen, MonitorScreen)
        await wait_for(pilot, lambda: app.state.snapshot.tasks["slow"].status is Status.RUNNING)
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        await wait_status(pilot, running, "slow", Status.INTERRUPTED)
        await wait_for(pilot, lambda: app.state.snapshot.tasks["slow"].status is Status.INTERRUPTED)
        await pilot.press("r")  # rerun the watched task: run 2
        await wait_for(pilot, lambda: len(running.get("slow").runs) == 2, timeout=60)


async def test_delete_refuses_running_tasks_before_asking(running: TaskStore, notifications: list[Shown]) -> None:
    app = PyrunsApp(running.layout, start_mode="manager")
    async with app.run_test() as pilot:
        await wait_status(pilot, running, "slow", Status.RUNNING)
        app.refresh_tasks()
        screen = await settle(pilot)
        await wait_for(pilot, lambda: screen.browser.index.entries["slow"].task.status is Status.RUNNING)
        screen.table.move_to("slow")
        await pilot.press("d")
        assert isinstance(app.screen, ManagerScreen)  # no confirmation to answer first
        assert any("stop it before deleting" in str(n.message) for n in notifications)
        assert "slow" in running.names()


async def test_export_suggests_a_free_name_and_asks_before_overwriting(tmp_path: Path) -> None:
    layout: Layout = init_workspace(tmp_path, DEMO / "train.py")
    TaskStore(layout).create_tasks([NewTask("a", {})], task_kind="argparse", script=None)
    (tmp_path / "pyruns_export.csv").write_text("keep me")
    app = PyrunsApp(layout, start_mode="manager", watch_disk=False)
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, ExportDialog))
        dialog = app.screen
        assert isinstance(dialog, ExportDialog)
        assert dialog.query_one("#export-path").value == str(tmp_path / "pyruns_export-2.csv")
        dialog.query_one("#export-path").value = str(tmp_path / "pyruns_export.csv")
        await pilot.press("enter")
        assert app.screen is dialog and "exists" in str(dialog.query_one("#export-exists").render())
        assert (tmp_path / "pyruns_export.csv").read_text() == "keep me"
        await pilot.press("enter")  # the same file again: overwrite
        await wait_for(pilot, lambda: (tmp_path / "pyruns_export.csv").read_text() != "keep me")


async def test_failures_say_why_in_the_detail_pane_and_the_monitor(tmp_path: Path) -> None:
    from pyruns_tui.tui.widgets.manager.detail_pane import detail_renderable
    from tests.tui.monitor_fixtures import add_run

    layout = init_workspace(tmp_path, DEMO / "train.py")
    store = TaskStore(layout)
    store.create_tasks([NewTask("crashed", {}), NewTask("bad_config", {}), NewTask("triaged", {})],
                       task_kind="argparse", script=None)
    add_run(store, "crashed", Status.FAILED, b"Traceback\nValueError: boom\n")
    store.update("crashed", lambda t: setattr(t.runs[-1], "exit_code", 1))
    add_run(store, "triaged", Status.FAILED, b"x\n")
    store.update("triaged", lambda t: setattr(t.runs[-1], "error", "ValueError: boom"))
    store.update("bad_config", lambda t: t.set_status(Status.QUEUED))  # the runner could not start it
    store.update("bad_config", lambda t: t.set_status(Status.FAILED, "config key 'bad' is not a parameter of the script"))

    def pane_text(name: str) -> str:
        from rich.console import Console

        console = Console(width=100, record=True)
        console.print(detail_renderable(store.get(name), "Config", ""))
        return console.export_text()

    assert "✖ exit 1" in pane_text("crashed")
    assert "error: ValueError: boom" in pane_text("triaged")  # once: no `✖ ValueError: boom` under it
    assert "error: config key 'bad' is not a parameter" in pane_text("bad_config")
    app = PyrunsApp(layout, start_mode="monitor", watch_disk=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, MonitorScreen) and bool(app.state.snapshot.tasks))
        await app.open_task("bad_config")
        screen = app.screen
        assert isinstance(screen, MonitorScreen)
        await wait_for(pilot, lambda: "not a parameter" in screen.log_pane.view.empty_text)
        await app.open_task("triaged")
        await wait_for(pilot, lambda: "✖ ValueError: boom" in str(screen.log_pane.query_one(".logpane--header").render()))


async def test_small_things_a_newcomer_sees(tmp_path: Path) -> None:
    """`1 task` (not `1 tasks`); `k` on the first task and `j` on the last do not wrap around."""
    layout = init_workspace(tmp_path, DEMO / "train.py")
    TaskStore(layout).create_tasks([NewTask("only", {})], task_kind="argparse", script=None)
    app = PyrunsApp(layout, start_mode="manager", watch_disk=False)
    async with app.run_test() as pilot:
        screen = await settle(pilot)
        assert str(screen.query_one("#manager-status").render()).startswith("1 task  ·")
    TaskStore(layout).create_tasks([NewTask("second", {})], task_kind="argparse", script=None)
    app = PyrunsApp(layout, start_mode="monitor", watch_disk=False)
    async with app.run_test() as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, MonitorScreen) and len(app.screen.task_list.names) == 2)
        task_list = app.screen.task_list
        task_list.focus()
        task_list.highlighted = 0
        await pilot.press("k")
        assert task_list.highlighted == 0
        await pilot.press("j", "j")
        assert task_list.highlighted == 1
