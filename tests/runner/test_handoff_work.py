"""The runner's own work when a run ends and the next queued task starts (issue 21, item 1: in a
batch of no-op tasks the runner's system calls per task are its CPU): the writes of one turn of
the loop share one hold of the workspace lock and one append to the scan index, a queued task's
record unchanged since the runner read it is not read again under the lock (one edited is), and
a pass stats each running task's record once."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import time
from collections.abc import Iterator

import pytest

from pyruns_tui.runner import control
from pyruns_tui.runner.daemon import placement
from pyruns_tui.runner.daemon import scheduler as scheduler_module
from pyruns_tui.runner.daemon import state as state_module
from pyruns_tui.runner.daemon.runs import ActiveRun
from pyruns_tui.runner.daemon.scheduler import Scheduler
from pyruns_tui.runner.gpus import NoGpus
from pyruns_tui.workspace import fsio
from pyruns_tui.workspace import store as store_module
from pyruns_tui.workspace.fsio import atomic_write_json, read_json
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


async def _turns(sched: Scheduler) -> None:
    """The turn of the loop in which a run's end is heard, and those until its record is written."""
    await asyncio.sleep(0)
    while sched._ends:
        await asyncio.sleep(0)


@contextlib.contextmanager
def _next_waits_for_busy(project: Project) -> Iterator[tuple[Scheduler, asyncio.AbstractEventLoop, str, str]]:
    """A scheduler with one slot, on a loop of its own: `busy` holds it (a run it watches, with no
    process), `next` is queued and read by a pass (it waits): (the scheduler, its loop, busy, next).
    Closed on exit."""
    project.layout.settings_file.write_text("max_concurrency: 1\n")
    busy, nxt = project.add("busy"), project.add("next")
    control.queue(project.store, [nxt], start_runner=False)
    sched = Scheduler(project.layout, NoGpus())
    loop = asyncio.new_event_loop()
    try:
        sched.loop = loop
        _adopt(sched, project, [busy])
        sched.tick()  # the queue read: nothing starts (busy holds the slot)
        yield sched, loop, busy, nxt
    finally:
        _close(sched)
        loop.close()


def _end(sched: Scheduler, loop: asyncio.AbstractEventLoop, name: str) -> None:
    """Run `name` ends (a lost run) and the loop turns until its record is written."""
    loop.call_soon(sched._on_exit, sched.active[name])
    loop.run_until_complete(_turns(sched))


def test_a_runs_end_and_its_successors_start_are_written_in_one_hold_of_the_lock_successor_first(
        project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    events: list[str] = []
    real_flock, real_append, real_replace = fcntl.flock, store_module.append_rows, os.replace
    real_start = placement.P.start_supervisor

    def flock(fd: int, op: int) -> None:
        if op == fcntl.LOCK_EX:
            events.append("lock")
        real_flock(fd, op)

    def append_rows(snapshot, rows):  # the real append, counted with its rows
        rows = [row for row in rows if row is not None]
        events.append(f"index {len(rows)} rows")
        real_append(snapshot, rows)

    def replace(src, dst, *args, **kwargs):
        if str(dst).endswith("task_info.json"):
            events.append(f"record {os.path.basename(os.path.dirname(dst))}")
        return real_replace(src, dst, *args, **kwargs)

    def start_supervisor(*args, **kwargs):
        events.append(f"spawn {kwargs['task']}")
        return real_start(*args, **kwargs)

    with _next_waits_for_busy(project) as (sched, loop, busy, nxt):
        with monkeypatch.context() as m:
            m.setattr(fsio.fcntl, "flock", flock)
            m.setattr(store_module, "append_rows", append_rows)
            m.setattr(os, "replace", replace)
            m.setattr(placement.P, "start_supervisor", start_supervisor)
            _end(sched, loop, busy)
        # one hold: the successor marked running before its spawn, the end written after it
        assert events == ["lock", f"record {nxt}", f"spawn {nxt}", f"record {busy}", "index 2 rows"], events
        _wait_for_ends(sched, [nxt])
    assert project.task(busy).status is Status.FAILED
    assert project.task(nxt).status is Status.COMPLETED


@pytest.mark.parametrize("edited", [False, True])
def test_a_queued_task_is_read_again_under_the_lock_only_when_its_file_changed_since_the_pass(
        project: Project, monkeypatch: pytest.MonkeyPatch, edited: bool) -> None:
    read: list[str] = []
    real_read, real_build = store_module._read_json, placement.build_launch
    with _next_waits_for_busy(project) as (sched, loop, busy, nxt):
        info = project.layout.task_info(nxt)

        def counted_read(path):  # (busy's record, written by the test, is read to write its end)
            if os.path.basename(os.path.dirname(path)) == nxt:
                read.append(nxt)
            return real_read(path)

        def build_launch(*args, **kwargs):  # a stop by hand after the pass looked at the queue, before the lock
            if edited:
                data = read_json(info)
                data["stop_requested"] = True
                atomic_write_json(info, data)
            return real_build(*args, **kwargs)

        with monkeypatch.context() as m:
            m.setattr(store_module, "_read_json", counted_read)
            m.setattr(placement, "build_launch", build_launch)
            _end(sched, loop, busy)
        if edited:
            assert read == [nxt] and nxt not in sched.active
            assert project.task(nxt).status is Status.QUEUED and not project.task(nxt).runs
        else:
            assert read == [] and nxt in sched.active
            _wait_for_ends(sched, [nxt])
            assert project.task(nxt).status is Status.COMPLETED


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
