"""A batch of short tasks: ours (one or more checkouts) against `xargs -P` and GNU parallel,
samples interleaved, with the machine's CPU per batch. For before/after comparisons of the
scheduler path (issue 21, item 1).

Run: .venv/bin/python benchmarks/bench_batch.py [--tasks 200] [--jobs 8] [--sleep 0]
         [--repeats 5] [--other /path/to/old/checkout ...] [--root DIR]
Each sample of ours is a fresh batch (`gen`, then `runner start`, then the timed
`pyr-tui run -j N --wait`; the batch before is trashed untimed), as a user runs the sweep they
just made. `--other DIR` times that checkout's code (its `src/` first on PYTHONPATH) with the
same interpreter. xargs and GNU parallel run the same script with nothing recorded; so does
xargs with each task under benchmarks/ptyfloor.c (a pty per task, its output copied to a file
by C: the floor of a runner that gives tasks a terminal). Prints
medians of wall seconds and of machine CPU seconds (user + system of every process, from
/proc/stat), then where each tool's CPU went, by role: the tasks themselves, the command
(`pyr-tui run`, `xargs`, `parallel`), and ours' runner, spawner and pooled supervisors (from
/proc/PID/stat of the runner and everything under it, before and after the batch; the pool keeps
its workers for 60 s, so none exits during a batch). Linux only; not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROLES = ("tasks", "command", "runner", "spawner", "supervisors")

SCRIPT = ('import argparse\nparser = argparse.ArgumentParser()\nparser.add_argument("--i", type=int, default=0)\n'
          "parser.parse_args()\n")


def machine_cpu_s() -> float:
    with open("/proc/stat") as fh:
        fields = [int(x) for x in fh.readline().split()[1:]]
    return (fields[0] + fields[1] + fields[2] + fields[5] + fields[6]) / os.sysconf("SC_CLK_TCK")


class Ours:
    """One checkout's `pyr-tui`, driven in its own workspace folder."""

    def __init__(self, label: str, root: Path, src: Path | None, script: str) -> None:
        self.label = label
        self.root = root
        self.env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        if src is not None:
            self.env["PYTHONPATH"] = os.pathsep.join([str(src), *filter(None, [self.env.get("PYTHONPATH")])])
        self.made: list[str] = []
        self.batches = 0
        root.mkdir(parents=True)
        (root / "task.py").write_text(script)
        self.cmd("init", "task.py")

    def cmd(self, *args: str) -> str:
        return subprocess.run([sys.executable, "-m", "pyruns_tui", *args], cwd=self.root, env=self.env,
                              check=True, capture_output=True, text=True).stdout

    def next_batch(self, tasks: int) -> list[str]:
        """A new batch of `tasks` pending tasks (the one before trashed), its runner up."""
        if self.made:
            self.cmd("rm", *self.made)
        prefix = f"b{self.batches}"
        self.batches += 1
        (self.root / f"{prefix}.yaml").write_text(f"i: 0:{tasks}\n")
        self.made = json.loads(self.cmd("gen", f"{prefix}.yaml", "-n", prefix, "--json"))["tasks"]
        self.cmd("runner", "start")
        time.sleep(0.3)  # its start-up done: "runner already up"
        return self.made

    def sample(self, tasks: int, jobs: int) -> Sample:
        self.next_batch(tasks)
        runner = json.loads(self.cmd("runner", "status", "--json"))["runner"]["pid"]
        before = tree_cpu(runner)
        try:
            sample = timed([sys.executable, "-m", "pyruns_tui", "run", "-j", str(jobs), "--wait", *self.made],
                           self.root, self.env)
            after = tree_cpu(runner)
        finally:
            self.cmd("runner", "stop")
        sample.roles.update({role: after[role] - before.get(role, 0.0) for role in after})
        sample.roles["tasks"] = sample.roles.pop("reaped")
        return sample


class Sample:
    """One batch: wall and machine CPU seconds, and CPU seconds by role (ROLES)."""

    def __init__(self, wall: float, cpu: float, roles: dict[str, float]) -> None:
        self.wall, self.cpu, self.roles = wall, cpu, roles


