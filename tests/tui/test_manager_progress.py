"""Pilot: a task run by the real runner under a real pty; its progress column (Manager) and
header (Monitor) move as it prints."""

from __future__ import annotations

import pytest
from textual.widgets import Static

from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.tui.screens.monitor import MonitorScreen
from pyruns_tui.tui.widgets.monitor import log_pane
from pyruns_tui.workspace.model import Status, Task
from tests.runner.harness import Project, project  # noqa: F401 - the fixture
from tests.tui.manager_helpers import finished_run, row_text, settle, wait_for
from tests.waiting import wait_until

STEPS = (
    "import os, sys, time\n"
    "from tqdm import tqdm\n"
    "bar = tqdm(total=10, desc='train', mininterval=0, miniters=1)\n"
    "deadline = time.monotonic() + 120  # a test that failed before opening a gate leaves no task looping\n"
    "for step in range(1, 4):\n"
    "    bar.update(1)\n"
    "    while not os.path.exists({gate!r} + str(step)):\n"
    "        if time.monotonic() > deadline: sys.exit(3)\n"
    "        time.sleep(0.01)\n"
)


async def test_running_task_progress_column_moves(project: Project) -> None:
    gate = str(project.dir / "gate")
    name = project.add("sweep", STEPS.format(gate=gate))
    app = PyrunsApp(project.layout, start_mode="manager", watch_disk=True)
    async with app.run_test(size=(160, 30)) as pilot:
        screen = await settle(pilot)
        assert "progress" not in [c.key for c in screen.browser.columns]  # nothing runs: no live columns
        assert project.cli("run", name) == 0
        await wait_for(pilot, lambda: "10%" in row_text(screen, name), timeout=30)
        assert [c.key for c in screen.browser.columns][4:6] == ["progress", "eta"]
        (project.dir / "gate1").touch()
        await wait_for(pilot, lambda: "20%" in row_text(screen, name), timeout=30)
        (project.dir / "gate2").touch()
        await wait_for(pilot, lambda: "30%" in row_text(screen, name), timeout=30)
        assert "█▊      30%" in row_text(screen, name)  # 30% of a 6-cell bar: 1.8 cells
        assert "queue done ≈" in str(screen.browser.query_one("#manager-status").render())
        screen.table.move_to(name)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, MonitorScreen))
        monitor = pilot.app.screen
        assert isinstance(monitor, MonitorScreen)
        header = monitor.log_pane.query_one(".logpane--header", Static)
        await wait_for(pilot, lambda: "30%" in str(header.render()), timeout=30)
        assert "train 3/10" in str(header.render())
        (project.dir / "gate3").touch()
        project.wait(name)
        await wait_for(pilot, lambda: "30%" not in str(header.render()), timeout=30)
        await pilot.press("2")
        await wait_for(pilot, lambda: "completed" in row_text(screen, name), timeout=30)
        assert "%" not in row_text(screen, name)


async def test_the_queue_finish_is_shared_by_the_slots_of_run_j(project: Project) -> None:
    """The Manager's `queue done ≈` divided the work by `max_concurrency` of the settings (4
    here) also under `run -j 1`: one running task and seven queued ones, each as long as the
    median completed task (1000 s), were said to be done in 33 minutes instead of 2h13m."""
    import dataclasses

    for i in range(3):
        def completed(task: Task) -> None:
            task.status = Status.COMPLETED
            task.runs = [dataclasses.replace(finished_run(Status.COMPLETED), duration_s=1000.0)]

        project.store.update(project.add(f"done{i}"), completed)
    code, release = project.gate("first")
    first = project.add("first", code)
    queued = [project.add(f"then{i}") for i in range(7)]
    app = PyrunsApp(project.layout, start_mode="manager", watch_disk=True)
    try:
        async with app.run_test(size=(160, 30)) as pilot:
            screen = await settle(pilot)
            assert project.cli("run", "-j", "1", first, *queued) == 0
            status = screen.browser.query_one("#manager-status")
            await wait_for(pilot, lambda: project.task(first).status is Status.RUNNING, timeout=30)
            await wait_for(pilot, lambda: "(in 2h1" in str(status.render()), timeout=30,
                           what="8 tasks of 1000 s at -j 1 to be done in 2h13m")
    finally:
        release()


async def test_the_queue_finish_on_slurm_goes_by_the_array_limit(project: Project) -> None:
    """On Slurm an array runs `slurm.array_parallelism` indices at once, not `max_concurrency`
    (4): with 1 at once, one running task and seven queued ones of 1000 s each were said to be
    done in 33 minutes instead of 2h13m (the same limit `runner status` shows, runner/limits.py)."""
    import dataclasses
    from datetime import datetime, timezone

    project.layout.settings_file.write_text("max_concurrency: 4\nexecutor: slurm\nslurm: {array_parallelism: 1}\n")
    for i in range(3):
        def completed(task: Task) -> None:
            task.status = Status.COMPLETED
            task.runs = [dataclasses.replace(finished_run(Status.COMPLETED), duration_s=1000.0)]

        project.store.update(project.add(f"done{i}"), completed)
    started = datetime.now(timezone.utc).isoformat(timespec="milliseconds")

    def running(task: Task) -> None:
        task.status = Status.RUNNING
        task.runs = [dataclasses.replace(finished_run(Status.RUNNING), start=started, finish=None, duration_s=None,
                                         exit_code=None)]

    def queued(task: Task) -> None:
        task.status = Status.QUEUED
        task.queued_at = started

    project.store.update(project.add("first"), running)
    for i in range(7):
        project.store.update(project.add(f"then{i}"), queued)
    app = PyrunsApp(project.layout, start_mode="manager", watch_disk=True)
    async with app.run_test(size=(160, 30)) as pilot:
        screen = await settle(pilot)
        status = screen.browser.query_one("#manager-status")
        await wait_for(pilot, lambda: "(in 2h1" in str(status.render()), timeout=30,
                       what="8 tasks of 1000 s, 1 at once, to be done in 2h13m")


async def test_the_monitor_header_follows_the_log_not_a_clock(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    """The header's progress lagged the log by up to 2 s: the runner wrote the sidecar on its
    once-a-second look and the header read it on its own. Here the header's clock never ticks
    (PROGRESS_REFRESH_S) and each step is a bar redrawn with `\\r` (no new line, no record
    changes): the header moves only because it sees the sidecar replaced. The task waits for
    the test at each step, once the step is in its log."""
    monkeypatch.setattr(log_pane, "PROGRESS_REFRESH_S", 3600.0)
    gate = str(project.dir / "gate")
    name = project.add("sweep", STEPS.format(gate=gate))
    assert project.cli("run", name) == 0
    log = project.layout.run_log(name, 1)
    # running, its pid recorded: nothing in its record changes from now on
    wait_until(lambda: (run := project.task(name).last_run) is not None and run.pid is not None, what="the run's pid")
    app = PyrunsApp(project.layout, start_mode="monitor", watch_disk=False)
    async with app.run_test(size=(160, 30)) as pilot:
        await app.workers.wait_for_complete()
        screen = app.screen
        assert isinstance(screen, MonitorScreen)
        screen.show_task(name)
        header = screen.log_pane.query_one(".logpane--header", Static)
        for step in (1, 2, 3):
            wait_until(lambda: f" {step}/10 " in log.read_text(errors="replace"), what=f"step {step} in the log")
            await wait_for(pilot, lambda: f"{step}0%" in str(header.render()), timeout=20,
                           what=f"step {step} in the header {header.render()}")
            (project.dir / f"gate{step}").touch()
        project.wait(name)
