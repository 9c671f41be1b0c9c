"""Figures 5 and 6: start-up (help, first frame, import in a user script) and idle cost."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import psutil

from suite.context import (
    TASK_ARGS,
    Context,
    kill_pyruns_runners,
    pyruns_runner_procs,
    runner_status,
    stop_our_runner,
    wait_runner_state,
)
from suite.harness import BenchError, Goal, Measurement, Samples, bench_env, run_cmd, side_by_side, timed_cmd
from suite.peers import REPO
from suite.terminals import PtyApp, Tmux, cpu_seconds, with_descendants

DEMO = REPO / "demo_scripts" / "train.py"
DEMO_PARAM = "dropout"  # a parameter of demo_scripts/train.py shown in the Generator form
SLEEPER = TASK_ARGS + "import time\ntime.sleep(3600)\n"
IDLE_TASKS = 8


def help_time(ctx: Context) -> Measurement:
    m = Measurement("startup.help", 5, "`--help` wall time", "s", goals=[Goal("< 0.3 s", "below", 0.3)])
    bare = [ctx.ours.python, "-c", "pass"]
    peers = {"pyruns": None, "floor: python -c pass": lambda: timed_cmd(bare)}
    if ctx.pyruns is not None:
        peer = [str(ctx.pyruns.pyr), "--help"]
        peers["pyruns"] = lambda: timed_cmd(peer)
    ours = [*ctx.ours.argv, "--help"]
    timed_cmd(ours)  # bytecode cache written once, as after an install
    m.ours, m.peers = side_by_side(lambda: timed_cmd(ours), peers, max(ctx.mode.repeats, 5))
    if ctx.pyruns is None:
        m.peers["pyruns"].status = ctx.peers.pyruns_status
    m.notes.append("floor: a bare interpreter start, what every Python CLI pays on this machine")
    return m


TEXTUAL_FLOOR = """\
from textual.app import App, ComposeResult
from textual.widgets import Footer, Header, Static


class Floor(App[None]):
    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("dropout")
        yield Footer()


