"""The runner's pass after a run ended: it looks at the running tasks and at the head of the queue
it keeps, not at every queued task (with 10,000 queued, each end cost ~14 ms of the runner's CPU
against ~3.5 ms with 200); what it no longer reads is still never started once stopped."""

from __future__ import annotations

import asyncio
import os
import time

import pytest

from pyruns_tui.runner import control, wake
from pyruns_tui.runner.daemon import placement
from pyruns_tui.runner.daemon import scheduler as scheduler_module
from pyruns_tui.runner.daemon import state as state_module
from pyruns_tui.runner.daemon.runs import ActiveRun
from pyruns_tui.runner.daemon.scheduler import Scheduler
from pyruns_tui.runner.gpus import NoGpus
from pyruns_tui.workspace import store as store_module
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


def test_the_pass_after_a_runs_end_looks_at_as_many_task_files_with_500_queued_as_with_100(
        project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    project.layout.settings_file.write_text("max_concurrency: 2\n")
    busy = [project.add(f"busy{i}") for i in range(4)]
    names = [project.add(f"q{i:03d}") for i in range(500)]
    control.queue(project.store, names[:100], start_runner=False)
    sched = Scheduler(project.layout, NoGpus())
    looked: list[str] = []

    def counted(real):
        def call(path):  # the real call; task files counted
            if str(path).endswith("task_info.json"):
                looked.append(str(path))
            return real(path)
        return call

    def files_looked_at_by_an_end() -> int:
        sched.request_full_scan()  # (as the wake of `run` asks)
        sched.tick()  # a full pass: every task read; nothing starts (4 runs hold the 2 slots)
        assert sched.queued == len([t for t in project.store.scan() if t.status is Status.QUEUED])
        looked.clear()
        with monkeypatch.context() as m:
            m.setattr(scheduler_module, "stat_key", counted(scheduler_module.stat_key))
            m.setattr(state_module, "stat_key", counted(state_module.stat_key))
            m.setattr(store_module, "_read_json", counted(store_module._read_json))
            sched._on_exit(next(iter(sched.active.values())))  # a run ends (no loop: its record is written at once)
            sched.tick()  # and the pass after it
        return len(looked)

    try:
        _adopt(sched, project, busy)
        with_100 = files_looked_at_by_an_end()
        control.queue(project.store, names[100:], start_runner=False)
        with_500 = files_looked_at_by_an_end()
        assert with_500 <= with_100 <= 12, (with_100, with_500)  # the runs (4, then 3) and the ended one
        assert not any(t.status is Status.RUNNING for t in map(project.task, names))
        control.cancel(project.store, names)
        for run in list(sched.active.values()):
            sched._on_exit(run)
    finally:
        sched.close()
        if sched.spawner is not None:
            sched.spawner.proc.wait(10)


def test_queued_tasks_stopped_or_cancelled_through_the_engine_never_start_though_an_end_does_not_read_the_queue(
        project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    """`stop` and `cancel` of queued tasks wake the runner (a full look drops them from the queue
    it keeps); one cancelled after that look, its wake not yet heard when a run ends, is seen by
    the end's `stat` of the head of the queue, and the record is read again under the lock
    before any launch."""
    project.layout.settings_file.write_text("max_concurrency: 1\n")
    busy = project.add("busy")
    names = [project.add(f"q{i}") for i in range(4)]
    control.queue(project.store, names, start_runner=False)
    sched = Scheduler(project.layout, NoGpus())
    fifo = wake.open_reader(sched.paths.fifo)
    built: list[str] = []
    real = placement.build_launch

    def counting(store, task, *args, **kwargs):  # the real launch build, counted
        built.append(task.name)
        return real(store, task, *args, **kwargs)

    def hear_wakes() -> bool:
        messages = wake.read_messages(fifo)
        looked = wake.looked_at(messages)
        if looked is None:
            sched.request_full_scan()
        else:
            sched.look_first(looked)
        return bool(messages)

    async def passes() -> None:
        sched.loop = asyncio.get_running_loop()
        _adopt(sched, project, [busy])
        sched.tick()  # the first pass: nothing starts (busy holds the slot)
        assert [t.name for t in sched._waiting] == names
        control.stop(project.store, [names[0]], start_runner=False)
        control.cancel(project.store, [names[1]])
        assert hear_wakes()  # the runner was told
        sched.tick()
        assert [t.name for t in sched._waiting] == names[2:] and sched.queued == 2
        control.cancel(project.store, [names[2]])  # its wake not heard yet when the run ends
        monkeypatch.setattr(placement, "build_launch", counting)
        sched._on_exit(sched.active[busy])
        assert built == [names[3]] and set(sched.active) == {names[3]}
        deadline = time.monotonic() + 30
        while names[3] in sched.active or sched._ends:
            assert time.monotonic() < deadline, "the started task did not end"
            await asyncio.sleep(0.01)
        sched.tick()

    try:
        asyncio.run(passes())
    finally:
        os.close(fifo)
        sched.close()
        if sched.spawner is not None:
            sched.spawner.proc.wait(10)
    for name in names[:3]:
        assert project.task(name).status is Status.PENDING and not project.task(name).runs
    assert project.task(names[3]).status is Status.COMPLETED
