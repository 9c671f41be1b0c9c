"""Runner benchmarks: batch throughput vs. the ideal (and GNU parallel / xargs), scheduling
latency, and a 200 MB output flood through the pty (integrity, speed, memory).

Run: .venv/bin/python benchmarks/bench_scheduler.py [--tasks 40] [--jobs 4] [--sleep 0.2] [--flood-mb 200]
Prints tables; not a test.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from pyruns_tui.runner import client, control
from pyruns_tui.workspace.bootstrap import ScriptInfo, write_script_info
from pyruns_tui.workspace.layout import PYRUNS_DIR, Layout
from pyruns_tui.workspace.model import Status, parse_iso
from pyruns_tui.workspace.store import NewTask, TaskStore

SETTINGS = "max_concurrency: {jobs}\nrunner_idle_exit_s: 30\n"


def make_workspace(root: Path, name: str, script_text: str, jobs: int) -> tuple[TaskStore, Path]:
    root.mkdir(parents=True, exist_ok=True)
    script = root / f"{name}.py"
    script.write_text(script_text)
    layout = Layout(root=root / PYRUNS_DIR, name=name)
    layout.tasks_dir.mkdir(parents=True, exist_ok=True)
    layout.settings_file.write_text(SETTINGS.format(jobs=jobs))
    write_script_info(layout, ScriptInfo(script=str(script), kind="plain"))
    return TaskStore(layout), script


def create(store: TaskStore, script: Path, count: int, prefix: str) -> list[str]:
    new = [NewTask(f"{prefix}{i}", {"i": i}) for i in range(count)]
    return [t.name for t in store.create_tasks(new, task_kind="plain", script=str(script))]


def interpreter_start_s(script: Path, runs: int = 15) -> float:
    """Median wall time of `python -c pass`: what every task pays before its own work."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run_batch(store: TaskStore, names: list[str]) -> tuple[float, float]:
    """(seconds from queue() to the last recorded finish, seconds until wait() returned)."""
    start_wall = time.time()
    start = time.perf_counter()
    control.queue(store, names)
    control.wait(store, names)
    waited = time.perf_counter() - start
    tasks = [store.get(n) for n in names]
    bad = [t.name for t in tasks if t.status is not Status.COMPLETED]
    if bad:
        raise SystemExit(f"tasks failed: {bad[:5]}")
    last = max(parse_iso(t.runs[-1].finish) or 0.0 for t in tasks)
    return last - start_wall, waited


