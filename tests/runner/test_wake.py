"""The wake-up channel: `look` names the tasks a client just queued, so the runner starts them
before its look at every task (~0.7 s in a 100,000-task workspace)."""

from __future__ import annotations

import asyncio
import os

import pytest

from pyruns_tui.runner import control, wake
from pyruns_tui.runner.daemon import scheduler as scheduler_module
from pyruns_tui.runner.daemon.scheduler import Scheduler
from pyruns_tui.runner.gpus import NoGpus
from pyruns_tui.workspace.model import Status
from pyruns_tui.workspace.store import NewTask
from tests.runner.harness import Project


def test_look_messages_round_trip_through_the_fifo(tmp_path) -> None:
    fifo = tmp_path / "wake.fifo"
    reader = wake.open_reader(fifo)
    try:
        odd = "a b\nc\u00e9"  # a task name may hold spaces, a newline, any letter
        assert wake.send(fifo, wake.look_message(["t1", odd]))
        assert wake.send(fifo, wake.look_message(["t2"]))
        assert wake.looked_at(wake.read_messages(reader)) == ["t1", odd, "t2"]
    finally:
        os.close(reader)


@pytest.mark.parametrize("messages", [
    ["wake"], ['look ["a"]', "wake"], ["look"], ["look {"], ['look {"a": 1}'], ["look [1]"], ['look []'], ["stop"], [],
])
def test_anything_but_look_lines_asks_for_a_look_at_every_task(messages: list[str]) -> None:
    assert wake.looked_at(messages) is None


def test_too_many_names_for_one_atomic_write_become_a_plain_wake() -> None:
    assert wake.look_message([]) == wake.WAKE
    many = [f"task-{i}" for i in range(wake.PIPE_BUF // 8)]
    assert wake.look_message(many) == wake.WAKE
    assert len(wake.look_message(["x" * 200, "y" * 200]).encode()) < wake.PIPE_BUF


def test_tasks_looked_at_start_in_a_pass_that_reads_only_them_then_every_task_is_read(
        project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    names = [t.name for t in project.store.create_tasks([NewTask(f"p{i}", {}, command="true") for i in range(40)],
                                                         task_kind="shell", script=None)]
    sched = Scheduler(project.layout, NoGpus())
    stats: list[str] = []
    counting = scheduler_module.stat_key

    def stat_key(path: str):  # the real stat; task files counted
        if str(path).endswith("task_info.json"):
            stats.append(str(path))
        return counting(path)

    async def passes() -> None:
        sched.loop = asyncio.get_running_loop()
        sched.tick()  # the first pass: every task read
        control.queue(project.store, [names[7]], start_runner=False)
        monkeypatch.setattr(scheduler_module, "stat_key", stat_key)
        sched.look_first([names[7], "../escape", ""])
        sched.tick()
        assert sched.active.keys() == {names[7]}  # started by this pass
        assert len(stats) == 1 and names[7] in stats[0]  # which read that task alone
        assert sched._full  # and left a look at every task for the next one
        stats.clear()
        sched.tick()
        assert len(stats) >= len(names)

    try:
        asyncio.run(passes())
    finally:
        sched.close()
        if sched.spawner is not None:
            sched.spawner.proc.wait(10)
    assert project.wait(names[7])[names[7]].status is Status.COMPLETED
