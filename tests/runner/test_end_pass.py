"""The runner's pass after a run ended: it looks at the running tasks and at the head of the queue
it keeps, not at every queued task (with 10,000 queued, each end cost ~14 ms of the runner's CPU
against ~3.5 ms with 200); what it no longer reads is still never started once stopped."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Iterator

import pytest

from pyruns_tui.runner import control, wake
from pyruns_tui.runner.daemon import placement
from pyruns_tui.runner.daemon import scheduler as scheduler_module
from pyruns_tui.runner.daemon import state as state_module
from pyruns_tui.runner.daemon.runs import ActiveRun
from pyruns_tui.runner.daemon.scheduler import Scheduler
from pyruns_tui.runner.gpus import FakeGpus, NoGpus
from pyruns_tui.workspace import store as store_module
from pyruns_tui.workspace.model import Run, Status, Task
from pyruns_tui.workspace.store import NewTask
from tests.runner.harness import Project, py


def _running(task: Task) -> None:
    task.runs.append(Run(index=1, status=Status.RUNNING, start="2026-01-01T00:00:00.000+00:00"))
    task.set_status(Status.QUEUED)
    task.set_status(Status.RUNNING)


def _adopt(sched: Scheduler, project: Project, names: list[str], gpus: tuple[int, ...] = ()) -> None:
    """`names` become runs this scheduler watches (records say running; no process: each one's
    end is a lost run), each on `gpus`."""
    for name in names:
        project.store.update(name, _running)
        sched.active[name] = ActiveRun(name, 1, gpus, sched.paths.run_state(name, 1), 0)


def _made(project: Project, prefix: str, count: int) -> list[str]:
    """`count` no-op tasks, made at once."""
    new = [NewTask(f"{prefix}{i:04d}", {}, command=py("pass")) for i in range(count)]
    return [t.name for t in project.store.create_tasks(new, task_kind="shell", script=None)]


@contextlib.contextmanager
def _task_files_looked_at(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The task files `stat`ed or read by the scheduler meanwhile (the real calls, counted)."""
    looked: list[str] = []

    def counted(real):
        def call(path):
            if str(path).endswith("task_info.json"):
                looked.append(str(path))
            return real(path)
        return call

    with monkeypatch.context() as m:
        m.setattr(scheduler_module, "stat_key", counted(scheduler_module.stat_key))
        m.setattr(state_module, "stat_key", counted(state_module.stat_key))
        m.setattr(store_module, "_read_json", counted(store_module._read_json))
        yield looked


def _close(sched: Scheduler, project: Project, queued: list[str]) -> None:
    """Take `queued` out of the queue (those not started), end the runs this scheduler still watches, and close it."""
    control.cancel(project.store, queued)
    sched.loop = None  # (the test's loop is closed: each end is written at once)
    for run in list(sched.active.values()):
        sched._on_exit(run)
    sched.close()
    if sched.spawner is not None:
        sched.spawner.proc.wait(10)
    if sched.spawner is not None:
        sched.spawner.proc.wait(10)


async def _until_ended(sched: Scheduler, names: list[str]) -> None:
    """Until the runs of `names` this scheduler started ended and their records are written."""
    deadline = time.monotonic() + 60
    while any(name in sched.active for name in names) or sched._ends:
        assert time.monotonic() < deadline, f"{names} did not end"
        await asyncio.sleep(0.01)


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


# -j 8 on a machine with 2 GPUs, each task asking for one: GPU tasks start in order, so once one
# must wait none behind it can start; slots stay free for the tasks that need no GPU. A run's end
# walked the whole queue looking for one (a `stat` of each of 10,000 queued GPU tasks at every end).

