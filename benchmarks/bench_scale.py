"""Scale: how every figure grows from 1,000 to 10,000 to 100,000 tasks in one workspace.

Run: .venv/bin/python benchmarks/bench_scale.py [--sizes 1000,10000,100000] [--repeats 5]
(prints a growth table; not a test). run.py's figure 8 calls `measure_size` for each size.

Per size, in a fresh workspace under the system temp folder (removed after each size):
- gen: `pyr-tui gen` of each batch (one batch up to 10,000 tasks; 100,000 = 10 batches of 10,000)
- 1 % of the tasks are then marked failed through `TaskStore.update` (a writer, as the runner does);
  with `--ran`, every other task completed, and each given a metrics.jsonl of 100 rows (a workspace
  of past sweeps: records with runs, queries that read metrics). run.py measures without it.
- ls / ls status:failed / ls 'lr>=0.01' (a comparison: every config and metrics file looked at):
  wall time of the CLI, output read through a pipe, one warm-up call first, samples interleaved
- Manager: first screen, every task shown, and search keystrokes (bench_manager.py's headless child, Pilot)
- runner: every task queued at -j 1 (one runs and sleeps, the rest wait): RSS of the runner and
  its CPU over a 10 s window once settled
The load average is recorded next to every figure (a shared machine: 2 busy cores).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
VENV_BIN = Path(sys.executable).parent
BATCH = 10_000
LAST_CPU = [0.0]
SCRIPT = """\
import argparse
import time

parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, default=0.1)
parser.add_argument("--opt", default="adam")
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--batch", type=int, default=32)
parser.parse_args()
time.sleep(3600)
"""


def load() -> float:
    return os.getloadavg()[0]


def children_cpu() -> float:
    """CPU seconds (user + system) of the child processes waited for so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def pyr(root: Path, *args: str, timeout: float = 900) -> tuple[float, str]:
    """Wall seconds and stdout of one `pyr-tui` call in `root` (stdout through a pipe); its CPU
    seconds in `LAST_CPU[0]` (on a busy machine the better guide to an idle one's wall time)."""
    argv = [str(VENV_BIN / "pyr-tui"), "-C", str(root), *args]
    cpu = children_cpu()
    begin = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                          env={k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"})
    seconds = time.perf_counter() - begin
    LAST_CPU[0] = children_cpu() - cpu
    if done.returncode != 0:
        raise RuntimeError(f"pyr-tui {' '.join(args[:3])} exited {done.returncode}: {done.stderr.strip()[-300:]}")
    return seconds, done.stdout


def spec(count: int) -> str:
    """A grid of `count` tasks: 5 learning rates x 2 optimisers x count/10 seeds."""
    assert count % 10 == 0
    return f"lr: 0.1 | 0.03 | 0.01 | 0.003 | 0.001\nopt: adam | sgd\nseed: 0:{count // 10}\nbatch: 64\n"


def build(root: Path, count: int) -> list[dict[str, float]]:
    """init + gen in batches of at most 10,000; the time (and load) of each batch."""
    (root / "train.py").write_text(SCRIPT)
    pyr(root, "init", "train.py")
    pyr(root, "pin", "--param", "lr")  # ls and the Manager show pinned parameters: every config is read
    pyr(root, "pin", "--param", "opt")
    batches = []
    for i in range(max(1, count // BATCH)):
        size = min(count, BATCH)
        (root / f"b{i}.yaml").write_text(spec(size))
        seconds, _ = pyr(root, "gen", f"b{i}.yaml", "-n", f"b{i}")
        batches.append({"s": seconds, "cpu_s": LAST_CPU[0], "load": load()})
    return batches


def mark_failed(root: Path, every: int = 100) -> int:
    """Mark one task in `every` failed through the store (a writer), as a finished run would."""
    from pyruns_tui.workspace.layout import PYRUNS_DIR, Layout
    from pyruns_tui.workspace.model import Run, Status
    from pyruns_tui.workspace.store import TaskStore

    store = TaskStore(Layout(root=root / PYRUNS_DIR, name="train"))
    names = sorted(store.names())[::every]

    def fail(task):  # type: ignore[no-untyped-def]
        task.status = Status.FAILED
        task.runs = [Run(index=1, status=Status.FAILED, start="2026-01-01T10:00:00.000+00:00",
                         finish="2026-01-01T10:05:00.000+00:00", duration_s=300.0, pid=1000,
                         exit_code=1, error="RuntimeError: boom")]

    for name in names:
        store.update(name, fail, fsync=False)
    return len(names)


PARAM_QUERY = "lr>=0.01"  # a comparison of a parameter: each task's config and metrics are looked at


def mark_ran(root: Path, rows: int = 100) -> int:
    """Give every task one finished run and a metrics.jsonl of `rows` rows (`loss`, `acc`), as a
    workspace of past sweeps holds (`--ran`): the records carry runs, queries read metrics. The
    failed tasks keep their failed run."""
    from pyruns_tui.workspace.layout import PYRUNS_DIR, Layout
    from pyruns_tui.workspace.model import Run, Status
    from pyruns_tui.workspace.store import TaskStore

    layout = Layout(root=root / PYRUNS_DIR, name="train")
    store = TaskStore(layout)

    def complete(task):  # type: ignore[no-untyped-def]
        if task.status is not Status.FAILED:
            task.status = Status.COMPLETED
            task.runs = [Run(index=1, status=Status.COMPLETED, start="2026-01-01T10:00:00.000+00:00",
                             finish="2026-01-01T10:05:00.000+00:00", duration_s=300.0, pid=1000, exit_code=0)]

    names = sorted(store.names())
    for number, name in enumerate(names):
        store.update(name, complete, fsync=False)
        layout.metrics_file(name).write_text("".join(
            json.dumps({"step": step, "t": 1767261600.0 + step, "loss": 1 / (step + 1 + number % 7), "acc": step / rows})
            + "\n" for step in range(rows)))
    return len(names)


def listing(root: Path, repeats: int, failed: int, tasks: int) -> dict[str, list[float]]:
    """`ls`, `ls status:failed` and `ls 'lr>=0.01'`, samples interleaved after one warm-up call each."""
    pyr(root, "ls")
    pyr(root, "ls", "status:failed")
    pyr(root, "ls", PARAM_QUERY)
    out: dict[str, list[float]] = {"ls": [], "ls_failed": [], "ls_param": [], "ls_cpu": [], "ls_failed_cpu": [],
                                   "ls_param_cpu": [], "load": []}
    for _ in range(repeats):
        seconds, text = pyr(root, "ls")
        out["ls"].append(seconds)
        out["ls_cpu"].append(LAST_CPU[0])
        seconds, text = pyr(root, "ls", "status:failed")
        out["ls_failed_cpu"].append(LAST_CPU[0])
        if text.count("\n") != failed + 1:
            raise RuntimeError(f"ls status:failed printed {text.count(chr(10)) - 1} tasks, expected {failed}")
        out["ls_failed"].append(seconds)
        seconds, text = pyr(root, "ls", PARAM_QUERY)
        out["ls_param_cpu"].append(LAST_CPU[0])
        if text.count("\n") != tasks * 3 // 5 + 1:  # (3 of the spec's 5 learning rates)
            raise RuntimeError(f"ls {PARAM_QUERY} printed {text.count(chr(10)) - 1} tasks, expected {tasks * 3 // 5}")
        out["ls_param"].append(seconds)
        out["load"].append(load())
    return out


def manager(root: Path, repeats: int) -> list[dict[str, Any]]:
    """bench_manager.py's headless child (first paint, keystrokes), each in a fresh process."""
    runs = []
    for _ in range(repeats):
        done = subprocess.run([sys.executable, str(BENCH_DIR / "bench_manager.py"), "--child", str(root),
                               "--workspace", "train"], capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            raise RuntimeError(f"bench_manager child failed: {done.stderr.strip()[-500:]}")
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return runs


def runner_idle(root: Path, window_s: float = 10.0) -> dict[str, Any]:
    """Queue every task at -j 1 and measure the runner once it reports them: RSS and CPU %."""
    import psutil

    from pyruns_tui.workspace.layout import PYRUNS_DIR, Layout
    from pyruns_tui.workspace.store import TaskStore

    names = sorted(TaskStore(Layout(root=root / PYRUNS_DIR, name="train")).names())
    try:
        begin = time.perf_counter()
        for i in range(0, len(names), 5_000):
            pyr(root, "run", "-j", "1", *names[i:i + 5_000])
        queued_s = time.perf_counter() - begin
        deadline = time.monotonic() + 600
        while True:
            _, text = pyr(root, "runner", "status", "--json")
            status = json.loads(text)
            tasks = status.get("tasks", {})
            if len(tasks.get("running", [])) >= 1 and len(tasks.get("queued", [])) >= len(names) - 1:
                break
            if time.monotonic() > deadline:
                raise RuntimeError("the runner never reported every task queued")
            time.sleep(1)
        runner = psutil.Process(status["runner"]["pid"])
        time.sleep(3)  # settle: the status calls above woke it
        cpu0, t0 = runner.cpu_times(), time.perf_counter()
        time.sleep(window_s)
        cpu1, t1 = runner.cpu_times(), time.perf_counter()
        cpu_pct = 100 * ((cpu1.user + cpu1.system) - (cpu0.user + cpu0.system)) / (t1 - t0)
        return {"rss_mb": runner.memory_info().rss / 2**20, "cpu_pct": cpu_pct, "queue_s": queued_s,
                "load": load()}
    finally:
        subprocess.run([str(VENV_BIN / "pyr-tui"), "-C", str(root), "runner", "stop", "--tasks"],
                       capture_output=True, timeout=600)


def measure_size(count: int, repeats: int, log: Any = print, parts: str = "gen,ls,manager,runner",
                 remove_later: list[Path] | None = None, ran: bool = False) -> dict[str, Any]:
    """Every figure for a workspace of `count` tasks (see the module docstring). With
    `remove_later`, the workspace is left for the caller to remove once every size is measured:
    for minutes after a mass delete, ext4 looks through the recently deleted inodes at every
    file it creates (`recently_deleted`), and the next size's `gen` took 4x its time."""
    wanted = set(parts.split(","))
    tmp = Path(tempfile.mkdtemp(prefix=f"pyruns-scale-{count}-"))
    try:
        result: dict[str, Any] = {"tasks": count}
        log(f"  {count:,} tasks: gen ...")
        result["gen"] = build(tmp, count)
        result["failed"] = mark_failed(tmp)
        if ran:
            log(f"  {count:,} tasks: a run and 100 metrics rows each ...")
            mark_ran(tmp)
        if "ls" in wanted:
            log(f"  {count:,} tasks: ls ...")
            result["listing"] = listing(tmp, repeats, result["failed"], count)
        if "manager" in wanted:
            log(f"  {count:,} tasks: Manager ...")
            result["manager"] = manager(tmp, repeats)
        if "runner" in wanted:
            log(f"  {count:,} tasks: runner ...")
            result["runner"] = runner_idle(tmp)
        return result
    finally:
        if remove_later is None:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            remove_later.append(tmp)


def summary(result: dict[str, Any]) -> dict[str, float | None]:
    """The medians of one size: the figures of the growth table."""
    med = statistics.median
    listing_ = result.get("listing")
    runs = result.get("manager")
    runner = result.get("runner")
    return {
        "gen_s": max(b["s"] for b in result["gen"]),
        "gen_cpu_s": max(b["cpu_s"] for b in result["gen"]),
        "ls_cpu_s": med(listing_["ls_cpu"]) if listing_ else None,
        "ls_failed_cpu_s": med(listing_["ls_failed_cpu"]) if listing_ else None,
        "ls_param_cpu_s": med(listing_["ls_param_cpu"]) if listing_ else None,
        "paint_cpu_s": med(r["first_paint_cpu_s"] for r in runs) if runs else None,
        "key_cpu_ms": med(r["key_cpu_median_ms"] for r in runs) if runs else None,
        "ls_s": med(listing_["ls"]) if listing_ else None,
        "ls_failed_s": med(listing_["ls_failed"]) if listing_ else None,
        "ls_param_s": med(listing_["ls_param"]) if listing_ else None,
        "screen_s": med(r["first_screen_s"] for r in runs) if runs else None,
        "paint_s": med(r["first_paint_s"] for r in runs) if runs else None,
        "key_ms": med(r["key_median_ms"] for r in runs) if runs else None,
        "key_p95_ms": med(r["key_p95_ms"] for r in runs) if runs else None,
        "runner_mb": runner["rss_mb"] if runner else None,
        "runner_cpu": runner["cpu_pct"] if runner else None,
        "load": med(listing_["load"]) if listing_ else load(),
    }


ROWS = (("gen_s", "gen, slowest 10,000 batch (s)", "< 2 s"), ("ls_s", "ls (s)", "< 3 s"),
        ("ls_failed_s", "ls status:failed (s)", "< 1 s"), ("ls_param_s", f"ls '{PARAM_QUERY}' (s)", ""),
        ("screen_s", "Manager first screen (s; from 10,000 tasks the first page)", "< 1.5 s"),
        ("paint_s", "Manager, every task in the table (s)", ""),
        ("key_ms", "search keystroke, median (ms)", "< 100 ms"), ("key_p95_ms", "search keystroke, p95 (ms)", ""),
        ("runner_mb", "runner RSS, all queued (MB)", "< 200 MB"), ("runner_cpu", "runner CPU idle, all queued (%)", "< 1 %"),
        ("gen_cpu_s", "gen, CPU of the slowest batch (s)", ""), ("ls_cpu_s", "ls, CPU (s)", ""),
        ("ls_failed_cpu_s", "ls status:failed, CPU (s)", ""), ("ls_param_cpu_s", f"ls '{PARAM_QUERY}', CPU (s)", ""),
        ("paint_cpu_s", "Manager first paint, CPU (s)", ""),
        ("key_cpu_ms", "search keystroke, UI-thread CPU, median (ms)", ""),
        ("load", "load average (1 min) meanwhile", ""))


def growth_table(summaries: list[dict[str, float | None]], sizes: list[int]) -> str:
    def cell(value: float | None) -> str:
        return "—" if value is None else f"{value:.3g}"

    head = "| figure | " + " | ".join(f"{n:,}" for n in sizes) + " | x per 10x tasks | goal |"
    lines = [head, "|" + "---|" * (len(sizes) + 3)]
    for key, label, goal in ROWS:
        values = [s[key] for s in summaries]
        growth = "—"
        if key != "load" and len(values) > 1 and values[0] and values[-1]:
            decades = math.log10(sizes[-1] / sizes[0])
            growth = f"{(values[-1] / values[0]) ** (1 / decades):.2g}x"  # type: ignore[operator]
        lines.append(f"| {label} | " + " | ".join(cell(v) for v in values) + f" | {growth} | {goal} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--parts", default="gen,ls,manager,runner", help="comma-separated subset")
    parser.add_argument("--json", type=Path, help="also write every raw sample here")
    parser.add_argument("--ran", action="store_true",
                        help="give every task a finished run and 100 metrics rows before measuring")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    made: list[Path] = []
    try:
        results = [measure_size(n, args.repeats, lambda m: print(m, file=sys.stderr, flush=True), args.parts, made,
                                args.ran) for n in sizes]
    finally:
        for path in made:
            shutil.rmtree(path, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    print(growth_table([summary(r) for r in results], sizes))


if __name__ == "__main__":
    main()
