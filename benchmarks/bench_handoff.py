"""Where the time between two tasks goes: a task's exit to its successor's exec, by segment, for
our runner against `xargs -P`, from the kernel's own tracepoints (`perf record -a`). Also the
first task's exec after the command's, and the command's exit after the last task's. For the
anatomy behind `bench_batch.py`'s figure (issue 21, item 1); not a test.

Run: .venv/bin/python benchmarks/bench_handoff.py [--tasks 40] [--jobs 4] [--sleep 0.2]
         [--repeats 3] [--other /path/to/old/checkout ...]
Linux only, as root (or with system-wide perf allowed), with `perf` on PATH. Each sample is a
fresh batch, as in bench_batch.py, recorded with a handful of tracepoints (a few µs each: the
figures are a little above an unrecorded batch's, ours and xargs' alike).

Segments of one hand-off (ours; medians over every hand-off of every sample):
  exit>idle   the task's exit to its pooled supervisor telling the spawner it is idle (the
              supervisor reaps the task, drains its terminal, writes the run's state file,
              gives back its locks; it closes the runner's channel right after `idle`)
  idle>wake   that to the runner's event loop waking on the closed channel
  wake>send   the runner: reading the state file, choosing the next task, its launch (command
              line, environment), the record marked running, the spec sent to the spawner
  send>recv   the spawner handing the spec to an idle pooled supervisor
  recv>fork   that supervisor's set-up of the run (locks, log, terminal) to its fork
  fork>exec   the child's set-up (session, terminal, signals) to the task's exec
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_batch import add_batch_arguments, checkouts  # noqa: E402  (the same batch and workspaces)

EVENTS = (
    "sched:sched_process_exec", "sched:sched_process_exit", "sched:sched_process_fork",
    "syscalls:sys_enter_sendto", "syscalls:sys_exit_recvmsg", "syscalls:sys_exit_epoll_wait",
)
SEGMENTS = ("exit>idle", "idle>wake", "wake>send", "send>recv", "recv>fork", "fork>exec")
LINE = re.compile(r"^\s*(.+?)\s+(\d+)\s+([\d.]+):\s+(\S+):(?:\s+(.*))?$")


class Event:
    """One traced event; `pid` is the thread's id (a single-threaded process's pid)."""

    __slots__ = ("t", "comm", "pid", "name", "rest")

    def __init__(self, t: float, comm: str, pid: int, name: str, rest: str) -> None:
        self.t, self.comm, self.pid, self.name, self.rest = t, comm, pid, name, rest

    def field(self, key: str) -> int:
        return int(re.search(rf"{key}=(\d+)", self.rest).group(1))  # type: ignore[union-attr]


def record(argv: list[str], cwd: Path, env: dict[str, str] | None, out: Path) -> list[Event]:
    subprocess.run(["perf", "record", "-q", "-a", "-o", str(out), "-e", ",".join(EVENTS), "--", *argv],
                   cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    text = subprocess.run(["perf", "script", "-i", str(out), "-F", "comm,tid,time,event,trace"],
                          capture_output=True, text=True, check=True).stdout
    out.unlink()
    found = []
    for line in text.splitlines():
        m = LINE.match(line)
        if m:
            found.append(Event(float(m.group(3)), m.group(1), int(m.group(2)), m.group(4), m.group(5) or ""))
    found.sort(key=lambda e: e.t)
    return found


def _after(events: list[Event], t: float, test: Callable[[Event], bool]) -> Event | None:
    return next((e for e in events if e.t >= t and test(e)), None)


def _before(events: list[Event], t: float, test: Callable[[Event], bool]) -> Event | None:
    return next((e for e in reversed(events) if e.t <= t and test(e)), None)


def command_ends(events: list[Event], command: int, tasks: set[int]) -> dict[str, float]:
    """The first task's exec after the command's, the command's exit after the last task's (ms)."""
    execs = [e.t for e in events if e.name == "sched:sched_process_exec" and e.pid in tasks]
    exits = [e.t for e in events if e.name == "sched:sched_process_exit" and e.pid in tasks]
    start = next(e.t for e in events if e.name == "sched:sched_process_exec" and e.pid == command)
    end = next(e.t for e in reversed(events) if e.name == "sched:sched_process_exit" and e.pid == command)
    return {"first": (min(execs) - start) * 1000, "last": (end - max(exits)) * 1000}


def ours_handoffs(events: list[Event], runner: int, jobs: int) -> tuple[dict[str, list[float]], set[int]]:
    """Each hand-off's segments (ms), worked back from each task's exec, and the tasks' pids."""
    workers = {e.pid for e in events if e.comm == "pyruns-super"}
    parent = {e.field("child_pid"): e.pid for e in events if e.name == "sched:sched_process_fork" and e.pid in workers}
    tasks = set(parent)
    ends = [e for e in events if e.name == "sched:sched_process_exit" and e.pid in tasks
            and re.search(r"group_dead=(1|true)", e.rest)]
    segments: dict[str, list[float]] = defaultdict(list)
    execs = [e for e in events if e.name == "sched:sched_process_exec" and e.pid in tasks]
    for ex in execs[jobs:]:  # the first `jobs` start from the queue, not after an exit
        fork = _before(events, ex.t, lambda e: e.name == "sched:sched_process_fork" and e.rest.endswith(f"child_pid={ex.pid}"))
        if fork is None:
            continue
        recv = _before(events, fork.t, lambda e: e.pid == fork.pid and e.name == "syscalls:sys_exit_recvmsg")
        send = recv and _before(events, recv.t, lambda e: e.pid == runner and e.name == "syscalls:sys_enter_sendto")
        wake = send and _before(events, send.t, lambda e: e.pid == runner and e.name == "syscalls:sys_exit_epoll_wait"
                                and not e.rest.strip().endswith("0x0"))
        end = wake and _before(ends, wake.t, lambda e: True)
        if not (recv and send and wake and end):
            continue
        idle = _after(events, end.t, lambda e: e.pid == parent[end.pid] and e.name == "syscalls:sys_enter_sendto")
        if idle is None or idle.t > wake.t:
            continue
        points = (end.t, idle.t, wake.t, send.t, recv.t, fork.t, ex.t)
        for name, a, b in zip(SEGMENTS, points, points[1:]):
            segments[name].append((b - a) * 1000)
        segments["total"].append((ex.t - end.t) * 1000)
    return segments, tasks