def _stat(pid: int) -> tuple[float, float] | None:
    """(own CPU s, CPU s of its reaped children) of process `pid`, None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    tick = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / tick, (int(fields[13]) + int(fields[14])) / tick


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            return [int(x) for x in fh.read().split()]
    except OSError:
        return []


def tree_cpu(runner: int) -> dict[str, float]:
    """CPU seconds so far of the runner, its spawner, the spawner's pooled supervisors, and what
    those supervisors reaped (the tasks)."""
    roles = dict.fromkeys(("runner", "spawner", "supervisors", "reaped"), 0.0)
    own = _stat(runner)
    if own is None:
        return roles
    roles["runner"] = own[0]
    for spawner in _children(runner):
        stat = _stat(spawner)
        if stat is None:
            continue
        roles["spawner"] += stat[0]
        for worker in _children(spawner):
            stat = _stat(worker)
            if stat is not None:
                roles["supervisors"] += stat[0]
                roles["reaped"] += stat[1]
    return roles


def timed(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> Sample:
    """Run `argv`; its CPU (and that of everything it reaped) is the role "command"."""
    cpu = machine_cpu_s()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    used = after.ru_utime + after.ru_stime - usage.ru_utime - usage.ru_stime
    return Sample(wall, machine_cpu_s() - cpu, {"command": used})


def add_batch_arguments(parser: argparse.ArgumentParser, *, tasks: int, jobs: int, sleep: float,
                        repeats: int) -> None:
    """The batch's options (shared with bench_handoff.py), with these defaults."""
    parser.add_argument("--tasks", type=int, default=tasks)
    parser.add_argument("--jobs", type=int, default=jobs)
    parser.add_argument("--sleep", type=float, default=sleep, help="seconds each task sleeps (0: a no-op)")
    parser.add_argument("--repeats", type=int, default=repeats)
    parser.add_argument("--other", action="append", default=[], type=Path, metavar="CHECKOUT",
                        help="another checkout of pyruns-tui to time alongside this one")


def checkouts(scratch: Path, others: list[Path], sleep: float) -> list[Ours]:
    """This tree's pyr-tui and each other checkout's, each with its workspace in `scratch`, where
    the task script is written too (for the peers)."""
    script = SCRIPT + (f"import time\ntime.sleep({sleep})\n" if sleep else "")
    ours = [Ours("ours (this tree)", scratch / "ours", None, script)]
    ours += [Ours(f"ours ({other})", scratch / f"other{i}", other.resolve() / "src", script)
             for i, other in enumerate(others)]
    (scratch / "task.py").write_text(script)
    return ours


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_batch_arguments(parser, tasks=200, jobs=8, sleep=0.0, repeats=5)
    parser.add_argument("--root", type=Path, help="scratch folder (default: a new one in the temp folder)")
    args = parser.parse_args()
    scratch = args.root or Path(tempfile.mkdtemp(prefix="bench_batch-"))
    ours = checkouts(scratch, args.other, args.sleep)
    python = sys.executable
    peers = {
        f"xargs -P {args.jobs}": ["sh", "-c", f"seq 0 {args.tasks - 1} | xargs -P {args.jobs} -I@ {python} task.py --i @"],
    }
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from ptyfloor import build

    try:
        ptyfloor = build(scratch / "ptyfloor")
    except RuntimeError as exc:
        print(f"the C floor (a pty per task) is not measured: {exc}", file=sys.stderr)
    else:
        (scratch / "floor-logs").mkdir()
        peers[f"xargs -P {args.jobs}, a pty per task (C)"] = [
            "sh", "-c", f"seq 0 {args.tasks - 1} | xargs -P {args.jobs} -I@ {ptyfloor} floor-logs/@.log "
            f"{python} task.py --i @"]
    if shutil.which("parallel"):
        peers[f"GNU parallel -j {args.jobs}"] = ["parallel", "--will-cite", "-j", str(args.jobs), python, "task.py",
                                                 "--i", "{}", ":::", *map(str, range(args.tasks))]
    samples: dict[str, list[Sample]] = {label: [] for label in [*(o.label for o in ours), *peers]}
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    try:
        for _ in range(args.repeats):
            for o in ours:
                samples[o.label].append(o.sample(args.tasks, args.jobs))
            for label, argv in peers.items():
                samples[label].append(timed(argv, scratch))
    finally:
        if args.root is None:
            shutil.rmtree(scratch, ignore_errors=True)
    what = "no-op" if not args.sleep else f"{args.sleep:g} s"
    print(f"{args.tasks} x {what} tasks at -j {args.jobs}, {args.repeats} interleaved samples, "
          f"{os.cpu_count()} CPUs, load average {load} before")
    base = statistics.median(s.wall for s in samples[f"xargs -P {args.jobs}"])
    print(f"| {'what':<40} | {'wall s':>7} | {'vs xargs':>8} | {'machine CPU s':>13} | samples")
    for label, values in samples.items():
        wall = statistics.median(v.wall for v in values)
        cpu = statistics.median(v.cpu for v in values)
        print(f"| {label[:40]:<40} | {wall:7.3f} | {wall / base:7.2f}x | {cpu:13.2f} | "
              + " ".join(f"{v.wall:.2f}" for v in values))
    print("\nCPU by role, ms per task (medians; xargs' and parallel's tasks are in their command's figure)")
    print(f"| {'what':<40} | " + " | ".join(f"{role:>11}" for role in ROLES))
    for label, values in samples.items():
        cells = [statistics.median(v.roles.get(role, 0.0) for v in values) * 1000 / args.tasks
                 if any(role in v.roles for v in values) else None for role in ROLES]
        print(f"| {label[:40]:<40} | " + " | ".join(f"{c:11.2f}" if c is not None else f"{'':>11}" for c in cells))


if __name__ == "__main__":
    main()
