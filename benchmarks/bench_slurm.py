"""Slurm executor benchmarks on a real cluster (`.ci/backends/slurm-up.sh`, SLURM_CONF set):
submit -> all N tasks started (one sbatch), and the runner's polling cost with 1,000 tasks
pending in the queue (one squeue per poll, whatever the number of tasks).

Run: .venv/bin/python benchmarks/bench_slurm.py [--tasks 20] [--queued 1000] [--polls 10]
Prints a table; not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from pyruns_tui.runner import client, control
from pyruns_tui.runner.slurm import commands
from pyruns_tui.runner.slurm.submit import load_all, slurm_dir
from pyruns_tui.workspace.bootstrap import init_shell_workspace
from pyruns_tui.workspace.store import NewTask, TaskStore

SETTINGS = "max_concurrency: {jobs}\nrunner_idle_exit_s: 30\nstop_grace_s: 1\nexecutor: slurm\nslurm: {{gpus_per_task: 0}}\n"


def workspace(root: Path, count: int, code: str, jobs: int) -> TaskStore:
    root.mkdir(parents=True)
    layout = init_shell_workspace(root)
    layout.settings_file.write_text(SETTINGS.format(jobs=jobs))
    store = TaskStore(layout)
    line = f"exec {shlex.quote(sys.executable)} -c {shlex.quote(code)}"
    store.create_tasks([NewTask(f"t{i}", {}, command=line) for i in range(count)], task_kind="shell", script=None)
    return store


def started_all(store: TaskStore, names: list[str], jobs: int) -> dict[str, float]:
    t0 = time.time()
    control.queue(store, names)
    control.wait_submitted(store, names)
    submitted = time.time() - t0
    control.wait(store, names, timeout_s=600)
    starts = []
    for name in names:
        index = store.get(name).last_run.index
        record = store.layout.run_log(name, index).with_name(f"run{index}.exit.json")
        starts.append(json.loads(record.read_text())["started_at"])
    return {"sbatch_s": submitted, "first_start_s": min(starts) - t0, "all_started_s": max(starts) - t0,
            "all_recorded_s": time.time() - t0}


def poll_cost(store: TaskStore, names: list[str], polls: int) -> dict[str, float]:
    control.queue(store, names, executor=control.Executor("slurm", sbatch_args=("--hold",)))
    control.wait_submitted(store, names, timeout_s=300)
    pid = client.runner_info(store.layout).pid
    proc = psutil.Process(pid)
    status = slurm_dir(store.layout) / "status.json"
    stamps: list[str] = []
    cpu0 = sum(proc.cpu_times()[:2])
    while len(stamps) < polls + 1:
        stamp = json.loads(status.read_text())["polled_at"] if status.exists() else ""
        if not stamps or stamp != stamps[-1]:
            stamps.append(stamp)
            if len(stamps) == 1:
                cpu0 = sum(proc.cpu_times()[:2])
        time.sleep(0.02)
    cpu = sum(proc.cpu_times()[:2]) - cpu0
    walls = []
    for _ in range(polls):
        t = time.perf_counter()
        rows = commands.squeue()
        walls.append(time.perf_counter() - t)
    for sub in load_all(store.layout):
        subprocess.run(["scancel", sub.job_id], capture_output=True)
    return {"rows": len(rows), "squeue_wall_ms": statistics.median(walls) * 1000, "runner_cpu_ms_per_poll": cpu / polls * 1000}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=20)
    parser.add_argument("--queued", type=int, default=1000)
    parser.add_argument("--polls", type=int, default=10)
    args = parser.parse_args()
    os.environ.setdefault("PYRUNS_TUI_SLURM_POLL_MAX_S", "1")
    with tempfile.TemporaryDirectory(prefix="bench-slurm-") as tmp:
        store = workspace(Path(tmp) / "start", args.tasks, "import time; time.sleep(0.2)", args.tasks)
        names = [t.name for t in store.scan()]
        started = started_all(store, names, args.tasks)
        client.stop_runner(store.layout)
        print(f"## Submit -> started: {args.tasks} tasks x 0.2 s, --array=0-{args.tasks - 1}%{args.tasks}")
        for key, value in started.items():
            print(f"| {key} | {value:.2f} |")
        store = workspace(Path(tmp) / "poll", args.queued, "pass", 4)
        cost = poll_cost(store, [t.name for t in store.scan()], args.polls)
        client.stop_runner(store.layout)
        print(f"## Polling with {args.queued} tasks pending (held), {args.polls} polls")
        for key, value in cost.items():
            print(f"| {key} | {value:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