def xargs_handoffs(events: list[Event], jobs: int, xargs: int) -> tuple[list[float], set[int]]:
    children = {e.field("child_pid") for e in events if e.name == "sched:sched_process_fork" and e.pid == xargs}
    execs = [e for e in events if e.name == "sched:sched_process_exec" and e.pid in children]
    exits = [e for e in events if e.name == "sched:sched_process_exit" and e.pid in children]
    gaps = []
    for ex in execs[jobs:]:
        end = _before(exits, ex.t, lambda e: True)
        if end is not None:
            gaps.append((ex.t - end.t) * 1000)
    return gaps, children


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_batch_arguments(parser, tasks=40, jobs=4, sleep=0.2, repeats=3)
    args = parser.parse_args()
    if not sys.platform.startswith("linux") or shutil.which("perf") is None:
        sys.exit("bench_handoff: needs Linux and `perf` on PATH")
    scratch = Path(tempfile.mkdtemp(prefix="bench_handoff-"))
    ours = checkouts(scratch, args.other, args.sleep)
    python = sys.executable
    rows: dict[str, dict[str, list[float]]] = {o.label: defaultdict(list) for o in ours}
    rows["xargs"] = defaultdict(list)
    try:
        for _ in range(args.repeats):
            for o in ours:
                names = o.next_batch(args.tasks)
                runner = json.loads(o.cmd("runner", "status", "--json"))["runner"]["pid"]
                argv = [python, "-m", "pyruns_tui", "run", "-j", str(args.jobs), "--wait", *names]
                try:
                    events = record(argv, o.root, o.env, scratch / "perf.data")
                finally:
                    o.cmd("runner", "stop")
                command = next(e.pid for e in events if e.name == "sched:sched_process_exec"
                               and e.rest.startswith(f"filename={python} "))
                segments, tasks = ours_handoffs(events, runner, args.jobs)
                for name, values in segments.items():
                    rows[o.label][name] += values
                for name, value in command_ends(events, command, tasks).items():
                    rows[o.label][name].append(value)
            events = record(["sh", "-c", f"seq 0 {args.tasks - 1} | xargs -P {args.jobs} -I@ {python} task.py --i @"],
                            scratch, None, scratch / "perf.data")
            shell = next(e.pid for e in events if e.name == "sched:sched_process_exec"
                         and re.match(r"filename=\S*/sh ", e.rest))
            xargs = next(e.pid for e in events if e.name == "sched:sched_process_exec" and "xargs" in e.rest)
            gaps, tasks = xargs_handoffs(events, args.jobs, xargs)
            rows["xargs"]["total"] += gaps
            for name, value in command_ends(events, shell, tasks).items():
                rows["xargs"][name].append(value)
            time.sleep(0.2)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    what = "no-op" if not args.sleep else f"{args.sleep:g} s"
    print(f"{args.tasks} x {what} tasks at -j {args.jobs}, {args.repeats} samples each, {os.cpu_count()} CPUs; "
          "ms, medians (hand-offs: over every hand-off of every sample)")
    columns = (*SEGMENTS, "total", "first", "last")
    print(f"| {'what':<28} | " + " | ".join(f"{c:>9}" for c in columns) + " | hand-offs")
    for label, figures in rows.items():
        cells = [f"{statistics.median(figures[c]):9.2f}" if figures.get(c) else f"{'':>9}" for c in columns]
        print(f"| {label[:28]:<28} | " + " | ".join(cells) + f" | {len(figures.get('total', []))}")


if __name__ == "__main__":
    main()
