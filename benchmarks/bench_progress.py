"""What reading progress and metrics off running tasks' output costs the runner (issue 17).

- flood: MB/s of a task writing 200 MB as fast as it can through pty -> supervisor -> log (as in
  bench_scheduler.py), the runner reading its output once a second meanwhile; bytes that make no
  line with a metric, or (`--flood-lines`) lines such as `epoch 3 step 812 loss=0.31 acc=0.9`,
  every one of them a metric row with a step for the runner to read;
- tqdm: the runner's CPU while 8 tasks each draw a tqdm bar 50 times a second (with a loss
  postfix), over a window in the middle of their run.

With `--baseline SRC` (the `src/` of an older checkout, e.g. `git worktree add /tmp/base <commit>`)
each figure is measured alternately with that code and with this one (runner, supervisor and
engine are imported from the `src/` first on PYTHONPATH), so load swings hit both alike.

Run: .venv/bin/python benchmarks/bench_progress.py [--baseline /tmp/base/src] [--repeats 3]
     [--flood-mb 200] [--flood-lines] [--only flood|tqdm] [--tasks 8] [--hz 50] [--window 10]
Prints tables; not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
TQDM_SCRIPT = """\
import time
from tqdm import tqdm
bar = tqdm(total={total}, desc="train", mininterval=0, miniters=1)
for i in range({total}):
    time.sleep(1 / {hz})
    bar.set_postfix(loss=1 / (i + 1), refresh=False)
    bar.update(1)
"""


FLOOD_LINES = """\
import sys
out = sys.stdout.buffer
size, written, step = {size}, 0, 0
while written < size:
    lines = b"".join(b"epoch %d step %d loss=%.4f acc=%.3f\\n" % (step // 5000, step + i, 1 / (step + i + 1), 0.5)
                     for i in range(1000))
    lines = lines[:size - written]
    out.write(lines)
    written += len(lines)
    step += 1000
"""


def child_flood(work: Path, megabytes: int, lines: bool = False) -> dict[str, float]:
    import psutil

    from benchmarks.bench_scheduler import create, make_workspace
    from pyruns_tui.runner import client, control
    from pyruns_tui.workspace.model import Status

    size = megabytes * 2**20
    script_text = FLOOD_LINES.format(size=size) if lines else (
        "import sys\nblock = bytes(range(256)) * 256\nout = sys.stdout.buffer\n"
        f"for i in range({size} // len(block)):\n    out.write(block[i % 256:] + block[:i % 256])\n"
    )
    store, script = make_workspace(work / "flood", "flood", script_text, 1)
    (name,) = create(store, script, 1, "flood")
    client.ensure_runner(store.layout)
    runner = psutil.Process(client.runner_info(store.layout).pid)  # type: ignore[union-attr]
    cpu0 = sum(runner.cpu_times()[:2])
    start = time.perf_counter()
    control.queue(store, [name])
    while store.get(name).status in (Status.QUEUED, Status.RUNNING):
        time.sleep(0.02)
    wall = time.perf_counter() - start
    cpu = sum(runner.cpu_times()[:2]) - cpu0
    run = store.get(name).last_run
    assert run is not None and run.duration_s and store.layout.run_log(name, 1).stat().st_size == size
    client.stop_runner(store.layout)
    return {"mb_s": megabytes / run.duration_s, "wall_s": wall, "runner_cpu_s": cpu}


def child_tqdm(work: Path, tasks: int, hz: int, window: float) -> dict[str, float]:
    import psutil

    from benchmarks.bench_scheduler import create, make_workspace
    from pyruns_tui.runner import client, control
    from pyruns_tui.workspace.model import Status

    total = int(hz * (window + 8))
    store, script = make_workspace(work / "tqdm", "bars", TQDM_SCRIPT.format(total=total, hz=hz), tasks)
    names = create(store, script, tasks, "bar")
    client.ensure_runner(store.layout)
    runner = psutil.Process(client.runner_info(store.layout).pid)  # type: ignore[union-attr]
    control.queue(store, names)
    while sum(store.get(n).status is Status.RUNNING for n in names) < tasks:
        time.sleep(0.05)
    time.sleep(3)  # every bar drawing
    cpu0, t0 = sum(runner.cpu_times()[:2]), time.perf_counter()
    time.sleep(window)
    cpu, span = sum(runner.cpu_times()[:2]) - cpu0, time.perf_counter() - t0
    sidecars = sum((store.layout.task_dir(n) / "progress.json").exists() for n in names)
    control.stop_all(store)
    control.wait(store, names, timeout_s=60)
    client.stop_runner(store.layout)
    return {"runner_cpu_pct": 100 * cpu / span, "sidecars": sidecars}


def measure(src: Path, figure: str, args: argparse.Namespace) -> dict[str, float]:
    """One sample of `figure` in a fresh interpreter importing pyruns_tui from `src`."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(src), str(HERE.parent)])}
    argv = [sys.executable, __file__, "--child", figure, "--flood-mb", str(args.flood_mb),
            "--tasks", str(args.tasks), "--hz", str(args.hz), "--window", str(args.window)]
    argv += ["--flood-lines"] if args.flood_lines else []
    out = subprocess.run(argv, env=env, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", type=Path, help="src/ of the code to compare with")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--flood-mb", type=int, default=200)
    parser.add_argument("--tasks", type=int, default=8)
    parser.add_argument("--hz", type=int, default=50)
    parser.add_argument("--window", type=float, default=10.0)
    parser.add_argument("--flood-lines", action="store_true", help="flood lines with metrics and a step")
    parser.add_argument("--only", choices=("flood", "tqdm"), help="measure one figure")
    parser.add_argument("--child", choices=("flood", "tqdm"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        with tempfile.TemporaryDirectory(prefix="pyruns-bench-") as tmp:
            work = Path(tmp)
            result = child_flood(work, args.flood_mb, args.flood_lines) if args.child == "flood" else child_tqdm(
                work, args.tasks, args.hz, args.window)
        print(json.dumps(result))
        return
    import psutil

    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"python {sys.version.split()[0]}, {psutil.cpu_count()} CPUs, load average {load}")
    sources = [("this checkout", SRC)] + ([("baseline", args.baseline.resolve())] if args.baseline else [])
    samples: dict[tuple[str, str], list[dict[str, float]]] = {}
    for _ in range(args.repeats):
        for figure in ("flood", "tqdm") if args.only is None else (args.only,):
            for label, src in sources:
                samples.setdefault((figure, label), []).append(measure(src, figure, args))
    print("\n| figure | code | median | samples |\n|---|---|---|---|")
    rows = [("flood", "mb_s", f"{args.flood_mb} MB flood, MB/s"),
            ("flood", "runner_cpu_s", "runner CPU during that flood, s"),
            ("tqdm", "runner_cpu_pct", f"runner CPU, {args.tasks} tasks x {args.hz} tqdm updates/s, %"),
            ("tqdm", "sidecars", "tasks with a progress.json")]
    for figure, key, what in rows:
        if args.only not in (None, figure):
            continue
        for label, _ in sources:
            values = [s[key] for s in samples[(figure, label)]]
            shown = ", ".join(f"{v:.2f}" for v in values)
            print(f"| {what} | {label} | {statistics.median(values):.2f} | {shown} |")


if __name__ == "__main__":
    main()
