"""Faults around the runner's own files: `.runner/` deleted under a live runner, a running task's
folder deleted and its name reused, task_info.json emptied while its task runs."""

from __future__ import annotations

import json
import shutil

import psutil

from pyruns_tui.runner import client, control
from pyruns_tui.workspace.model import Status
from tests.conftest import Shown
from tests.runner.harness import Project, until
from tests.waiting import wait_for

PRINT_PID = "import os\nprint('pid', os.getpid())\n"


def runner_processes(project: Project) -> list[int]:
    """Pids of live runners of `project` (supervisors are forks of a runner: left out)."""
    found: dict[int, int] = {}
    for proc in psutil.process_iter():
        try:
            cmd = proc.cmdline()
            if "pyruns_tui.runner.daemon.service" in cmd and str(project.layout.root) in cmd:
                if proc.status() != psutil.STATUS_ZOMBIE:
                    found[proc.pid] = proc.ppid()
        except psutil.Error:
            continue
    return sorted(pid for pid, parent in found.items() if parent not in found)


def test_deleting_the_runner_dir_never_gives_a_second_runner(project: Project) -> None:
    code, release = project.gate("long")
    long = project.add("long", code + "print('long done')\n")
    control.queue(project.store, [long])
    until(lambda: project.task(long).status is Status.RUNNING and project.task(long).last_run.pid,
          what="long to run")
    first = project.runner_pid()
    shutil.rmtree(project.runner_paths.dir)
    other = project.add("other", "print('other done')")
    assert project.cli("run", other) == 0
    assert project.wait(other, timeout=60)[other].status is Status.COMPLETED
    assert runner_processes(project) == [first]
    assert project.task(long).status is Status.RUNNING, project.task(long).reason
    release()
    task = project.wait(long, timeout=60)[long]
    assert task.status is Status.COMPLETED, task.reason
    assert task.last_run is not None and task.last_run.exit_code == 0
    assert project.log(long) == b"long done\n"
    until(lambda: project.runner_paths.fifo.exists(), what="the wake-up FIFO to be made again")


def test_a_recreated_name_of_a_deleted_running_task_waits_and_keeps_its_own_record(project: Project) -> None:
    code, release = project.gate("old")
    name = project.add("same", code + "print('old done')\n")
    control.queue(project.store, [name])
    until(lambda: project.task(name).status is Status.RUNNING and project.task(name).last_run.pid,
          what="the old run's pid")
    old_pid = project.task(name).last_run.pid
    shutil.rmtree(project.layout.task_dir(name))  # deleted by hand while it runs
    assert project.add("same", PRINT_PID) == name
    control.queue(project.store, [name])
    until(lambda: "previous run" in (project.task(name).reason or ""), what="the new task to say why it waits")
    assert project.task(name).status is Status.QUEUED
    release()
    task = project.wait(name, timeout=60)[name]
    assert task.status is Status.COMPLETED, task.reason
    run = task.last_run
    assert run is not None and run.index == 1 and run.pid != old_pid
    assert project.log(name) == f"pid {run.pid}\n".encode()


def test_an_emptied_task_info_is_rebuilt_with_the_run(project: Project) -> None:
    code, release = project.gate("emptied")
    name = project.add("emptied", code + "print('finished')\n")
    project.store.update(name, lambda t: setattr(t, "notes", "keep me"))
    control.queue(project.store, [name])
    until(lambda: project.task(name).status is Status.RUNNING, what="the task to run")
    info = project.layout.task_info(name)
    info.write_bytes(b"")
    until(lambda: info.stat().st_size > 0, what="the runner to rebuild task_info.json")
    assert json.loads(info.read_bytes())["status"] == "running"
    release()
    task = project.wait(name, timeout=60)[name]
    assert task.status is Status.COMPLETED, task.reason
    assert task.notes == "keep me" and task.last_run is not None and task.last_run.exit_code == 0