def bench_throughput(base: Path, count: int, jobs: int, sleep_s: float) -> None:
    script_text = f"import time\ntime.sleep({sleep_s})\n"
    store, script = make_workspace(base / "tp", "sleep", script_text, jobs)
    startup = interpreter_start_s(script)
    rounds = -(-count // jobs)
    ideal = rounds * sleep_s
    ideal_plus = rounds * (sleep_s + startup)
    rows: list[tuple[str, float]] = []

    cold_names = create(store, script, count, "cold")
    cold, cold_wait = run_batch(store, cold_names)  # includes starting the runner
    rows.append(("pyruns, runner started on demand", cold))
    warm_names = create(store, script, count, "warm")
    warm, warm_wait = run_batch(store, warm_names)
    rows.append(("pyruns, runner already up", warm))
    rows.append(("pyruns, until `wait` returned (50 ms polls)", warm_wait))
    client.stop_runner(store.layout)

    start = time.perf_counter()
    subprocess.run(["xargs", "-P", str(jobs), "-n", "1", sys.executable, str(script)],
                   input="\n".join(map(str, range(count))), text=True, check=True,
                   stdout=subprocess.DEVNULL)
    rows.append((f"xargs -P {jobs} (no pty, no records)", time.perf_counter() - start))
    if shutil.which("parallel"):
        start = time.perf_counter()
        subprocess.run(["parallel", "-j", str(jobs), sys.executable, str(script), ":::", *map(str, range(count))],
                       check=True, stdout=subprocess.DEVNULL)
        rows.append((f"GNU parallel -j {jobs}", time.perf_counter() - start))
    else:
        rows.append(("GNU parallel (not installed)", float("nan")))

    print(f"\n## Throughput: {count} tasks x {sleep_s} s, {jobs} at once")
    print(f"ideal {ideal:.2f} s; ideal + interpreter start-ups ({startup * 1e3:.0f} ms x {rounds} rounds) {ideal_plus:.2f} s;"
          f" target < 1.3 x {ideal_plus:.2f} = {1.3 * ideal_plus:.2f} s\n")
    print(f"| {'what':<45} | {'seconds':>8} | {'x ideal+startups':>16} |")
    print(f"|{'-' * 47}|{'-' * 10}|{'-' * 18}|")
    for what, seconds in rows:
        print(f"| {what:<45} | {seconds:8.2f} | {seconds / ideal_plus:16.2f} |")


def bench_latency(base: Path, samples: int = 10) -> None:
    marker = base / "lat-end"
    script_text = f"import time\nopen({str(marker)!r}, 'a').write(repr(time.time()) + '\\n')\n"
    store, script = make_workspace(base / "lat", "lat", script_text, 1)
    names = create(store, script, samples + 1, "l")
    client.ensure_runner(store.layout)
    dispatch = []
    for name in names[:samples]:  # one at a time: queue() -> the runner marks it running
        queued = time.time()
        control.queue(store, [name])
        control.wait(store, [name])
        dispatch.append(parse_iso(store.get(name).runs[0].start) - queued)  # type: ignore[operator]
    # back to back with -j 1: process exit -> the runner notices -> the next one starts
    chain = create(store, script, samples + 1, "c")
    marker.write_text("")
    control.queue(store, chain)
    control.wait(store, chain)
    ends = [float(x) for x in marker.read_text().split()]
    tasks = [store.get(n) for n in chain]
    gaps = [parse_iso(b.runs[0].start) - parse_iso(a.runs[0].finish) for a, b in zip(tasks, tasks[1:])]  # type: ignore[operator]
    notice = [parse_iso(t.runs[0].finish) - end for t, end in zip(tasks, ends)]  # type: ignore[operator]
    client.stop_runner(store.layout)
    print("\n## Scheduling latency (runner up, medians over "
          f"{samples} samples; includes the task_info.json writes)\n")
    print(f"| {'what':<52} | {'median ms':>9} | {'max ms':>7} |")
    print(f"|{'-' * 54}|{'-' * 11}|{'-' * 9}|")
    for what, values in (
        ("queue() -> task marked running", dispatch),
        ("task's last line -> runner records the finish", notice),
        ("finish recorded -> next queued task running", gaps),
    ):
        print(f"| {what:<52} | {statistics.median(values) * 1e3:9.1f} | {max(values) * 1e3:7.1f} |")


def bench_flood(base: Path, megabytes: int) -> None:
    size = megabytes * 2**20
    script_text = (
        "import sys\nblock = bytes(range(256)) * 256\nout = sys.stdout.buffer\n"
        f"for i in range({size} // len(block)):\n    out.write(block[i % 256:] + block[:i % 256])\n"
    )
    store, script = make_workspace(base / "flood", "flood", script_text, 1)
    start = time.perf_counter()
    direct = subprocess.run([sys.executable, str(script)], capture_output=True, check=True).stdout
    direct_s = time.perf_counter() - start
    expected = hashlib.sha256(direct).hexdigest()
    del direct
    (name,) = create(store, script, 1, "flood")
    client.ensure_runner(store.layout)
    runner = psutil.Process(client.runner_info(store.layout).pid)  # type: ignore[union-attr]
    start = time.perf_counter()
    control.queue(store, [name])
    runner_peak = supervisor_peak = 0
    while store.get(name).status in (Status.QUEUED, Status.RUNNING):
        runner_peak = max(runner_peak, runner.memory_info().rss)
        for child in runner.children():
            try:
                supervisor_peak = max(supervisor_peak, child.memory_info().rss)
            except psutil.Error:
                pass
        time.sleep(0.02)
    flood_s = time.perf_counter() - start
    log = store.layout.run_log(name, 1)
    digest = hashlib.sha256()
    with open(log, "rb") as fh:
        while chunk := fh.read(1 << 22):
            digest.update(chunk)
    client.stop_runner(store.layout)
    intact = digest.hexdigest() == expected and log.stat().st_size == size
    print(f"\n## Output flood: {megabytes} MB as fast as possible\n")
    print(f"| {'what':<40} | {'value':>14} |")
    print(f"|{'-' * 42}|{'-' * 16}|")
    print(f"| {'direct to a pipe':<40} | {direct_s:11.2f} s  |")
    print(f"| {'through pyruns (pty -> supervisor -> log)':<40} | {flood_s:11.2f} s  |")
    print(f"| {'throughput':<40} | {megabytes / flood_s:9.1f} MB/s |")
    print(f"| {'log identical (sha256, size)':<40} | {str(intact):>14} |")
    print(f"| {'runner peak RSS':<40} | {runner_peak / 2**20:10.1f} MB  |")
    print(f"| {'supervisor peak RSS':<40} | {supervisor_peak / 2**20:10.1f} MB  |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=40)
    parser.add_argument("--jobs", type=int, default=4)
    parser.add_argument("--sleep", type=float, default=0.2)
    parser.add_argument("--flood-mb", type=int, default=200)
    args = parser.parse_args()
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"python {sys.version.split()[0]}, {psutil.cpu_count()} CPUs, load average {load} (other work slows every row alike)")
    with tempfile.TemporaryDirectory(prefix="pyruns-bench-") as tmp:
        base = Path(tmp)
        bench_throughput(base, args.tasks, args.jobs, args.sleep)
        bench_latency(base)
        bench_flood(base, args.flood_mb)


if __name__ == "__main__":
    main()
