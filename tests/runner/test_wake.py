"""The wake-up channel: `look` names the tasks a client just queued, so the runner starts them
before its look at every task (~0.7 s in a 100,000-task workspace)."""

from __future__ import annotations

import asyncio
import os
import select
import threading
import time
from pathlib import Path

import pytest

from pyruns_tui.runner import control, wake
from pyruns_tui.runner.daemon import scheduler as scheduler_module
from pyruns_tui.runner.daemon.scheduler import Scheduler
from pyruns_tui.runner.gpus import NoGpus
from pyruns_tui.workspace.model import Status
from pyruns_tui.workspace.store import NewTask
from tests.runner.harness import Project
from tests.waiting import wait_until


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


def test_a_wake_up_is_never_written_through_a_symlink_or_into_a_file_or_folder(tmp_path: Path) -> None:
    """Something else than a FIFO at the path: no runner woken (False), nothing written, no error."""
    outside = tmp_path / "outside"
    outside.write_text("keep me\n")
    (tmp_path / "link.fifo").symlink_to(outside)
    (tmp_path / "dangling.fifo").symlink_to(tmp_path / "nothing")
    (tmp_path / "file.fifo").write_text("mine\n")
    (tmp_path / "dir.fifo").mkdir()
    for name in ("link.fifo", "dangling.fifo", "file.fifo", "dir.fifo", "missing.fifo"):
        assert wake.send(tmp_path / name) is False, name
    assert outside.read_text() == "keep me\n" and (tmp_path / "file.fifo").read_text() == "mine\n"
    assert not (tmp_path / "nothing").exists()
    assert [wake.stand_in(tmp_path / name) for name in ("link.fifo", "file.fifo", "dir.fifo", "missing.fifo")] == [
        "a symlink", "a regular file", "a directory", None]


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


# Waiters: the runner pokes the FIFO of each client that waits for tasks after a pass that ended
# a run or took a task out of the queue, so `wait` need not find the end at its next poll.

def waiters_dir(root: Path) -> Path:
    runner = root / ".runner"
    runner.mkdir(mode=0o700, exist_ok=True)
    return runner / "waiters"


def readable(fd: int) -> bool:
    return bool(select.select([fd], [], [], 0)[0])


def test_a_poked_waiter_wakes_and_leaves_no_fifo_behind(tmp_path: Path) -> None:
    directory = waiters_dir(tmp_path)
    with wake.Waiter(directory) as waiter:
        assert waiter.fd is not None and not readable(waiter.fd)
        assert [p.suffix for p in directory.iterdir()] == [".fifo"]
        wake.poke_waiters(directory)
        wake.poke_waiters(directory)
        assert readable(waiter.fd)
        started = time.monotonic()
        waiter.pause(3600, 3600)  # returns at once: poked
        assert time.monotonic() - started < 60
        assert not readable(waiter.fd)  # both pokes read
    assert list(directory.iterdir()) == []


def test_pokes_go_only_into_fifos_and_only_stale_ones_are_removed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    directory = waiters_dir(tmp_path)
    directory.mkdir(mode=0o700)
    outside = tmp_path / "outside.txt"
    outside.write_text("theirs")
    (directory / "file.fifo").write_text("mine")
    (directory / "link.fifo").symlink_to(outside)
    os.mkfifo(directory / "nobody.fifo", 0o600)  # a waiter killed -9 left it
    os.mkfifo(directory / "other.tmp", 0o600)  # not a waiter's name
    wake.poke_waiters(directory)
    assert (directory / "nobody.fifo").exists()  # too recent to be called stale
    monkeypatch.setattr(wake, "STALE_WAITER_S", -1.0)
    with wake.Waiter(directory) as waiter:
        assert waiter.fd is not None
        wake.poke_waiters(directory)
        assert readable(waiter.fd)
        left = {p.name for p in directory.iterdir()} - {"file.fifo", "link.fifo", "other.tmp"}
        assert len(left) == 1 and left.pop().startswith(f"{os.getpid()}.")  # the stale one removed, ours kept
    assert (directory / "file.fifo").read_text() == "mine" and outside.read_text() == "theirs"


@pytest.mark.parametrize("where", ["runner", "waiters"])
def test_a_symlink_in_place_of_the_runner_or_waiters_folder_is_not_followed(tmp_path: Path, where: str) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "ws"
    root.mkdir()
    if where == "runner":
        (root / ".runner").symlink_to(outside)
    else:
        (root / ".runner").mkdir()
        (root / ".runner" / "waiters").symlink_to(outside)
    directory = root / ".runner" / "waiters"
    with wake.Waiter(directory) as waiter:
        assert waiter.fd is None  # it polls instead, at the shorter interval
        started = time.monotonic()
        waiter.pause(3600, 0.01)
        assert 0.01 <= time.monotonic() - started < 60
    wake.poke_waiters(directory)
    assert list(outside.iterdir()) == []


def test_wait_returns_on_the_runners_poke_not_at_its_next_poll(project: Project) -> None:
    code, release = project.gate("a")
    name = project.add("a", code)
    busy_code, release_busy = project.gate("busy")  # keeps the runner from its idle exit (which pokes too)
    busy = project.add("busy", busy_code)
    control.queue(project.store, [name, busy])
    wait_until(lambda: all(project.task(n).status is Status.RUNNING for n in (name, busy)), what="the tasks running")
    result: dict[str, object] = {}
    waiting = threading.Thread(target=lambda: result.update(project.wait(name)), daemon=True)
    directory = project.runner_paths.waiters_dir
    poll, control.POKED_POLL_S = control.POKED_POLL_S, 3600.0  # its next poll would come in an hour
    try:
        waiting.start()
        wait_until(lambda: directory.is_dir() and any(p.suffix == ".fifo" for p in directory.iterdir()),
                   what="the waiter's FIFO")
        release()
        waiting.join(60)
    finally:
        control.POKED_POLL_S = poll  # (the thread, if still asleep, is left behind: a daemon)
        release()
        release_busy()
    assert not waiting.is_alive(), "wait was not woken by the runner"
    assert result[name].status is Status.COMPLETED, project.explain(name)  # type: ignore[attr-defined]
    assert list(directory.iterdir()) == []


def test_a_slurm_record_leaving_the_queue_pokes_the_waiters_too(project: Project) -> None:
    name = project.add("s")
    control.queue(project.store, [name], start_runner=False)
    sched = Scheduler(project.layout, NoGpus())
    try:
        with wake.Waiter(project.runner_paths.waiters_dir) as waiter:
            assert waiter.fd is not None
            sched.slurm.update(name, lambda t: setattr(t, "priority", 3))  # still queued: no poke
            sched.poke_waiters()
            assert not readable(waiter.fd)
            sched.slurm.update(name, lambda t: t.set_status(Status.FAILED, "sbatch refused it"))
            sched.poke_waiters()
            assert readable(waiter.fd)
    finally:
        sched.close()
        if sched.spawner is not None:
            sched.spawner.proc.wait(10)