def test_with_the_gpus_taken_a_runs_end_looks_at_as_many_task_files_with_1000_gpu_tasks_queued_as_with_100(
        project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    project.layout.settings_file.write_text("max_concurrency: 8\n")
    on_gpus = [project.add("gpu-a"), project.add("gpu-b")]
    ending = [project.add("cpu-a"), project.add("cpu-b")]
    queued = _made(project, "g", 1000)
    control.queue(project.store, queued[:100], start_runner=False)
    sched = Scheduler(project.layout, FakeGpus(2))

    def files_looked_at_by_an_end(run: str) -> int:
        sched.request_full_scan()
        sched.tick()  # a full pass: every task read; nothing starts (both GPUs are taken)
        assert sched.queued == len([t for t in project.store.scan() if t.status is Status.QUEUED])
        with _task_files_looked_at(monkeypatch) as looked:
            sched._on_exit(sched.active[run])  # a run that used no GPU ends (no loop: its record is written at once)
            sched.tick()  # and the pass after it
        return len(looked)

    try:
        _adopt(sched, project, on_gpus[:1], (0,))
        _adopt(sched, project, on_gpus[1:], (1,))
        _adopt(sched, project, ending)
        with_100 = files_looked_at_by_an_end(ending[0])
        control.queue(project.store, queued[100:], start_runner=False)
        with_1000 = files_looked_at_by_an_end(ending[1])
        # the runs, the ended one, and the head of the queue: the first tasks (as many as the free
        # slots, one more at the second end) get the reason; none behind them is looked at
        assert with_100 <= 40 and with_1000 <= with_100 + 1, (with_100, with_1000)
        tasks = [project.task(name) for name in queued]
        assert all(t.status is Status.QUEUED for t in tasks)
        assert [t.reason for t in tasks[:8]] == ["waiting for 1 GPU"] * 6 + [None] * 2
        assert [t.name for t in sched._waiting] == queued
    finally:
        _close(sched, project, queued)


def test_a_task_that_needs_no_gpu_and_a_forced_one_queued_behind_1000_waiting_gpu_tasks_start_at_once(
        project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    """...by the pass that puts them in the queue (the one after `run`'s wake), which looks at the
    head of the queue and at them, not at every GPU task between."""
    project.layout.settings_file.write_text("max_concurrency: 8\n")
    on_gpus = [project.add("gpu-a"), project.add("gpu-b")]
    queued = _made(project, "g", 1000)
    control.queue(project.store, queued, start_runner=False)
    cpu, forced = project.add("cpu"), project.add("forced")
    sched = Scheduler(project.layout, FakeGpus(2))

    async def passes() -> None:
        sched.loop = asyncio.get_running_loop()
        _adopt(sched, project, on_gpus[:1], (0,))
        _adopt(sched, project, on_gpus[1:], (1,))
        sched.tick()  # the first pass: nothing starts
        assert sched.queued == 1000 and set(sched.active) == set(on_gpus)
        control.queue(project.store, [cpu], gpus=0, start_runner=False)
        control.force_start(project.store, [forced], start_runner=False)
        sched.look_first([cpu, forced])  # as the wake of `run` asks
        with _task_files_looked_at(monkeypatch) as looked:
            sched.tick()
        assert set(sched.active) == {*on_gpus, cpu, forced}
        assert len(looked) <= 40, len(looked)
        await _until_ended(sched, [cpu, forced])
        sched.tick()

    try:
        asyncio.run(passes())
        assert project.task(cpu).status is Status.COMPLETED and project.task(cpu).runs[0].gpus == []
        assert project.task(forced).status is Status.COMPLETED and project.task(forced).runs[0].gpus in ([0], [1])
        assert all(project.task(name).status is Status.QUEUED for name in queued)
    finally:
        _close(sched, project, [*queued, cpu, forced])


def test_tasks_the_settings_no_longer_give_a_gpu_start_at_the_next_end_though_gpu_tasks_wait_before_them(
        project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    """`gpus_per_task: 0` written while 1,000 tasks asking for a GPU (`run --gpus 1`) wait before
    3 that ask for the default: those 3 need no GPU now, and the next run's end starts them."""
    project.layout.settings_file.write_text("max_concurrency: 8\n")
    on_gpus = [project.add("gpu-a"), project.add("gpu-b")]
    ending = project.add("cpu-a")
    queued = _made(project, "g", 1000)
    control.queue(project.store, queued, gpus=1, start_runner=False)
    default = _made(project, "d", 3)
    control.queue(project.store, default, start_runner=False)
    sched = Scheduler(project.layout, FakeGpus(2))

    async def passes() -> None:
        sched.loop = asyncio.get_running_loop()
        _adopt(sched, project, on_gpus[:1], (0,))
        _adopt(sched, project, on_gpus[1:], (1,))
        _adopt(sched, project, [ending])
        sched.tick()  # the first pass: nothing starts
        assert sched.queued == 1003 and set(sched.active) == {*on_gpus, ending}
        project.layout.settings_file.write_text("max_concurrency: 8\ngpus_per_task: 0\n")
        with _task_files_looked_at(monkeypatch) as looked:
            sched._on_exit(sched.active[ending])
            sched.tick()  # the pass after it reads the settings
        assert set(sched.active) == {*on_gpus, *default}
        assert len(looked) <= 40, len(looked)
        await _until_ended(sched, default)
        sched.tick()

    try:
        asyncio.run(passes())
        for name in default:
            assert project.task(name).status is Status.COMPLETED and project.task(name).runs[-1].gpus == []
        assert all(project.task(name).status is Status.QUEUED for name in queued)
    finally:
        _close(sched, project, [*queued, *default])
