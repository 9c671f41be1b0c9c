"""Shared by the Manager's Pilot and snapshot tests: a small workspace with known tasks, and waits."""

from __future__ import annotations

import json
from typing import Any

from textual.pilot import Pilot
from textual.worker import WorkerCancelled

from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.tui.screens.manager import ManagerScreen
from pyruns_tui.workspace.bootstrap import read_script_info, write_script_info
from pyruns_tui.workspace.layout import Layout
from pyruns_tui.workspace.model import Run, Status, Task
from pyruns_tui.workspace.store import NewTask, TaskStore
from tests.waiting import wait_for

# name: (config, status, notes, metrics rows)
TASKS: dict[str, tuple[dict[str, Any], Status, str, list[dict[str, float]]]] = {
    "base": ({"lr": 0.1, "model": {"depth": 18}, "opt": "adam"}, Status.COMPLETED, "baseline run", [{"loss": 0.9}, {"loss": 0.4}]),
    "deep": ({"lr": 0.01, "model": {"depth": 34}, "opt": "sgd"}, Status.PENDING, "", []),
    "tiny_lr": ({"lr": 0.001, "model": {"depth": 18}, "opt": "sgd"}, Status.FAILED, "diverged?", [{"loss": 2.5}]),
    "wide": ({"lr": 0.01, "model": {"depth": 50}, "opt": "adam"}, Status.COMPLETED, "", [{"loss": 0.5}, {"loss": 0.2, "acc": 0.93}]),
    "mid": ({"lr": 0.03, "model": {"depth": 34}, "opt": "adam"}, Status.INTERRUPTED, "", [{"loss": 0.6}]),
}
CREATED = "2026-03-14T09:%02d:00.000+00:00"


def finished_run(status: Status, index: int = 1) -> Run:
    return Run(
        index=index, status=status, start="2026-03-14T10:00:00.000+00:00", finish="2026-03-14T10:02:05.000+00:00",
        duration_s=125.0, pid=4242 + index, exit_code=0 if status is Status.COMPLETED else (None if status is Status.INTERRUPTED else 1),
        signal=15 if status is Status.INTERRUPTED else None, gpus=[0], host="gpu-box",
        git={"commit": "3f2a9c1d5e", "dirty": True}, python="/usr/bin/python3",
        env={"CUDA_VISIBLE_DEVICES": "0", "WANDB_API_KEY": "<redacted>"}, log=f"run_logs/run{index}.log",
    )


def build_workspace(layout: Layout, pinned: tuple[str, ...] = ("lr", "model.depth")) -> TaskStore:
    """The five tasks of TASKS with fixed times, states, notes and metrics; `lr`, `model.depth` pinned."""
    info = read_script_info(layout)
    info.pinned_params = list(pinned)
    write_script_info(layout, info)
    store = TaskStore(layout)
    store.create_tasks([NewTask(name, config) for name, (config, *_rest) in TASKS.items()], task_kind="plain", script=None)
    for minute, (name, (_config, status, notes, metrics)) in enumerate(TASKS.items()):
        def change(task: Task, minute: int = minute, status: Status = status, notes: str = notes) -> None:
            task.created_at = CREATED % minute
            task.notes = notes
            task.status = status
            task.runs = [] if status is Status.PENDING else [finished_run(status)]

        store.update(name, change)
        if metrics:
            rows = [json.dumps({"step": step, **row}) for step, row in enumerate(metrics)]
            layout.metrics_file(name).write_text("\n".join(rows) + "\n")
    return store


def manager(app: PyrunsApp) -> ManagerScreen:
    screen = app.screen
    assert isinstance(screen, ManagerScreen), screen
    return screen


async def settle(pilot: Pilot[None]) -> ManagerScreen:
    """Wait until the Manager shows what is on disk (refresh and index workers done)."""
    app = pilot.app
    assert isinstance(app, PyrunsApp)

    def done() -> bool:
        screen = app.screen
        if not isinstance(screen, ManagerScreen) or not app.tasks_version:
            return False
        browser = screen.browser
        snapshot = app.state.snapshot
        return browser.settled and not browser.index.diff(snapshot.tasks, snapshot.versions)

    await workers_done(pilot)
    await wait_for(pilot, done)
    await workers_done(pilot)
    await pilot.pause()
    return manager(app)


async def workers_done(pilot: Pilot[None]) -> None:
    """Wait for the app's workers; a refresh cancelled by a newer one (tasks running, the disk
    watched) is not a failure: wait for those still going."""
    for _ in range(200):
        try:
            await pilot.app.workers.wait_for_complete()
            return
        except WorkerCancelled:
            await pilot.pause(0.02)
    raise AssertionError("the app's workers kept being cancelled")


async def refresh(pilot: Pilot[None]) -> ManagerScreen:
    """Re-read the disk now (tests run with the disk watcher off) and wait for the table."""
    app = pilot.app
    assert isinstance(app, PyrunsApp)
    app.refresh_tasks()
    return await settle(pilot)


def shown(screen: ManagerScreen) -> list[str]:
    return screen.table.visible_names()


def row_text(screen: ManagerScreen, name: str) -> str:
    """The rendered text of a task's row (it must be on screen)."""
    table = screen.table
    index = table.index_of(name)
    assert index is not None, f"{name} is not shown"
    y = index - int(table.scroll_offset.y) + 1
    return "".join(segment.text for segment in table.render_line(y))
