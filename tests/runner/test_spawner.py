"""The spawner: the small process that forks every supervisor, so the ~45 MB runner never forks."""

from __future__ import annotations

import os
import select
import signal
import sys
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from pyruns_tui.runner import control
from pyruns_tui.runner.daemon.proc import RunState
from pyruns_tui.runner.daemon.spawner import SpawnerClient, SpawnFailed
from pyruns_tui.workspace.model import Status
from tests.runner.harness import Project, until

pytestmark = pytest.mark.skipif(not SpawnerClient.available(), reason="the spawner needs Linux pidfds")


def spawner_of(runner_pid: int) -> psutil.Process:
    found = [p for p in psutil.Process(runner_pid).children() if any(a.endswith("spawner.py") for a in p.cmdline())]
    assert len(found) == 1, [p.cmdline() for p in psutil.Process(runner_pid).children()]
    return found[0]


def gone(proc: psutil.Process) -> bool:
    try:
        return proc.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def supervisor_of(project: Project, name: str) -> psutil.Process:
    path = project.runner_paths.run_state(name, 1)
    until(lambda: RunState.read(path) is not None, what=f"the supervisor of {name}")
    return psutil.Process(RunState.read(path).supervisor_pid)  # type: ignore[union-attr]


def running_gated(project: Project, name: str) -> tuple[str, Callable[[], None]]:
    """A task that runs until `release()`: queued, and seen running."""
    code, release = project.gate(name)
    task = project.add(name, code)
    control.queue(project.store, [task])
    until(lambda: project.task(task).status is Status.RUNNING, what=f"{name} to run")
    return task, release


def test_supervisors_are_forked_by_the_spawner_not_by_the_runner(project: Project) -> None:
    name, release = running_gated(project, "held")
    runner = project.runner_pid()
    spawner = spawner_of(runner)
    supervisor = supervisor_of(project, name)
    assert supervisor.ppid() == spawner.pid != runner
    control.stop(project.store, [name])  # signalled through the pidfd the spawner handed over
    assert project.wait(name)[name].status is Status.INTERRUPTED
    release()


def test_a_killed_spawner_leaves_the_runner_starting_supervisors_itself(project: Project) -> None:
    first = project.add("first", "print('one')")
    control.queue(project.store, [first])
    assert project.wait(first)[first].status is Status.COMPLETED
    runner = project.runner_pid()
    spawner = spawner_of(runner)
    spawner.kill()
    until(lambda: gone(spawner), what="the killed spawner")  # a zombie until the runner notices
    second, release = running_gated(project, "second")  # started after the spawner died
    assert supervisor_of(project, second).ppid() == runner
    release()
    task = project.wait(second)[second]
    assert task.status is Status.COMPLETED, project.explain(second)
    runner_log = (project.layout.runner_dir / "runner.log").read_text()
    assert "spawner:" in runner_log and "starting the supervisor from the runner" in runner_log


def test_the_spawner_ends_with_its_runner_and_the_task_runs_on(project: Project) -> None:
    name, release = running_gated(project, "survivor")
    runner = project.runner_pid()
    spawner = spawner_of(runner)
    supervisor = supervisor_of(project, name)
    os.kill(runner, signal.SIGKILL)
    until(lambda: gone(spawner), what="the spawner to exit after its runner")
    assert supervisor.is_running()
    release()
    assert project.wait(name)[name].status is Status.COMPLETED  # a new runner adopts the run


def test_the_spawner_protocol(tmp_path: Path) -> None:
    spawner = SpawnerClient()
    try:
        log = tmp_path / "run_logs" / "run1.log"
        log.parent.mkdir()
        state = tmp_path / "state.json"
        spec = {"argv": [sys.executable, "-c", "print('spawned')"], "env": dict(os.environ), "cwd": str(tmp_path),
                "log": str(log), "grace_s": 1, "task": "t", "run": 1}
        pid, pidfd = spawner.spawn(str(state), spec)
        assert pidfd is not None
        assert select.select([pidfd], [], [], 30)[0], "the supervisor did not end"
        os.close(pidfd)
        record = RunState.read(state)
        assert record is not None and record.supervisor_pid == pid and record.exit_code == 0
        assert log.read_bytes() == b"spawned\n"
        assert spawner.sock is not None
        spawner.sock.send(b"not json")
        assert b"error: bad request" in spawner.sock.recv(512)
        with pytest.raises(SpawnFailed, match="too large"):
            spawner.spawn(str(state), dict(spec, env={"X": "x" * (1 << 18)}))
        assert spawner.alive
    finally:
        spawner.close()
    assert spawner.proc.wait(10) == 0  # it read the end of the socket and exited
    assert not spawner.alive
    with pytest.raises(SpawnFailed, match="closed"):
        spawner.spawn("x", {})


def test_a_launch_too_large_for_the_spawner_is_started_by_the_runner(project: Project) -> None:
    # an environment over the spawner's message size, each value under the kernel's 128 KiB per
    # string; long values also once made the runner's secret redaction take quadratic time (a hang)
    big = "".join(f"  BIG{i}: {'x' * 130_000}\n" for i in range(5))
    project.layout.settings_file.write_text(project.layout.settings_file.read_text() + f"env:\n{big}")
    code = "import os; print(sum(len(os.environ[f'BIG{i}']) for i in range(5)))"
    names = [project.add(f"big{i}", code) for i in range(2)]
    control.queue(project.store, names)
    tasks = project.wait(*names)
    for name in names:
        assert tasks[name].status is Status.COMPLETED, project.explain(name)
        assert project.log(name) == b"650000\n"
    runner_log = (project.layout.runner_dir / "runner.log").read_text()
    assert runner_log.count("too large for it") == 1  # said once, not at every run
    assert spawner_of(project.runner_pid()).is_running()  # still used for the next ordinary launch
