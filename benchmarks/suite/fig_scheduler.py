"""Figure 3: a batch of short tasks through our runner vs GNU parallel vs `pyr run -j`."""

from __future__ import annotations

import itertools
import sys
from collections.abc import Callable

from ptyfloor import build as build_ptyfloor

from suite.context import TASK_ARGS, Context, stop_our_runner
from suite.harness import Goal, Measurement, run_cmd, side_by_side, timed_cmd

NOOP_SCRIPT = TASK_ARGS
FLOOR = "floor: xargs -P, a pty per task (C)"
SLEEP_SCRIPT = NOOP_SCRIPT + "import time\ntime.sleep({seconds})\n"


def batch(ctx: Context, key: str, label: str, count: int, jobs: int,
          script: str) -> list[Measurement]:
    """Wall seconds from the command to the last task finished, every task completed.

    Two rows share the peers' samples: ours with the runner started by the command (cold) and
    with the runner already up (warm), all interleaved in one loop.
    """
    ours_root = ctx.ours_workspace(f"sched-ours-{key}", "task.py", script)
    batches = itertools.count()
    made: list[str] = []

    def fresh_run() -> list[str]:
        """`pyr-tui run` of a batch made for this sample (the last one goes to the trash), as a
        user runs the sweep they just generated: rerunning one batch would time task records
        that grow by a run per sample. Made and trashed outside the timing."""
        if made:
            run_cmd(ctx.ours.cmd(ours_root, "rm", *made))
        made[:] = ctx.ours_gen(ours_root, f"i: 0:{count}\n", f"t{next(batches)}")
        return ctx.ours.cmd(ours_root, "run", "-j", str(jobs), "--wait", *made)

    def cold() -> float:
        stop_our_runner(ctx, ours_root, tasks=False)
        return timed_cmd(fresh_run(), timeout=600)

    def warm() -> float:
        run = fresh_run()
        run_cmd(ctx.ours.cmd(ours_root, "runner", "start"))
        return timed_cmd(run, timeout=600)

    peers: dict[str, Callable[[], float] | None] = {"ours, runner up": warm, "GNU parallel": None,
                                                     "pyruns": None, "xargs -P": None, FLOOR: None}
    floor_status = ctx.peers.parallel_status
    if ctx.peers.parallel is not None:
        par = [ctx.peers.parallel.path, "--will-cite", "-j", str(jobs), sys.executable,
               str(ours_root / "task.py"), "--i", "{}", ":::", *map(str, range(count))]
        peers["GNU parallel"] = lambda: timed_cmd(par, ours_root, timeout=600)
        xargs = ["sh", "-c", f"seq 0 {count - 1} | xargs -P {jobs} -I@ {sys.executable} task.py --i @"]
        peers["xargs -P"] = lambda: timed_cmd(xargs, ours_root, timeout=600)
        try:
            ptyfloor = build_ptyfloor(ctx.scratch / "ptyfloor")
        except RuntimeError as exc:
            floor_status = f"not measured: {exc}"
        else:
            floor = ["sh", "-c", f"seq 0 {count - 1} | xargs -P {jobs} -I@ {ptyfloor} log.@ "
                     f"{sys.executable} task.py --i @"]
            peers[FLOOR] = lambda: timed_cmd(floor, ours_root, timeout=600)
    if ctx.pyruns is not None:
        proot = ctx.pyruns_workspace(f"sched-pyruns-{key}", "task.py", script)
        pnames = ctx.pyruns_add(proot, "task", f"i: '(0, {count})'\n", "t")
        prun = ctx.pyruns.cmd(proot, "task", "run", "-j", str(jobs), *pnames)
        peers["pyruns"] = lambda: timed_cmd(prun, timeout=1200)

    ours_cold, samples = side_by_side(cold, peers, ctx.mode.repeats, ctx.mode.peer_budget_s)
    stop_our_runner(ctx, ours_root, tasks=False)
    for name, sampler in peers.items():
        if sampler is None:
            samples[name].status = (ctx.peers.pyruns_status if name == "pyruns" else
                                    floor_status if name == FLOOR else ctx.peers.parallel_status)
    ours_warm = samples.pop("ours, runner up")
    rows = []
    for variant, ours in (("cold", ours_cold), ("warm", ours_warm)):
        started = "started by the command" if variant == "cold" else "already up"
        m = Measurement(f"scheduler.{key}.{variant}", 3,
                        f"{count} x {label} tasks at -j {jobs}, our runner {started}", "s",
                        goals=[Goal("within 1.3x of GNU parallel", "within", 1.3, "GNU parallel"),
                               Goal(">= 3x faster than pyruns", "faster", 3, "pyruns"),
                               # issue 21 item 1: ahead of GNU parallel, near the bare fork+exec
                               Goal("faster than GNU parallel", "faster", 1.0, "GNU parallel"),
                               Goal("within 1.05x of xargs -P", "within", 1.05, "xargs -P")])
        m.ours, m.peers = ours, samples
        m.notes.append(f"a fresh batch per sample (made and the last one trashed untimed); ours: `pyr-tui run -j {jobs} --wait` "
                       "(a pty per task, run records on disk); pyruns: `pyr run -j "
                       f"{jobs}` (waits); GNU parallel / xargs: the bare script, nothing recorded")
        m.notes.append(f"{FLOOR}: xargs -P running each task under benchmarks/ptyfloor.c (the task "
                       "on a pty of its own, its output copied to a log file by C, nothing else "
                       "recorded): what a pty per task costs by itself")
        if variant == "cold":
            m.notes.append("cold: `pyr-tui runner stop` before each sample, so the command also "
                           "starts the detached runner (as after its idle exit)")
        rows.append(m)
    return rows


def sleep_batch(ctx: Context) -> list[Measurement]:
    count, jobs, seconds = ctx.mode.sleep_batch
    return batch(ctx, "sleep", f"{seconds} s", count, jobs, SLEEP_SCRIPT.format(seconds=seconds))


def noop_batch(ctx: Context) -> list[Measurement]:
    count, jobs = ctx.mode.noop_batch
    return batch(ctx, "noop", "no-op", count, jobs, NOOP_SCRIPT)
