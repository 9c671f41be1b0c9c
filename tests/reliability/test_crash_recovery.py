"""Crash recovery: the runner is killed with SIGKILL 20 times while it works a 50-task queue.

Kill points rotate over three phases of a task's life:
  - `random`: a random instant after the runner (re)started — before a spawn, in the middle of
    a scheduling pass, between marking a run `running` and starting its supervisor;
  - `running`: while tasks are running (their supervisors must carry on alone);
  - `exited`: the runner is frozen (SIGSTOP) until a supervisor has recorded its task's exit
    while task_info.json still says `running`, then killed: the window between a process's exit
    and the state write.
After each kill every task_info.json must parse and every log is remembered; at the end every
task must be finished (completed; a run never handed to a supervisor is `interrupted` and
queued again), none running or queued, none lost, every completed run's log byte-exact, and no
log may have lost bytes it had before any crash.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sys
import time
from pathlib import Path

import pytest

from pyruns_tui.runner import client, control
from pyruns_tui.runner.daemon.proc import RunState
from pyruns_tui.workspace.model import Status
from tests.reliability.harness import printing_log, printing_program, wait_until
from tests.runner.harness import Project

pytestmark = pytest.mark.slow

TASKS = 50
KILLS = 20
LINES = 5
SEED = int(os.environ.get("RELIABILITY_SEED", "20261123"))


def parse_every_task_info(project: Project) -> None:
    for path in project.layout.tasks_dir.glob("*/task_info.json"):
        data = json.loads(path.read_bytes())
        assert data["status"] in {s.value for s in Status}, (path, data["status"])


def remember_logs(project: Project, names: list[str], seen: dict[Path, bytes]) -> None:
    for name in names:
        for path in project.layout.task_dir(name).glob("run_logs/run*.log"):
            seen[path] = path.read_bytes()


def kill_runner(project: Project, pid: int) -> None:
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: not client.runner_alive(project.layout), 10, "the killed runner to release its lock")


def start_runner(project: Project) -> int:
    pid = client.ensure_runner(project.layout)
    client.wake_runner(project.layout)
    if not pid:
        pid = wait_until(lambda: (info := client.runner_info(project.layout)) and info.pid, 10, "runner.json")
    return pid


def an_exit_not_yet_recorded(project: Project) -> bool:
    for state_path in project.runner_paths.runs_dir.glob("*.json"):
        state = RunState.read(state_path)
        if state is not None and state.exited and state.task:
            try:
                task = project.store.get(state.task)
            except Exception:  # noqa: BLE001 - being rewritten; look at the next one
                continue
            if task.status is Status.RUNNING and task.last_run and task.last_run.index == state.run:
                return True
    return False


def test_sigkill_of_the_runner_at_random_points_loses_nothing(project: Project) -> None:
    rng = random.Random(SEED)
    names = [project.add(f"c{i:02d}", printing_program(f"c{i:02d}", rng.choice([0.02, 0.05, 0.1]), LINES))
             for i in range(TASKS)]
    control.queue(project.store, names, start_runner=False)
    seen: dict[Path, bytes] = {}
    phases: list[str] = []
    for kill in range(KILLS):
        pid = start_runner(project)
        phase = ("random", "running", "exited")[kill % 3]
        active = {t.name for t in project.store.scan() if t.status.is_active}
        if len(active) < 4:  # the queue is (nearly) drained before 20 kills: rerun some finished tasks
            # (with a few left, the last could end before the `running` phase below sees it run)
            control.queue(project.store, rng.sample([n for n in names if n not in active], 12), start_runner=False)
            client.wake_runner(project.layout)
        if phase == "random":
            time.sleep(rng.uniform(0.0, 0.4))  # the kill instant itself is what is random here
        elif phase == "running":
            wait_until(lambda: any(t.status is Status.RUNNING for t in project.store.scan()), 15, "a running task")
        else:
            os.kill(pid, signal.SIGSTOP)
            try:
                wait_until(lambda: an_exit_not_yet_recorded(project), 10, "an exit the frozen runner cannot record")
            except AssertionError:
                phase = "exited-none"  # nothing was running when it froze
        phases.append(phase)
        kill_runner(project, pid)
        parse_every_task_info(project)
        remember_logs(project, names, seen)

    start_runner(project)
    final = control.wait(project.store, names, timeout_s=60)

    parse_every_task_info(project)
    assert phases.count("exited") >= 3, phases
    lost = []
    for name, task in final.items():
        assert task.status in (Status.COMPLETED, Status.FAILED), (name, task.status, task.reason)
        assert task.runs, name
        assert task.status is task.runs[-1].status, (name, task.status, task.runs[-1].status)
        for run in task.runs:
            log = project.layout.run_log(name, run.index)
            data = log.read_bytes() if log.exists() else b""
            assert run.status in (Status.COMPLETED, Status.FAILED, Status.INTERRUPTED), (name, run.index, run.status)
            if run.status is Status.INTERRUPTED:  # marked running, never handed to a supervisor
                assert (run.reason or "").startswith("never started"), (name, run.index, run.reason)
                assert not data, (name, run.index, data[-200:])
            elif run.status is Status.COMPLETED:
                assert run.exit_code == 0 and data == printing_log(name, LINES), (name, run.index, data[-200:])
            else:
                assert (run.reason or "").startswith("runner lost"), (name, run.index, run.reason)
                assert printing_log(name, LINES).startswith(data), (name, run.index, data[-200:])
                assert not data.endswith(b" END\n"), f"{name} run {run.index} finished but is marked failed: {run.reason}"
                lost.append(f"{name}#{run.index}")
    for path, before in seen.items():
        assert path.read_bytes().startswith(before), f"{path} lost bytes it had before a crash"
    # a kill between `running` written and a supervisor started loses no run: it is queued again
    assert not lost, (lost, phases)
    print(f"seed {SEED}: phases {phases}", file=sys.stderr)
