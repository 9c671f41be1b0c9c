"""Work per task of a batch, counted rather than timed: Python calls of the runner and the command
(cProfile) and system calls of the runner, the spawner, the pooled supervisors and the command
(`strace -c`), for one checkout or several. Counts barely move with the machine's load, where CPU
seconds on a shared machine do (issue 21, item 1: which change added work per task).

Run: .venv/bin/python benchmarks/bench_calls.py [--tasks 200] [--jobs 8] [--other CHECKOUT ...]
Linux, `strace` on PATH. Per checkout: a workspace with a warm-up batch of 2 x jobs tasks (the
pool of supervisors fills) and the measured batch; the runner runs in the foreground of this
script's child, its profiler switched on and off by signals around the timed `run -j N --wait`
of the batch; the spawner and the supervisors (forked before the batch) are traced without
following their forks (the tasks are not counted). Not a test; the counts include some waiting
(event-loop turns, polls) that does depend on timing: compare the per-file lines, not the last
digit.
"""

from __future__ import annotations

import argparse
import json
import os
import pstats
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

SCRIPT = ('import argparse\nparser = argparse.ArgumentParser()\nparser.add_argument("--i", type=int, default=0)\n'
          "parser.parse_args()\n")

# Runs the runner in the foreground with cProfile toggled by SIGUSR1 (on) and SIGUSR2 (off, dump).
WRAPPER = """
import cProfile, signal, sys
prof = cProfile.Profile()
def on(*_): prof.enable()
def off(*_):
    prof.disable(); prof.dump_stats(sys.argv[1])
signal.signal(signal.SIGUSR1, on)
signal.signal(signal.SIGUSR2, off)
from pyruns_tui.runner.daemon import service
sys.exit(service.main(sys.argv[2:]))
"""

# The command under cProfile: `pyr-tui run` ends with os._exit, which would skip the dump.
COMMAND_WRAPPER = """
import cProfile, os, runpy, sys
prof = cProfile.Profile()
exit_now = os._exit
def dump(code=0):
    prof.disable(); prof.dump_stats(out); exit_now(code)
os._exit = dump
out, sys.argv = sys.argv[1], ["pyruns_tui", *sys.argv[2:]]
prof.enable()
try:
    runpy.run_module("pyruns_tui", run_name="__main__")
except SystemExit as exc:
    dump(exc.code or 0)
"""


def children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            return [int(x) for x in fh.read().split()]
    except OSError:
        return []


def strace_counts(path: Path) -> dict[str, int]:
    """{syscall: calls} from an `strace -c` summary."""
    counts: dict[str, int] = {}
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) >= 5 and re.fullmatch(r"[\d.]+", parts[0]) and parts[-1] != "total":
            counts[parts[-1]] = int(parts[3])
    return counts


def prepare(src: Path, ws: Path, tasks: int, jobs: int) -> tuple[dict[str, str], Path, Callable[..., str],
                                                                 list[str], list[str], Path]:
    """A workspace `ws` running `src`'s code: (its environment, ws, a `pyr-tui` caller, the warm-up
    tasks, the batch's tasks, the workspace root)."""
    env = dict(os.environ, PYTHONPATH=str(src))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    ws.mkdir(parents=True)
    (ws / "task.py").write_text(SCRIPT)

    def cmd(*args: str) -> str:
        return subprocess.run([sys.executable, "-m", "pyruns_tui", *args], cwd=ws, env=env, check=True,
                              capture_output=True, text=True).stdout

    cmd("init", "task.py")
    (ws / "w.yaml").write_text(f"i: 0:{2 * jobs}\n")
    (ws / "b.yaml").write_text(f"i: 0:{tasks}\n")
    warm = json.loads(cmd("gen", "w.yaml", "-n", "w", "--json"))["tasks"]
    batch = json.loads(cmd("gen", "b.yaml", "-n", "b", "--json"))["tasks"]
    root = next(p for p in (ws / "_pyruns_").iterdir() if p.is_dir())
    return env, ws, cmd, warm, batch, root


