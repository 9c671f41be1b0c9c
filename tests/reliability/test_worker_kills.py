"""Pooled supervisor workers killed with SIGKILL at random instants while a queue is worked.

A worker supervises one run at a time and goes back to the spawner's pool after it (spawner.py).
Killing one must cost at most the run it held at that instant (recorded `runner lost`), never
another run, never a log byte of a completed run; a killed idle worker costs nothing, and the
pool goes on with new workers. Every task ends completed or failed, none stays running.
"""

from __future__ import annotations

import os
import random
import signal
import sys
import time

import psutil
import pytest

from pyruns_tui.runner import control
from pyruns_tui.runner.daemon.spawner import SpawnerClient
from pyruns_tui.workspace.model import Status
from tests.reliability.harness import printing_log, printing_program, wait_until
from tests.runner.harness import Project

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not SpawnerClient.available(), reason="the worker pool needs Linux")]

TASKS = 40
KILLS = 12
LINES = 4
SEED = int(os.environ.get("RELIABILITY_SEED", "20261205"))


def workers(project: Project) -> list[psutil.Process]:
    runner = psutil.Process(project.runner_pid())
    spawners = [p for p in runner.children() if any(a.endswith("spawner.py") for a in p.cmdline())]
    assert len(spawners) == 1, "the runner has no spawner"
    return [p for p in spawners[0].children() if p.status() != psutil.STATUS_ZOMBIE]


def test_sigkill_of_workers_at_random_points_costs_at_most_their_own_run(project: Project) -> None:
    rng = random.Random(SEED)
    names = [project.add(f"w{i:02d}", printing_program(f"w{i:02d}", rng.choice([0.01, 0.03, 0.08]), LINES)) for i in range(TASKS)]
    control.queue(project.store, names)
    wait_until(lambda: workers(project), 15, "a worker")
    killed = 0
    for _ in range(KILLS):
        time.sleep(rng.uniform(0.0, 0.25))
        alive = workers(project)
        if not alive:
            continue
        victim = rng.choice(alive)
        victim.send_signal(signal.SIGKILL)
        killed += 1
    final = control.wait(project.store, names, timeout_s=120)

    lost = []
    for name, task in final.items():
        assert task.status in (Status.COMPLETED, Status.FAILED), (name, task.status, task.reason)
        assert [r.index for r in task.runs] == [1], (name, [r.index for r in task.runs])
        run = task.runs[0]
        data = project.log(name)
        if run.status is Status.COMPLETED:
            assert run.exit_code == 0 and data == printing_log(name, LINES), (name, data[-200:])
        else:
            assert (run.reason or "").startswith("runner lost"), project.explain(name)
            assert printing_log(name, LINES).startswith(data), (name, data[-200:])
            lost.append(name)
    assert len(lost) <= killed, (lost, killed)
    assert killed >= KILLS // 2, f"only {killed} kills: the queue ran out first"
    # the pool went on after the kills: a run started now is supervised and completes
    after = project.add("after", "print('after')")
    control.queue(project.store, [after])
    assert project.wait(after)[after].status is Status.COMPLETED, project.explain(after)
    assert project.log(after) == b"after\n"
    runner_log = (project.layout.runner_dir / "runner.log").read_text()
    assert "spawner:" not in runner_log, "a kill made the runner start a supervisor itself"
    started = [line for line in runner_log.splitlines() if "after: run 1 started (supervisor " in line]
    assert len(started) == 1, started
    supervisor = int(started[0].split("(supervisor ")[1].split(",")[0])
    assert supervisor in {w.pid for w in workers(project)}, "the last run was not supervised by a pooled worker"
    print(f"seed {SEED}: {killed} workers killed, runs lost: {lost}", file=sys.stderr)
