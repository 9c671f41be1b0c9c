"""Figure 7: memory: the runner with a big queue, the TUI with a big workspace."""

from __future__ import annotations

import time

import psutil

from suite.context import (
    Context,
    kill_pyruns_runners,
    pyruns_runner_procs,
    stop_our_runner,
    tree_rss_mb,
    wait_runner_state,
)
from suite.harness import BenchError, Goal, Measurement, Samples, run_cmd
from suite.terminals import Tmux, app_process


def _task_names(root_tasks: list[str]) -> list[str]:
    return sorted(root_tasks, key=lambda n: int(n.split("_")[1].split("-")[0]))


def runner_rss(ctx: Context, count: int) -> Measurement:
    """RSS of the runner with `count` tasks handed to it at -j 1 (one sleeping, the rest queued)."""
    m = Measurement(f"memory.runner.{count}", 7, f"runner RSS with {count:,} tasks queued", "MB",
                    goals=[Goal("< 150 MB", "below", 150)])
    root = ctx.sweep_fixture("ours", count)
    tasks_dir = root / "_pyruns_" / "sweep" / "tasks"
    names = _task_names([p.name for p in tasks_dir.iterdir() if not p.name.startswith(".")])
    stop_our_runner(ctx, root)
    try:
        run_cmd(ctx.ours.cmd(root, "run", "-j", "1", *names), timeout=600)
        status = wait_runner_state(ctx, root, 1, count - 1, 300)
        runner = psutil.Process(status["runner"]["pid"])
        with_supervisor = []
        for _ in range(ctx.mode.repeats):
            time.sleep(0.5)
            m.ours.values.append(tree_rss_mb(runner, children=False))
            with_supervisor.append(tree_rss_mb(runner, children=True))
        m.extra["runner_plus_supervisors_mb"] = with_supervisor
    finally:
        stop_our_runner(ctx, root)
    m.peers = {"pyruns": _pyruns_runner_rss(ctx, count) if ctx.pyruns else
               Samples(status=ctx.peers.pyruns_status)}
    m.notes.append("`pyr-tui run -j 1` of every task of a gen'd sweep (tasks sleep), RSS once the "
                   "runner reports 1 running + the rest queued; samples 0.5 s apart; the runner "
                   "process alone (with its supervisor: results.json)")
    return m


def _pyruns_runner_rss(ctx: Context, count: int) -> Samples:
    """RSS of pyruns' hidden runner after `pyr run -d -j 1` of `count` tasks."""
    assert ctx.pyruns is not None
    samples = Samples()
    root = ctx.sweep_fixture("pyruns", count)
    names = _task_names([p.name for p in (root / "_pyruns_" / "sweep" / "tasks").iterdir()
                         if not p.name.startswith(".")])
    begin = time.perf_counter()
    try:
        try:
            run_cmd(ctx.pyruns.cmd(root, "sweep", "run", "-d", "-j", "1", *names), timeout=1800)
        except BenchError as exc:
            reason = str(exc).split(": ", 1)[-1].split(" | ")[0]
            raise BenchError(f"`pyr run -d -j 1` of {count:,} tasks failed after "
                             f"{time.perf_counter() - begin:.0f} s: {reason}") from exc
        procs = pyruns_runner_procs(root)
        if len(procs) != 1:
            raise BenchError(f"expected one pyruns runner, found {len(procs)}")
        for _ in range(ctx.mode.repeats):
            time.sleep(0.5)
            samples.values.append(tree_rss_mb(procs[0], children=False))
    except BenchError as exc:
        samples.status = f"error: {exc}"
    finally:
        kill_pyruns_runners(root)
    return samples


def tui_rss(ctx: Context, count: int) -> Measurement:
    """Peak RSS of `pyr-tui` (Manager) on a `count`-task workspace in tmux, once it settled."""
    m = Measurement(f"memory.tui.{count}", 7, f"TUI RSS with {count:,} tasks (Manager)", "MB",
                    goals=[Goal("< 300 MB", "below", 300)])
    root = ctx.sweep_fixture("ours", count)
    tmux = Tmux("rss")
    opened = []
    try:
        for _ in range(ctx.mode.repeats):
            begin = time.perf_counter()
            session = tmux.start([*ctx.ours.argv], root, size=(120, 40))
            tmux.wait_screen(session, f"-of-{count}", 120)
            opened.append(time.perf_counter() - begin)
            app = app_process(tmux.pane_pid(session))
            m.ours.values.append(_settled_peak_mb(app))
            tmux.kill(session)
    finally:
        tmux.close()
    m.extra["first_task_on_screen_s"] = opened
    m.peers = {"pyruns": Samples(status="not applicable (web UI only)")}
    m.notes.append("120x40 tmux; peak RSS sampled every 0.25 s until it grew < 1 % in 2 s "
                   "(index of configs loaded)")
    return m


def _settled_peak_mb(proc: psutil.Process, timeout_s: float = 30.0) -> float:
    peak, stable_since = 0.0, time.monotonic()
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        rss = tree_rss_mb(proc, children=False)
        if rss > peak * 1.01:
            stable_since = time.monotonic()
        peak = max(peak, rss)
        if time.monotonic() - stable_since > 2.0:
            break
        time.sleep(0.25)
    return peak