def test_an_emptied_task_info_is_rebuilt_by_a_new_runner(project: Project) -> None:
    code, release = project.gate("orphan")
    name = project.add("orphan", code + "print('finished')\n")
    control.queue(project.store, [name])
    until(lambda: project.task(name).status is Status.RUNNING, what="the task to run")
    client.stop_runner(project.layout)
    project.layout.task_info(name).write_bytes(b"")
    release()
    until(lambda: project.log(name) == b"finished\n", what="the task to end")
    client.ensure_runner(project.layout)
    until(lambda: project.layout.task_info(name).stat().st_size > 0, what="the new runner to rebuild the record")
    task = project.wait(name, timeout=60)[name]
    assert task.status is Status.COMPLETED, task.reason
    assert task.last_run is not None and task.last_run.index == 1 and task.last_run.exit_code == 0


def test_log_follow_ends_when_the_runner_and_the_supervisor_are_killed(project: Project) -> None:
    import os
    import signal
    import subprocess
    import sys

    from pyruns_tui.runner.daemon.proc import RunState

    code, _release = project.gate("followed")
    name = project.add("followed", "print('started', flush=True)\n" + code)
    control.queue(project.store, [name])
    until(lambda: project.log(name) == b"started\n", what="the task to print")
    follower = subprocess.Popen([sys.executable, "-m", "pyruns_tui", "-C", str(project.dir), "log", "-f", name],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        state = RunState.read(project.runner_paths.run_state(name, 1))
        assert state is not None
        os.kill(project.runner_pid(), signal.SIGKILL)
        os.kill(state.supervisor_pid, signal.SIGKILL)
        out, err = follower.communicate(timeout=60)  # the old code followed forever
    finally:
        if follower.poll() is None:
            follower.kill()
            follower.wait()
    assert follower.returncode in (0, 1) and b"Traceback" not in err, err  # 1: the followed run failed
    assert out.startswith(b"started\n")
    task = project.task(name)
    assert task.status is Status.FAILED and "runner lost" in (task.reason or ""), task.reason


async def test_a_killed_runner_with_tasks_queued_is_said_with_what_to_do(project: Project,
                                                                         notifications: list[Shown]) -> None:
    """kill -9 of the runner while one task runs and two wait: `runner status` said `not running
    (it starts when tasks are queued)` (they were), `ls` only `queued (runner not running)`, and
    the TUI `runner: idle`; nothing started the two. Now each says it and what starts them."""
    import os
    import signal

    from pyruns_tui.tui.app import PyrunsApp
    from tests.reliability.harness import pyr

    project.layout.settings_file.write_text(project.layout.settings_file.read_text().replace(
        "max_concurrency: 4", "max_concurrency: 1"))
    code, release = project.gate("first")
    names = [project.add(f"t{i}", "print('started', flush=True)\n" + code) for i in range(3)]
    control.queue(project.store, names)
    until(lambda: project.log(names[0]) == b"started\n", what="the first task to start")
    app = PyrunsApp(project.layout, start_mode="manager")
    async with app.run_test() as pilot:
        await wait_for(pilot, lambda: app.runner_text == "up", what="runner: up")
        os.kill(project.runner_pid(), signal.SIGKILL)
        await wait_for(pilot, lambda: app.runner_text == "down", what="runner: down")
        assert any(n.title == "Runner stopped" and "`pyr-tui runner start`" in n.message for n in notifications)

    status = pyr(project.dir, "-w", "_shell_", "runner", "status")
    assert status.code == 0, status.err
    assert "runner: not running; 2 tasks wait for a runner: `pyr-tui runner start` starts one" in status.out
    listed = pyr(project.dir, "-w", "_shell_", "ls")
    assert listed.code == 0 and listed.out.count("queued (runner not running)") == 2, listed.out
    assert "2 tasks wait for a runner: `pyr-tui runner start` starts one" in listed.err
    release()
