"""Figures 1 and 2: creating a grid of tasks on disk, listing them, opening the Manager on them."""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable

from suite.context import SWEEP_SCRIPT, Context, count_task_dirs, ours_sweep_spec, pyruns_sweep_spec
from suite.harness import BenchError, Goal, Measurement, Sampler, Samples, run_cmd, side_by_side, timed_cmd
from suite.peers import BENCH_DIR


def _peer_samplers(ctx: Context, pyruns: Callable[[], float]) -> dict[str, Callable[[], float] | None]:
    return {"pyruns": pyruns if ctx.pyruns is not None else None}


def _mark_missing(ctx: Context, peers: dict[str, Samples]) -> None:
    if ctx.pyruns is None:
        peers["pyruns"].status = ctx.peers.pyruns_status


def create(ctx: Context, count: int) -> Measurement:
    """`pyr-tui gen` vs `pyr add` of the same grid into an empty workspace, wall seconds."""
    m = Measurement(f"create.{count}", 1, f"create a {count:,}-task grid on disk", "s",
                    goals=[Goal(">= 10x faster than pyruns", "faster", 10, "pyruns")])

    def ours() -> float:
        root = ctx.ours_workspace(f"ours-create-{count}", "sweep.py", SWEEP_SCRIPT)
        (root / "s.yaml").write_text(ours_sweep_spec(count))
        seconds = timed_cmd(ctx.ours.cmd(root, "gen", "s.yaml", "-n", "s"), timeout=1800)
        made = count_task_dirs(root / "_pyruns_" / "sweep" / "tasks")
        if made != count:
            raise BenchError(f"pyr-tui gen made {made} tasks, expected {count}")
        ctx.keep_fixture("ours", count, root)
        return seconds

    def pyruns() -> float:
        assert ctx.pyruns is not None
        root = ctx.pyruns_workspace(f"pyruns-create-{count}", "sweep.py", SWEEP_SCRIPT)
        (root / "s.yaml").write_text(pyruns_sweep_spec(count))
        seconds = timed_cmd(ctx.pyruns.cmd(root, "sweep", "add", str(root / "s.yaml"), "-n", "s"),
                            timeout=3600)
        made = count_task_dirs(root / "_pyruns_" / "sweep" / "tasks")
        if made != count:
            raise BenchError(f"pyr add made {made} tasks, expected {count}")
        ctx.keep_fixture("pyruns", count, root)
        return seconds

    m.ours, m.peers = side_by_side(ours, _peer_samplers(ctx, pyruns), ctx.mode.repeats,
                                   ctx.mode.peer_budget_s)
    _mark_missing(ctx, m.peers)
    m.notes.append("each sample: a fresh workspace, one CLI call, timed until it exits")
    return m


def listing(ctx: Context, count: int) -> Measurement:
    """`pyr-tui ls` vs `pyr ls` of every task (warm page cache: one untimed call first)."""
    m = Measurement(f"list.{count}", 2, f"list {count:,} tasks (`ls`)", "s",
                    goals=[Goal(">= 5x faster than pyruns", "faster", 5, "pyruns")])
    ours_root = ctx.sweep_fixture("ours", count)
    ours_cmd = ctx.ours.cmd(ours_root, "ls")
    timed_cmd(ours_cmd, min_lines=count)
    samplers: dict[str, Sampler | None] = {}
    if ctx.pyruns is not None:
        peer_cmd = ctx.pyruns.cmd(ctx.sweep_fixture("pyruns", count), "sweep", "ls")
        timed_cmd(peer_cmd, min_lines=count, timeout=1800)
        samplers["pyruns"] = lambda: timed_cmd(peer_cmd, min_lines=count, timeout=1800)
    else:
        samplers["pyruns"] = None
    m.ours, m.peers = side_by_side(lambda: timed_cmd(ours_cmd, min_lines=count), samplers,
                                   ctx.mode.repeats, ctx.mode.peer_budget_s)
    _mark_missing(ctx, m.peers)
    m.notes.append("output read through a pipe; both print one line per task")
    return m


def manager_open(ctx: Context, count: int) -> Measurement:
    """Open the Manager on `count` tasks: bench_manager's headless app run in a fresh process."""
    m = Measurement(f"list.manager_open.{count}", 2, f"TUI Manager open with {count:,} tasks", "s",
                    goals=[Goal("< 1.5 s", "below", 1.5)])
    sys.path.insert(0, str(BENCH_DIR))
    try:
        import bench_manager  # the Manager room's benchmark; only its functions are used here
    except Exception as exc:  # noqa: BLE001 - a half-written sibling script must not stop the run
        raise BenchError(f"cannot import benchmarks/bench_manager.py: {exc}") from exc
    root = ctx.fresh_dir(f"manager-{count}")
    bench_manager.build_workspace(root, count)
    complete, rss = [], []
    for _ in range(ctx.mode.repeats):
        out = run_cmd([sys.executable, str(BENCH_DIR / "bench_manager.py"), "--child", str(root)],
                      timeout=600)
        result = json.loads(out.strip().splitlines()[-1])
        m.ours.values.append(float(result["first_paint_s"]))
        complete.append(float(result["complete_s"]))
        rss.append(float(result["rss_mb"]))
    shutil.rmtree(root, ignore_errors=True)
    m.extra = {"complete_s": complete, "rss_mb_headless": rss}
    m.notes.append("bench_manager.py: app created -> table shows every task (headless Textual, "
                   f"120x40); search ready (configs and metrics indexed) after a median "
                   f"{sorted(complete)[len(complete) // 2]:.2f} s; no peer (pyruns has a web UI only)")
    return m