def measure(label: str, src: Path, scratch: Path, tasks: int, jobs: int) -> dict[str, object]:
    env, ws, cmd, warm, batch, root = prepare(src, scratch / label, tasks, jobs)
    (scratch / "wrap.py").write_text(WRAPPER)
    (scratch / "wrap_command.py").write_text(COMMAND_WRAPPER)
    prof = scratch / f"{label}.runner.prof"
    runner = subprocess.Popen([sys.executable, str(scratch / "wrap.py"), str(prof), str(root.parent), root.name],
                              cwd=ws, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    traces: list[subprocess.Popen[bytes]] = []
    try:
        time.sleep(2.0)
        cmd("run", "-j", str(jobs), "--wait", *warm)
        spawner = children(runner.pid)
        workers = [w for s in spawner for w in children(s)]
        out: dict[str, object] = {"workers": len(workers)}
        for role, pids in (("runner", [runner.pid]), ("spawner", spawner), ("supervisors", workers)):
            argv = ["strace", "-c", "-o", str(scratch / f"{label}.{role}.strace")]
            if role == "runner":
                argv.append("-f")  # its threads (none forks)
            for pid in pids:
                argv += ["-p", str(pid)]
            traces.append(subprocess.Popen(argv, stderr=subprocess.DEVNULL))
        time.sleep(1.0)
        os.kill(runner.pid, signal.SIGUSR1)
        cmd_prof = scratch / f"{label}.command.prof"
        subprocess.run(["strace", "-f", "-c", "-o", str(scratch / f"{label}.command.strace"),
                        sys.executable, str(scratch / "wrap_command.py"), str(cmd_prof),
                        "run", "-j", str(jobs), "--wait", *batch], cwd=ws, env=env, check=True,
                       stdout=subprocess.DEVNULL)
        os.kill(runner.pid, signal.SIGUSR2)
        time.sleep(0.5)
        for trace in traces:
            trace.send_signal(signal.SIGINT)
            trace.wait()
        for role in ("runner", "command"):
            out[f"{role} calls"] = getattr(pstats.Stats(str(scratch / f"{label}.{role}.prof")), "total_calls") / tasks
        for role in ("runner", "spawner", "supervisors", "command"):
            out[f"{role} syscalls"] = strace_counts(scratch / f"{label}.{role}.strace")
        return out
    finally:
        runner.terminate()
        runner.wait()


def instructions(path: Path) -> int:
    """The instructions counted in a callgrind output file (its `summary:` or `totals:` line)."""
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith(("summary:", "totals:")):
            total = max(total, int(line.split()[1]))
    return total


def measure_valgrind(label: str, src: Path, scratch: Path, tasks: int, jobs: int) -> dict[str, float]:
    """Instructions per task (callgrind) of the runner, the spawner, the supervisors and the command, for the batch alone: the runner's tree runs
    under callgrind with counting off, switched on (callgrind_control) around the batch."""
    env, ws, cmd, warm, batch, root = prepare(src, scratch / f"{label}-vg", tasks, jobs)
    out_dir = scratch / f"{label}-cg"
    out_dir.mkdir()
    grind = ["valgrind", "--tool=callgrind", "-q", "--trace-children=yes",
             "--trace-children-skip-by-arg=*task.py*", "--trace-children-skip=*git*",
             "--zero-before=PyOS_AfterFork_Child"]  # a fork counts from zero, not from its parent's counts
    runner = subprocess.Popen([*grind, "--instr-atstart=no", f"--callgrind-out-file={out_dir}/runner.%p",
                               sys.executable, "-m", "pyruns_tui.runner.daemon.service", str(root.parent), root.name],
                              cwd=ws, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while (json.loads(cmd("runner", "status", "--json"))["runner"] or {}).get("pid") != runner.pid:
            if time.monotonic() > deadline or runner.poll() is not None:
                raise SystemExit("the runner under valgrind did not start")
            time.sleep(0.5)
        cmd("run", "-j", str(jobs), "--wait", *warm)
        spawner = children(runner.pid)
        for pid in [runner.pid, *spawner]:
            subprocess.run(["callgrind_control", "-i", "on", str(pid)], check=True, capture_output=True)
        subprocess.run([*grind, f"--callgrind-out-file={out_dir}/command.%p", sys.executable, "-m", "pyruns_tui",
                        "run", "-j", str(jobs), "--wait", *batch], cwd=ws, env=env, check=True,
                       stdout=subprocess.DEVNULL)
        for pid in [runner.pid, *spawner]:
            subprocess.run(["callgrind_control", "-i", "off", str(pid)], capture_output=True)
    finally:
        runner.terminate()
        runner.wait()
        time.sleep(2.0)  # the spawner and its workers exit with the runner, writing their files
    # Under valgrind a worker is not reused (valgrind's own descriptors fail its check that nothing
    # of the run is left open): each run is a fresh fork of the spawner, zeroed as it starts, so
    # the supervisors' figure includes a worker's start and exit (both trees alike).
    roles = dict.fromkeys(("runner", "spawner", "supervisors", "command"), 0.0)
    for path in out_dir.iterdir():
        kind, number = path.name.split(".")[:2]
        role = "command" if kind == "command" else "runner" if int(number) == runner.pid else (
            "spawner" if int(number) in spawner else "supervisors")
        roles[role] += instructions(path)
    return {role: n / tasks for role, n in roles.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=8)
    parser.add_argument("--other", action="append", default=[], type=Path, metavar="CHECKOUT")
    parser.add_argument("--root", type=Path, help="scratch folder, kept (default: a new one in the temp folder)")
    parser.add_argument("--show", default="openat,newfstatat,stat,lstat,rename,unlink,mkdir,write,read,fsync",
                        help="system calls listed one by one")
    parser.add_argument("--valgrind", action="store_true",
                        help="instructions per task (callgrind) instead of calls and system calls")
    args = parser.parse_args()
    scratch = args.root or Path(tempfile.mkdtemp(prefix="bench_calls-"))
    here = Path(__file__).resolve().parent.parent / "src"
    checkouts = {"this": here, **{f"other{i}": o.resolve() / "src" for i, o in enumerate(args.other)}}
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    if args.valgrind:
        print(f"{args.tasks} no-op tasks at -j {args.jobs}; instructions per task (millions, callgrind); "
              f"load average {load} before")
        print(f"| {'checkout':<30} | " + " | ".join(f"{r:>11}" for r in ("runner", "spawner", "supervisors", "command")))
        for label, src in checkouts.items():
            ins = measure_valgrind(label, src, scratch, args.tasks, args.jobs)
            print(f"| {str(src.parent)[:30]:<30} | " + " | ".join(f"{v / 1e6:11.2f}" for v in ins.values()), flush=True)
        return
    results = {label: measure(label, src, scratch, args.tasks, args.jobs) for label, src in checkouts.items()}
    print(f"{args.tasks} no-op tasks at -j {args.jobs}, per task; load average {load} before; scratch {scratch}")
    shown = args.show.split(",")
    for label, res in results.items():
        print(f"\n{label} ({checkouts[label].parent}), {res['workers']} pooled workers")
        print(f"  Python calls: runner {res['runner calls']:.0f}, command {res['command calls']:.0f}")
        for role in ("runner", "spawner", "supervisors", "command"):
            counts = res[f"{role} syscalls"]
            assert isinstance(counts, dict)
            detail = " ".join(f"{name} {counts[name] / args.tasks:.1f}" for name in shown if name in counts)
            print(f"  syscalls {role:<11} {sum(counts.values()) / args.tasks:7.1f}  ({detail})")


if __name__ == "__main__":
    main()