Floor().run()
"""


def first_frame(ctx: Context) -> list[Measurement]:
    """`pyr-tui demo_scripts/train.py` in a 100x30 tmux until a parameter name is on screen.

    Interleaved: a fresh folder (the workspace is bootstrapped first), the same folder again
    (workspace exists), and the floor: a bare Textual app (header, one label, footer).
    """
    tmux = Tmux("frame")
    reopen_root = ctx.fresh_dir("first-frame-reopen")
    shutil.copy(DEMO, reopen_root / "train.py")
    floor = ctx.scratch / "textual_floor.py"
    floor.write_text(TEXTUAL_FLOOR)

    def frame(cmd: list[str], root: Path) -> float:
        begin = time.perf_counter()
        session = tmux.start(cmd, root)
        try:
            tmux.wait_screen(session, DEMO_PARAM, 60)
            return time.perf_counter() - begin
        finally:
            tmux.kill(session)

    def fresh() -> float:
        root = ctx.fresh_dir("first-frame")
        shutil.copy(DEMO, root / "train.py")
        return frame([*ctx.ours.argv, "train.py"], root)

    try:
        frame([*ctx.ours.argv, "train.py"], reopen_root)  # bootstrap once, untimed
        ours, others = side_by_side(fresh, {
            "reopen": lambda: frame([*ctx.ours.argv, "train.py"], reopen_root),
            "floor: bare Textual app": lambda: frame([ctx.ours.python, str(floor)], ctx.scratch)},
            ctx.mode.repeats)
    finally:
        tmux.close()
    rows = []
    for key, title, samples in (
            ("first_frame", "first frame of `pyr-tui demo_scripts/train.py`, new workspace", ours),
            ("first_frame_reopen", "first frame of `pyr-tui demo_scripts/train.py`, workspace "
             "exists", others["reopen"])):
        m = Measurement(f"startup.{key}", 5, title, "s", goals=[Goal("< 1 s", "below", 1.0)])
        m.ours = samples
        m.peers = {"floor: bare Textual app": others["floor: bare Textual app"],
                   "pyruns": Samples(status="not applicable (web UI only)")}
        m.notes.append("tmux 100x30, from `new-session` until the parameter name is on screen "
                       "(capture-pane every 10 ms)" + ("; a fresh folder each sample, so it "
                       "includes bootstrapping (static argparse scan, config_default.yaml)"
                       if key == "first_frame" else ""))
        rows.append(m)
    rows[0].notes.append("floor: a Textual app with a header, one label and a footer, timed the "
                         "same way: what any Textual app pays on this machine")
    return rows


def import_time(ctx: Context) -> Measurement:
    """`python -c 'import X'` minus `python -c pass`, pairwise, in a fresh interpreter each time."""
    m = Measurement("startup.import", 5, "`import pyruns_tui` in a user script (over a bare "
                    "interpreter)", "ms", goals=[Goal("< 30 ms", "below", 30)])

    def sampler(python: str, module: str) -> Callable[[], float]:
        run_cmd([python, "-c", f"import {module}"])  # bytecode cache

        def sample() -> float:
            bare = timed_cmd([python, "-c", "pass"])
            loaded = timed_cmd([python, "-c", f"import {module}"])
            return (loaded - bare) * 1e3
        return sample

    peers = {"pyruns": sampler(str(ctx.pyruns.python), "pyruns") if ctx.pyruns else None}
    repeats = max(ctx.mode.repeats, 5) * (3 if not ctx.mode.quick else 1)
    m.ours, m.peers = side_by_side(sampler(ctx.ours.python, "pyruns_tui"), peers, repeats)
    if ctx.pyruns is None:
        m.peers["pyruns"].status = ctx.peers.pyruns_status
    m.notes.append("each sample: `python -c pass` then `python -c 'import X'`, the difference; "
                   "pyruns: `import pyruns` in its venv (its script API lives there too)")
    return m


def idle(ctx: Context) -> list[Measurement]:
    """CPU and terminal output of an idle TUI and of the runner with 8 sleeping tasks."""
    tui_cpu = Measurement("idle.tui_cpu", 6, f"TUI CPU, Manager open, {IDLE_TASKS} running "
                          "(sleeping) tasks", "%", goals=[Goal("< 3 %", "below", 3)])
    runner_cpu = Measurement("idle.runner_cpu", 6, f"runner CPU with {IDLE_TASKS} running "
                             "(sleeping) tasks", "%", goals=[Goal("< 1 %", "below", 1)])
    tty = Measurement("idle.tui_bytes", 6, "terminal bytes/s written by that idle TUI", "B/s",
                      goals=[Goal("< 1 kB/s", "below", 1000)])
    root = ctx.ours_workspace("idle-ours", "sleeper.py", SLEEPER)
    names = ctx.ours_gen(root, f"i: 0:{IDLE_TASKS}\n", "idle")
    run_cmd(ctx.ours.cmd(root, "run", "-j", str(IDLE_TASKS), *names))
    status = wait_runner_state(ctx, root, IDLE_TASKS, 0, 60)
    runner = psutil.Process(status["runner"]["pid"])
    app = PtyApp([*ctx.ours.argv], root)
    try:
        app.wait_output(names[0].encode(), 60)
        time.sleep(3.0)  # the index finishes loading, the first refreshes settle
        runner_main: list[float] = []
        for _ in range(ctx.mode.repeats):
            tui_procs, runner_procs = with_descendants(app.proc), with_descendants(runner)
            cpu_app, cpu_run, cpu_main = cpu_seconds(tui_procs), cpu_seconds(runner_procs), cpu_seconds([runner])
            written, begin = app.bytes_written(), time.perf_counter()
            time.sleep(ctx.mode.window_s)
            wall = time.perf_counter() - begin
            tui_cpu.ours.values.append(100 * (cpu_seconds(tui_procs) - cpu_app) / wall)
            runner_cpu.ours.values.append(100 * (cpu_seconds(runner_procs) - cpu_run) / wall)
            runner_main.append(100 * (cpu_seconds([runner]) - cpu_main) / wall)
            tty.ours.values.append((app.bytes_written() - written) / wall)
        still = len(runner_status(ctx, root)["tasks"]["running"])
        if still != IDLE_TASKS:
            raise BenchError(f"only {still} of {IDLE_TASKS} tasks still running after the windows")
    finally:
        app.close()
        stop_our_runner(ctx, root)
    runner_cpu.extra["runner_process_only_pct"] = runner_main
    runner_cpu.peers = {"pyruns": _pyruns_idle(ctx) if ctx.pyruns else
                        Samples(status=ctx.peers.pyruns_status)}
    tui_cpu.peers = tty.peers = {"pyruns": Samples(status="not applicable (web UI only)")}
    window = f"{ctx.mode.repeats} windows of {ctx.mode.window_s:.0f} s, 3 s after the first frame"
    tui_cpu.notes.append(f"`pyr-tui` on a 100x30 pty owned by the benchmark; {window}")
    runner_cpu.notes.append("the runner process and everything under it (per-task supervisors, "
                            "the sleeping tasks); runner process alone in results.json")
    tty.notes.append(f"every byte the TUI wrote to its pty; {window}")
    return [tui_cpu, runner_cpu, tty]


def _pyruns_idle(ctx: Context) -> Samples:
    """pyruns' hidden runner with 8 sleeping tasks, same windows."""
    assert ctx.pyruns is not None
    samples = Samples()
    root = ctx.pyruns_workspace("idle-pyruns", "sleeper.py", SLEEPER)
    names = ctx.pyruns_add(root, "sleeper", f"i: '(0, {IDLE_TASKS})'\n", "idle")
    try:
        run_cmd(ctx.pyruns.cmd(root, "sleeper", "run", "-d", "-j", str(IDLE_TASKS), *names))
        deadline = time.monotonic() + 60
        while True:
            listed = json.loads(run_cmd(ctx.pyruns.cmd(root, "sleeper", "ls", "-s", "running", "--json")))
            if len(listed.get("tasks", [])) >= IDLE_TASKS:
                break
            if time.monotonic() > deadline:
                raise BenchError(f"pyruns never had {IDLE_TASKS} tasks running")
            time.sleep(0.2)
        procs = pyruns_runner_procs(root)
        if not procs:
            raise BenchError("pyruns' runner process not found")
        time.sleep(3.0)
        for _ in range(ctx.mode.repeats):
            tree = [p for proc in procs for p in with_descendants(proc)]
            before, begin = cpu_seconds(tree), time.perf_counter()
            time.sleep(ctx.mode.window_s)
            samples.values.append(100 * (cpu_seconds(tree) - before) / (time.perf_counter() - begin))
    except BenchError as exc:
        samples.status = f"error: {exc}"
    finally:
        subprocess.run(ctx.pyruns.cmd(root, "sleeper", "stop", "--timeout", "10", *names),
                       capture_output=True, env=bench_env(), timeout=60)
        kill_pyruns_runners(root)
    return samples
