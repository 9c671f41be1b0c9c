"""The Manager screen at scale: open time, search keystroke re-filter time and RSS with 10,000 tasks.

Run: .venv/bin/python benchmarks/bench_manager.py [--tasks N] [--datatable]  (prints a table; not a test)

A workspace is generated with `TaskStore.create_tasks` (5 params each; a tenth of the tasks
finished, with a run and a metrics.jsonl). Each measurement runs the real app headless
(`App.run_test`) in a fresh process, with the disk watcher on as in real use.
- open, first screen: from creating the app to the screen refreshed with tasks in the table (from
  10,000 tasks the first page, WorkspaceState.first_page, before the rest are read)
- open, first paint: from creating the app to the screen refreshed with every task in the table
  (params may follow)
- open, complete: until every task's config and metrics are indexed (search ready)
- keystroke: `set_search(prefix)` + one repaint, for each prefix of a typed query
Wall times depend on how busy the machine is (the load average is printed); the CPU time of the
process is printed too.
`--datatable` also times Textual's DataTable with the same row count, the reason the Manager
has its own virtualised table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

QUERIES = ("lr>=0.01 opt:adam", "sweep_12", "status:completed loss<0.3", "model.depth:34 -seed:3")


def build_workspace(root: Path, count: int) -> Path:
    from pyruns_tui.workspace.bootstrap import ScriptInfo, write_script_info
    from pyruns_tui.workspace.layout import PYRUNS_DIR, Layout
    from pyruns_tui.workspace.model import Run, Status
    from pyruns_tui.workspace.store import NewTask, TaskStore

    layout = Layout(root=root / PYRUNS_DIR, name="train")
    layout.tasks_dir.mkdir(parents=True)
    write_script_info(layout, ScriptInfo(script=str(root / "train.py"), kind="argparse",
                                         pinned_params=["lr", "model.depth", "opt"]))
    store = TaskStore(layout)
    lrs = (0.1, 0.03, 0.01, 0.003, 0.001)
    new = [NewTask(f"sweep_{i + 1}-of-{count}", {"lr": lrs[i % 5], "model": {"depth": (18, 34, 50)[i % 3]},
                                                  "opt": ("adam", "sgd")[i % 2], "seed": i % 7, "batch": 64})
           for i in range(count)]
    store.create_tasks(new, task_kind="argparse", script="train.py")

    def finish(task):  # type: ignore[no-untyped-def]
        task.status = Status.COMPLETED
        task.runs = [Run(index=1, status=Status.COMPLETED, start="2026-01-01T10:00:00.000+00:00",
                         finish="2026-01-01T10:05:00.000+00:00", duration_s=300.0, pid=1000, exit_code=0, gpus=[0])]

    for i in range(0, count, 10):
        name = new[i].name
        store.update(name, finish)
        rows = [json.dumps({"step": s, "loss": 1.0 / (s + 1 + i % 5), "acc": s / 100}) for s in range(50)]
        layout.metrics_file(name).write_text("\n".join(rows) + "\n")
    return root


async def _measure(root: Path, queries: tuple[str, ...], workspace: str = "train") -> dict[str, object]:
    import psutil

    from pyruns_tui.tui.app import PyrunsApp
    from pyruns_tui.tui.screens.manager import ManagerScreen
    from pyruns_tui.workspace.layout import PYRUNS_DIR, Layout

    layout = Layout(root=root / PYRUNS_DIR, name=workspace)
    total = sum(1 for p in layout.tasks_dir.iterdir() if not p.name.startswith("."))
    start, cpu_start = time.perf_counter(), time.process_time()
    app = PyrunsApp(layout, start_mode="manager", watch_disk=True)
    result: dict[str, object] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, ManagerScreen)
        browser = screen.browser
        while not screen.table.rows:
            await asyncio.sleep(0.005)
        shown = asyncio.Event()
        screen.call_after_refresh(shown.set)
        await shown.wait()
        result["first_screen_s"] = time.perf_counter() - start
        result["first_screen_rows"] = len(screen.table.rows)
        result["first_screen_status"] = str(screen.query_one("#manager-status").render())
        while len(screen.table.rows) < total:
            await asyncio.sleep(0.005)
        # until the screen was refreshed with those rows; not `pilot.pause()`, which waits until the
        # whole process is idle (up to 1 s), i.e. also for the configs still being read in a thread
        painted = asyncio.Event()
        screen.call_after_refresh(painted.set)
        await painted.wait()
        result["first_paint_s"] = time.perf_counter() - start
        result["first_paint_cpu_s"] = time.process_time() - cpu_start
        while not all(e.config_loaded for e in browser.index.entries.values()) or not browser.settled:
            await asyncio.sleep(0.005)
        browser.set_search("")
        await pilot.pause()
        result["complete_s"] = time.perf_counter() - start
        result["complete_cpu_s"] = time.process_time() - cpu_start
        per_key: list[float] = []
        per_key_cpu: list[float] = []
        for query in queries:
            for end in range(1, len(query) + 1):
                begin, cpu_begin = time.perf_counter(), time.thread_time()
                browser.set_search(query[:end])
                await pilot.pause()
                per_key.append(time.perf_counter() - begin)
                per_key_cpu.append(time.thread_time() - cpu_begin)  # the UI thread's own work
            result.setdefault("matches", {})[query] = len(screen.table.rows)  # type: ignore[index]
        browser.set_search("")
        await pilot.pause()
        result["key_median_ms"] = statistics.median(per_key) * 1e3
        result["key_p95_ms"] = sorted(per_key)[int(len(per_key) * 0.95)] * 1e3
        result["key_max_ms"] = max(per_key) * 1e3
        result["keys"] = len(per_key)
        result["key_cpu_median_ms"] = statistics.median(per_key_cpu) * 1e3
        result["key_cpu_p95_ms"] = sorted(per_key_cpu)[int(len(per_key_cpu) * 0.95)] * 1e3
        result["rss_mb"] = psutil.Process().memory_info().rss / 2**20
        result["load"] = os.getloadavg()[0]
        exit_start = time.perf_counter()
    result["exit_s"] = time.perf_counter() - exit_start
    return result


def _datatable(count: int) -> dict[str, float]:
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable

    rows = [("✔ completed", f"sweep_{i}", "0.01", "34", "adam", "11-23 18:43", "5m00s", "1", "0", "0.25")
            for i in range(count)]

    class TableApp(App[None]):
        def compose(self) -> ComposeResult:
            yield DataTable()

    async def run() -> dict[str, float]:
        app = TableApp()
        async with app.run_test(size=(120, 40)) as pilot:
            table = app.query_one(DataTable)
            begin = time.thread_time()
            table.add_columns(*(f"c{i}" for i in range(10)))
            table.add_rows(rows)
            await pilot.pause()
            fill = time.thread_time() - begin
            begin = time.thread_time()
            table.clear()
            table.add_rows(rows[: count // 2])
            await pilot.pause()
            return {"datatable_fill_s": fill, "datatable_refilter_s": time.thread_time() - begin}

    return asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--datatable", action="store_true", help="also time Textual's DataTable")
    parser.add_argument("--child", metavar="ROOT", help=argparse.SUPPRESS)
    parser.add_argument("--workspace", default="train", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(_measure(Path(args.child), QUERIES, args.workspace))))
        return
    with tempfile.TemporaryDirectory() as tmp:
        begin = time.perf_counter()
        root = build_workspace(Path(tmp), args.tasks)
        print(f"workspace with {args.tasks} tasks built in {time.perf_counter() - begin:.1f}s")
        runs = []
        for label in ("first open", "second open"):
            out = subprocess.run([sys.executable, __file__, "--child", str(root)], check=True,
                                 capture_output=True, text=True).stdout
            runs.append((label, json.loads(out.strip().splitlines()[-1])))
    print(f"\n{'run':<12} {'first screen':>12} {'first paint':>12} {'complete':>10} {'key median':>11} {'key p95':>9} "
          f"{'key max':>9} {'RSS':>8} {'load':>6}")
    for label, r in runs:
        print(f"{label:<12} {r['first_screen_s']:>11.2f}s {r['first_paint_s']:>11.2f}s {r['complete_s']:>9.2f}s {r['key_median_ms']:>9.1f}ms "
              f"{r['key_p95_ms']:>7.1f}ms {r['key_max_ms']:>7.1f}ms {r['rss_mb']:>6.0f}MB {r['load']:>6.1f}")
    print("CPU time (open: all threads of the process; keystroke: the UI thread) — what an idle machine would take:")
    for label, r in runs:
        print(f"{label:<12} {r['first_paint_cpu_s']:>11.2f}s {r['complete_cpu_s']:>9.2f}s {r['key_cpu_median_ms']:>9.1f}ms "
              f"{r['key_cpu_p95_ms']:>7.1f}ms")
    print(f"\n({runs[0][1]['keys']} keystrokes; matches: {runs[0][1]['matches']})")
    if args.datatable:
        numbers = _datatable(args.tasks)
        print(f"\nTextual DataTable, {args.tasks} rows x 10 columns (UI thread CPU): fill + paint "
              f"{numbers['datatable_fill_s']:.2f}s, clear + re-add half {numbers['datatable_refilter_s']:.2f}s")


if __name__ == "__main__":
    main()
