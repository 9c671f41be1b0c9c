"""The runner's CPU per finished task against the number of tasks queued behind (issue 21,
session 27): N no-op tasks queued at -j 8, the runner's own CPU (utime + stime from
/proc/PID/stat) and the wall time over a window of ends once the queue is written, per end.
Before the fix every end re-read every queued task (~3.5 ms of the runner's CPU per task with
200 queued, ~14 ms with 10,000).

Run: .venv/bin/python benchmarks/bench_queue_depth.py [--queued 200 2000 10000] [--jobs 8]
         [--window 300] [--repeats 3] [--other /path/to/old/checkout ...] [--root DIR] [--gpu-blocked]
Each (checkout, N) has its workspace of N tasks, made once; a sample starts its runner, queues
all N (`pyr-tui run -j 8 BATCH`: finished ones run again), waits for the queue command to return
and 10 more ends, then measures the next `--window` ends (fewer where N is small: the window
ends 20 tasks before the queue does), then stops the batch and the runner. Ends are counted from
the runner log's "run N completed" lines. Samples are interleaved (checkouts, then depths, then
repeats), so a busy machine weighs on every row alike; the runner's CPU per end is the
load-proof number, tasks/s follows the load. Linux only; not a test.

With --gpu-blocked (issue 21, session 29) the N tasks ask for a GPU each on 2 fake GPUs that are
both busy (PYRUNS_TUI_FAKE_GPUS=2, PYRUNS_TUI_FAKE_GPUS_BUSY=0,1: none of them can start) and a
second batch of window + 40 no-op tasks that need no GPU (`run --gpus 0`) is queued behind them:
the ends measured are theirs, each with the N GPU tasks waiting before it (before the fix each end
`stat`ed every one of them).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_batch import Ours, checkouts

POLL_S = 0.02


def runner_cpu_s(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Ends:
    """The ends of runs the runner logged since this was made (its log read as it grows)."""

    def __init__(self, log: Path) -> None:
        self.fh = open(log, "rb")  # noqa: SIM115 - closed by close()
        self.fh.seek(0, os.SEEK_END)
        self.count = 0
        self._rest = b""

    def poll(self) -> int:
        data = self._rest + self.fh.read()
        lines = data.split(b"\n")
        self._rest = lines.pop()
        self.count += sum(1 for line in lines if b" completed" in line and b": run " in line)
        return self.count

    def until(self, count: int, timeout_s: float = 600.0) -> None:
        deadline = time.monotonic() + timeout_s
        while self.poll() < count:
            if time.monotonic() > deadline:
                raise SystemExit(f"only {self.count} ends of {count} within {timeout_s:g} s")
            time.sleep(POLL_S)

    def close(self) -> None:
        self.fh.close()


class Depth:
    """One checkout's workspace with `queued` tasks (one batch)."""

    def __init__(self, ours: Ours, queued: int, cpu_tasks: int = 0) -> None:
        """With `cpu_tasks`, the `queued` tasks ask for GPUs that are busy (--gpu-blocked) and the
        ends measured are those of a batch of `cpu_tasks` that need none, queued behind them."""
        self.ours, self.queued, self.cpu_tasks = ours, queued, cpu_tasks
        self.batch = f"q{queued}"
        self.cpu_batch = f"c{queued}"
        settings = ours.root / "_pyruns_" / "_pyruns_settings.yaml"
        if queued > 10000 and f"max_tasks: {queued}" not in settings.read_text():  # (a batch's default limit)
            with settings.open("a") as fh:
                fh.write(f"\nmax_tasks: {queued}\n")
        for batch, count in ((self.batch, queued), (self.cpu_batch, cpu_tasks)):
            if count:
                (ours.root / f"{batch}.yaml").write_text(f"i: 0:{count}\n")
                ours.cmd("gen", f"{batch}.yaml", "-n", batch, "--json")

    def sample(self, jobs: int, window: int) -> tuple[float, float, int]:
        """(runner CPU s, wall s, ends) over the measured window."""
        o = self.ours
        o.cmd("runner", "start")
        status = json.loads(o.cmd("runner", "status", "--json"))
        runner = status["runner"]["pid"]
        ends = Ends(Path(status["log"]))
        try:
            o.cmd("run", "-j", str(jobs), self.batch)  # returns once the whole queue is written
            measured = self.queued
            if self.cpu_tasks:  # the GPU tasks wait; these run, queued behind them
                o.cmd("run", "-j", str(jobs), "--gpus", "0", self.cpu_batch)
                measured = self.cpu_tasks
            begin = ends.poll() + 10
            count = max(10, min(window, measured - begin - 20))
            ends.until(begin)
            cpu0, wall0 = runner_cpu_s(runner), time.perf_counter()
            ends.until(begin + count)
            cpu, wall = runner_cpu_s(runner) - cpu0, time.perf_counter() - wall0
            done = ends.count - begin  # (a few more may have been read with the last one)
        finally:
            ends.close()
            for batch in (self.batch, self.cpu_batch) if self.cpu_tasks else (self.batch,):
                subprocess.run([sys.executable, "-m", "pyruns_tui", "stop", batch], cwd=o.root, env=o.env,
                               capture_output=True)
            o.cmd("runner", "stop")
        return cpu, wall, done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--queued", type=int, nargs="+", default=[200, 2000, 10000])
    parser.add_argument("--jobs", type=int, default=8)
    parser.add_argument("--window", type=int, default=300, help="ends measured per sample")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--other", action="append", default=[], type=Path, metavar="CHECKOUT",
                        help="another checkout of pyruns-tui to measure alongside this one")
    parser.add_argument("--root", type=Path, help="scratch folder (default: a new one in the temp folder)")
    parser.add_argument("--gpu-blocked", action="store_true",
                        help="the queued tasks wait for 2 busy fake GPUs; the ends measured are of tasks needing none")
    args = parser.parse_args()
    scratch = args.root or Path(tempfile.mkdtemp(prefix="bench_queue_depth-"))
    ours = checkouts(scratch, args.other, 0.0)
    if args.gpu_blocked:
        for o in ours:
            o.env.update({"PYRUNS_TUI_FAKE_GPUS": "2", "PYRUNS_TUI_FAKE_GPUS_BUSY": "0,1"})
    cpu_tasks = args.window + 40 if args.gpu_blocked else 0
    depths = [Depth(o, n, cpu_tasks) for n in args.queued for o in ours]
    samples: dict[tuple[str, int], list[tuple[float, float, int]]] = {(d.ours.label, d.queued): [] for d in depths}
    loads = [os.getloadavg()[0]]
    try:
        for _ in range(args.repeats):
            for d in depths:
                samples[(d.ours.label, d.queued)].append(d.sample(args.jobs, args.window))
                loads.append(os.getloadavg()[0])
    finally:
        if args.root is None:
            shutil.rmtree(scratch, ignore_errors=True)
    if args.gpu_blocked:
        print(f"the queued tasks wait for 2 busy fake GPUs; {cpu_tasks} no-op tasks needing none run behind them")
    print(f"no-op tasks at -j {args.jobs}, {args.repeats} interleaved samples, {os.cpu_count()} CPUs, "
          f"load average (1 min) {min(loads):.1f}-{max(loads):.1f} during")
    print(f"| {'what':<40} | {'queued':>7} | {'ends':>5} | {'runner CPU ms/task':>18} | {'tasks/s':>7} | samples ms/task")
    print(f"|{'-' * 42}|{'-' * 9}|{'-' * 7}|{'-' * 20}|{'-' * 9}|-")
    for (label, queued), runs in samples.items():
        per_task = [cpu / done * 1000 for cpu, _, done in runs]
        rate = statistics.median(done / wall for _, wall, done in runs)
        print(f"| {label:<40} | {queued:>7} | {runs[0][2]:>5} | {statistics.median(per_task):>18.2f} | {rate:>7.1f} | "
              + " ".join(f"{x:.2f}" for x in per_task))


if __name__ == "__main__":
    main()
