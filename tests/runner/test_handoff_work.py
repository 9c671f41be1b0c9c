"""The runner's own work when a run ends and the next queued task starts (issue 21, item 1: in a
batch of no-op tasks the runner's system calls per task are its CPU): a pass stats each running
task's record once."""

from __future__ import annotations

import asyncio
import os
import time

import pytest

from pyruns_tui.runner.daemon import scheduler as scheduler_module
from pyruns_tui.runner.daemon import state as state_module
from pyruns_tui.runner.daemon.runs import ActiveRun
from pyruns_tui.runner.daemon.scheduler import Scheduler
from pyruns_tui.runner.gpus import NoGpus
from pyruns_tui.workspace.model import Run, Status, Task
from tests.runner.harness import Project


def _running(task: Task) -> None:
    task.runs.append(Run(index=1, status=Status.RUNNING, start="2026-01-01T00:00:00.000+00:00"))
    task.set_status(Status.QUEUED)
    task.set_status(Status.RUNNING)


def _adopt(sched: Scheduler, project: Project, names: list[str]) -> None:
    """`names` become runs this scheduler watches (records say running; no process: each one's
    end is a lost run)."""
    for name in names:
        project.store.update(name, _running)
        sched.active[name] = ActiveRun(name, 1, (), sched.paths.run_state(name, 1), 0)


def _close(sched: Scheduler) -> None:
    sched.close()
    if sched.spawner is not None:
        sched.spawner.proc.wait(10)


def _wait_for_ends(sched: Scheduler, names: list[str]) -> None:
    async def ends() -> None:
        deadline = time.monotonic() + 30
        while any(name in sched.active for name in names) or sched._ends:
            assert time.monotonic() < deadline, "the started tasks did not end"
            await asyncio.sleep(0.01)

    assert sched.loop is not None
    sched.loop.run_until_complete(ends())


def test_a_pass_stats_each_running_tasks_record_once(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    project.layout.settings_file.write_text("max_concurrency: 4\n")
    names = [project.add(f"run{i}") for i in range(4)]
    sched = Scheduler(project.layout, NoGpus())
    looked: list[str] = []

    def counted(real):
        def call(path):
            if str(path).endswith("task_info.json"):
                looked.append(os.path.basename(os.path.dirname(path)))
            return real(path)
        return call

    try:
        _adopt(sched, project, names)
        sched.tick()  # the first, full pass
        with monkeypatch.context() as m:
            m.setattr(scheduler_module, "stat_key", counted(scheduler_module.stat_key))
            m.setattr(state_module, "stat_key", counted(state_module.stat_key))
            sched.tick()  # a pass that reads the running tasks only
        assert sorted(looked) == names
        for run in list(sched.active.values()):
            sched._on_exit(run)
    finally:
        _close(sched)
