"""The Generator screen: time to the form on screen, and preview latency for a 10,000-task grid.

Run: .venv/bin/python benchmarks/bench_generator.py [--repeat N] [--tmux] [--corpus DIR [--presses N] [--focus-only] [--profile PATH]]
(prints a table; not a test)

- open (headless): a fresh process imports the app and runs it (`App.run_test`, 100x30) on the
  workspace of demo_scripts/train.py until the preview of the form is shown; wall and CPU time.
- open (tmux, `--tmux`): `pyr-tui demo_scripts/train.py` in a detached 100x30 tmux session of a
  fresh project directory, polled with `tmux capture-pane` until the form shows the parameters.
- preview: in a running app, the `seed` field gets a grid that makes 10,000 tasks (lr has 100
  values, seed 100); time from the Input.Changed to the preview showing "10000 tasks", and the
  time spent in `update_preview` itself (count + first 20 rows), after the 50 ms debounce.
- preview, exclusive groups: the same grid on tests/params/scripts/exclusive_groups.py (with
  `train` on), whose preview also asks Create's exclusive-group check of all 10,000 configs.
- preview, skip existing: the same grid on the demo script with *skip configs that already exist*
  on, in a workspace of 1,000 tasks (500 of them among the grid's configs): the preview counts
  the configs Create would make (the existing configs are read once, then on each change of the
  workspace's tasks).
- focus moves (`--corpus DIR`): Tab from field to field of a big real form at 80x24: timm's train.py
  (173 parameters) and yolov5's train.py (39 in the form), their specs extracted by `init` from a copy of each
  repository's tree (CORPUS_DIR as benchmarks/argparse_corpus.py takes it: `<owner>+<name>/` at the
  manifest's commit; the scripts read sibling modules). Per Tab, medians over `--presses`: the wall
  time of `pilot.press("tab")` (it waits for the app to go idle: a floor of ~40 ms), the wall and
  CPU time from the key to the last repaint it caused (a preview it set off included: each Tab
  waits for it, as a person's next Tab comes later than its 50 ms debounce), and counts that do
  not depend on the machine: screen relayouts, Footer recomposes, style applications (`Stylesheet.apply` calls: a
  node, or one of its component classes).
Wall times depend on how busy the machine is (the load average is printed).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "demo_scripts" / "train.py"
EXCLUSIVE = REPO / "tests" / "params" / "scripts" / "exclusive_groups.py"
PYR_TUI = Path(sys.executable).with_name("pyr-tui")
FOCUS_FORMS = (  # (repository in CORPUS_DIR, script, what the figure says)
    ("huggingface+pytorch-image-models", "train.py", "timm train.py"),
    ("ultralytics+yolov5", "train.py", "yolov5 train.py"),
)

_OPEN_CHILD = """
import asyncio, sys, time
c0, t0 = time.process_time(), time.perf_counter()
from pathlib import Path
from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.workspace.layout import Layout
c1, t1 = time.process_time(), time.perf_counter()

async def main():
    app = PyrunsApp(Layout(root=Path(sys.argv[1]), name="train"))
    async with app.run_test(size=(100, 30)) as pilot:
        while getattr(getattr(app.screen, "preview", None), "data", None) is None:
            await asyncio.sleep(0.002)
        await pilot.pause()
        c2, t2 = time.process_time(), time.perf_counter()
        print(t1 - t0, c1 - c0, t2 - t1, c2 - c1)

asyncio.run(main())
"""


def make_project(script: Path = DEMO) -> Path:
    from pyruns_tui.workspace.bootstrap import init_workspace

    project = Path(tempfile.mkdtemp(prefix="bench-gen-"))
    init_workspace(project, script)
    return project


def bench_open_headless(repeat: int) -> list[tuple[float, float, float, float]]:
    project = make_project()
    out = []
    for _ in range(repeat):
        done = subprocess.run([sys.executable, "-c", _OPEN_CHILD, str(project / "_pyruns_")],
                              capture_output=True, text=True, check=True)
        out.append(tuple(float(x) for x in done.stdout.split()))  # type: ignore[arg-type]
    shutil.rmtree(project, ignore_errors=True)
    return out  # type: ignore[return-value]


def bench_open_tmux(repeat: int) -> list[float]:
    """Seconds from `tmux new` to the form showing `peak learning rate` (cold: workspace created too)."""
    times = []
    for i in range(repeat):
        project = Path(tempfile.mkdtemp(prefix="bench-gen-tmux-"))
        shutil.copytree(DEMO.parent, project / "demo_scripts")
        session = f"bench-gen-{os.getpid()}-{i}"
        start = time.perf_counter()
        subprocess.run(["tmux", "new", "-d", "-s", session, "-x", "100", "-y", "30", "-c", str(project),
                        f"{PYR_TUI} demo_scripts/train.py"], check=True)
        try:
            deadline = start + 60
            while time.perf_counter() < deadline:
                pane = subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True)
                if "peak learning rate" in pane.stdout:
                    times.append(time.perf_counter() - start)
                    break
                time.sleep(0.005)
        finally:
            subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
            shutil.rmtree(project, ignore_errors=True)
    return times


async def _preview_latency(repeat: int, script: Path = DEMO, skip: bool = False) -> tuple[list[float], list[float]]:
    from pyruns_tui.tui.screens.generator import GeneratorScreen
    from pyruns_tui.tui.widgets.generator.fields import FieldRow
    from pyruns_tui.tui.widgets.generator.preview import PreviewPanel

    project = make_project(script)
    if skip:
        existing_tasks(project / "_pyruns_", script.stem, 1000)
    changed_at: list[float] = []
    shown_at: list[float] = []
    compute: list[float] = []
    on_changed = FieldRow.on_input_changed
    show = PreviewPanel.show
    update = GeneratorScreen.update_preview

    def timed_changed(self, event):  # type: ignore[no-untyped-def]
        changed_at.append(time.perf_counter())
        on_changed(self, event)

    def timed_show(self, data):  # type: ignore[no-untyped-def]
        show(self, data)
        shown_at.append(time.perf_counter())

    def timed_update(self):  # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        data = update(self)
        compute.append(time.perf_counter() - t0)
        return data

    FieldRow.on_input_changed = timed_changed  # type: ignore[method-assign]
    PreviewPanel.show = timed_show  # type: ignore[method-assign]
    GeneratorScreen.update_preview = timed_update  # type: ignore[method-assign]
    try:
        latencies = await _time_previews(project, repeat, changed_at, shown_at, compute, script, skip)
    finally:
        FieldRow.on_input_changed = on_changed  # type: ignore[method-assign]
        PreviewPanel.show = show  # type: ignore[method-assign]
        GeneratorScreen.update_preview = update  # type: ignore[method-assign]
        shutil.rmtree(project, ignore_errors=True)
    return latencies, compute


async def _time_previews(project: Path, repeat: int, changed_at: list[float], shown_at: list[float],
                         compute: list[float], script: Path, skip: bool = False) -> list[float]:
    from pyruns_tui.tui.app import PyrunsApp
    from pyruns_tui.tui.screens.generator import GeneratorScreen
    from pyruns_tui.workspace.layout import Layout

    latencies: list[float] = []
    app = PyrunsApp(Layout(root=project / "_pyruns_", name=script.stem), watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, GeneratorScreen)
        while screen.preview.data is None:
            await pilot.pause(0.01)
        screen.form.row("lr").set_text("0.001:0.101:0.001")
        if script == EXCLUSIVE:
            screen.form.row("train").set_value(True)  # its required group: one of --train, --evaluate
        if skip:
            screen.action_toggle_skip()
        seed = screen.form.row("seed")
        seed.focus()
        while not seed.editing:
            await pilot.pause(0.01)
        compute.clear()
        for i in range(repeat):
            changed_at.clear()
            shown_at.clear()
            seed.editor.value = "0:100" if i % 2 == 0 else "100:200"  # type: ignore[attr-defined]
            want = 10_000 - (500 if skip and i % 2 == 0 else 0)
            while not shown_at or screen.preview.data is None or screen.preview.data.count != want \
                    or shown_at[-1] < changed_at[0]:
                await asyncio.sleep(0.001)
            latencies.append(shown_at[-1] - changed_at[0])
    return latencies


def existing_tasks(root: Path, name: str, count: int) -> None:
    """`count` tasks of the demo's defaults: half of them with the lr and seed of the grid's
    first configs (lr 0.001.., seed 0..99), half outside it (seed 1000..)."""
    from pyruns_tui.params.spec_text import parse_spec
    from pyruns_tui.workspace.layout import Layout
    from pyruns_tui.workspace.store import NewTask, TaskStore

    layout = Layout(root=root, name=name)
    defaults = parse_spec(layout.config_default.read_text())
    lrs = [round(0.001 + 0.001 * i, 3) for i in range(100)]
    configs = [{**defaults, "lr": lrs[i // 100], "seed": i % 100} for i in range(count // 2)]
    configs += [{**defaults, "lr": 0.5, "seed": 1000 + i} for i in range(count - count // 2)]
    TaskStore(layout).create_tasks([NewTask(f"old_{i}", c) for i, c in enumerate(configs)], task_kind="argparse",
                                   script=None)


@dataclass
class FocusMoves:
    """Per Tab: wall of pilot.press, wall and CPU from the key to its last repaint; counts per Tab."""

    fields: int
    press: list[float] = field(default_factory=list)
    paint: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    layouts: list[int] = field(default_factory=list)
    recomposes: list[int] = field(default_factory=list)
    restyled: list[int] = field(default_factory=list)
    last: object = None  # the row the last Tab reached


def corpus_project(tree: Path, script: str) -> Path:
    """A scratch copy of a corpus repository with `init`'s workspace of `script` in it."""
    from pyruns_tui.workspace.bootstrap import init_workspace

    project = Path(tempfile.mkdtemp(prefix="bench-gen-focus-")) / tree.name
    shutil.copytree(tree, project, ignore=shutil.ignore_patterns(".git"))
    init_workspace(project, project / script)
    return project


async def _focus_moves(project: Path, name: str, presses: int, profile: Path | None = None) -> FocusMoves:
    from textual.css.stylesheet import Stylesheet
    from textual.screen import Screen
    from textual.widget import Widget

    from pyruns_tui.tui.app import PyrunsApp
    from pyruns_tui.tui.screens.generator import GeneratorScreen
    from pyruns_tui.tui.widgets.footer import KeyFooter
    from pyruns_tui.workspace.layout import Layout

    counts = {"layouts": 0, "recomposes": 0, "restyled": 0}
    painted: list[tuple[float, float]] = []
    refresh_layout, compositor_refresh = Screen._refresh_layout, Screen._compositor_refresh
    recompose, apply = Widget.recompose, Stylesheet.apply

    def counted_layout(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        counts["layouts"] += 1
        return refresh_layout(self, *args, **kwargs)

    def timed_refresh(self):  # type: ignore[no-untyped-def]
        compositor_refresh(self)
        painted.append((time.perf_counter(), time.process_time()))

    async def counted_recompose(self):  # type: ignore[no-untyped-def]
        counts["recomposes"] += isinstance(self, KeyFooter)
        await recompose(self)

    def counted_apply(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        counts["restyled"] += 1
        return apply(self, *args, **kwargs)

    Screen._refresh_layout = counted_layout  # type: ignore[method-assign]
    Screen._compositor_refresh = timed_refresh  # type: ignore[method-assign]
    Widget.recompose = counted_recompose  # type: ignore[method-assign]
    Stylesheet.apply = counted_apply  # type: ignore[method-assign]
    try:
        app = PyrunsApp(Layout(root=project / "_pyruns_", name=name), watch_disk=False)
        async with app.run_test(size=(80, 24)) as pilot:
            screen = app.screen
            assert isinstance(screen, GeneratorScreen)
            while screen.preview.data is None:
                await pilot.pause(0.01)
            rows = screen.form.rows
            out = FocusMoves(len(rows))
            rows[0].focus()
            while not rows[0].editing:
                await pilot.pause(0.01)
            await pilot.pause()
            profiler = cProfile.Profile() if profile is not None else None
            if profiler is not None:
                profiler.enable()
            for _ in range(presses):
                before = screen.focused
                painted.clear()
                counts.update(layouts=0, recomposes=0, restyled=0)
                t0, c0 = time.perf_counter(), time.process_time()
                await pilot.press("tab")
                out.press.append(time.perf_counter() - t0)
                if screen._preview_timer is not None:  # a preview the Tab set off (a person pauses longer)
                    while screen._preview_timer is not None:
                        await pilot.pause(0.01)
                    await pilot.pause()
                if painted:
                    out.paint.append(painted[-1][0] - t0)
                    out.cpu.append(painted[-1][1] - c0)
                out.layouts.append(counts["layouts"])
                out.recomposes.append(counts["recomposes"])
                out.restyled.append(counts["restyled"])
                assert screen.focused is not before, f"Tab did not move the focus from {before}"
            if profiler is not None:
                profiler.disable()
                profiler.dump_stats(str(profile))
            out.last = screen.focused_row()
    finally:
        Screen._refresh_layout = refresh_layout  # type: ignore[method-assign]
        Screen._compositor_refresh = compositor_refresh  # type: ignore[method-assign]
        Widget.recompose = recompose  # type: ignore[method-assign]
        Stylesheet.apply = apply  # type: ignore[method-assign]
    return out


def bench_focus_moves(corpus: Path, presses: int, profile: Path | None = None) -> None:
    for repo, script, label in FOCUS_FORMS:
        tree = corpus / repo
        if not (tree / script).is_file():
            print(f"focus moves, {label}: skipped ({tree / script} is not there)")
            continue
        project = corpus_project(tree, script)
        try:
            where = None if profile is None else profile.with_name(f"{profile.name}.{repo}")
            moves = asyncio.run(_focus_moves(project, Path(script).stem, presses, where))
        finally:
            shutil.rmtree(project.parent, ignore_errors=True)
        med = statistics.median
        print(f"focus move, {label} ({moves.fields} fields, 80x24): pilot.press('tab') median "
              f"{med(moves.press) * 1000:.1f} ms (max {max(moves.press) * 1000:.1f}); key -> last repaint median "
              f"{med(moves.paint) * 1000:.1f} ms wall, {med(moves.cpu) * 1000:.1f} ms cpu; per Tab: "
              f"{med(moves.layouts):g} relayouts, {med(moves.recomposes):g} footer recomposes, "
              f"{med(moves.restyled):g} style applications (median of {presses}; the last reached "
              f"{getattr(moves.last, 'key', moves.last)})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--tmux", action="store_true", help="also time a real terminal (needs tmux)")
    parser.add_argument("--corpus", type=Path, help="CORPUS_DIR of benchmarks/argparse_corpus.py: time Tab "
                        "on the forms of timm's and yolov5's train.py")
    parser.add_argument("--presses", type=int, default=30, help="Tab presses per form (default 30)")
    parser.add_argument("--focus-only", action="store_true", help="with --corpus: only the focus moves")
    parser.add_argument("--profile", type=Path, help="with --corpus: cProfile the Tab presses into PROFILE.<repo>")
    args = parser.parse_args()
    print(f"load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    if args.corpus is not None and args.focus_only:
        bench_focus_moves(args.corpus, args.presses, args.profile)
        print(f"load average after: {os.getloadavg()[0]:.2f}")
        return 0
    rows = bench_open_headless(args.repeat)
    med = [statistics.median(col) for col in zip(*rows)]
    print(f"open, headless: import {med[0]:.3f}s wall / {med[1]:.3f}s cpu; app to form {med[2]:.3f}s wall / "
          f"{med[3]:.3f}s cpu; total {med[0] + med[2]:.3f}s wall (median of {len(rows)})")
    if args.tmux:
        times = bench_open_tmux(args.repeat)
        print(f"open, tmux (cold, bootstraps the workspace): median {statistics.median(times):.3f}s, "
              f"min {min(times):.3f}s, max {max(times):.3f}s")
    for label, script, skip in (("", DEMO, False), (", exclusive groups", EXCLUSIVE, False),
                                (", skip existing (1,000 tasks)", DEMO, True)):
        latencies, compute = asyncio.run(_preview_latency(max(args.repeat, 5), script, skip))
        print(f"preview, 10,000-task grid{label}: Input.Changed -> preview shown median "
              f"{statistics.median(latencies) * 1000:.1f} ms (max {max(latencies) * 1000:.1f} ms; includes the "
              f"50 ms debounce); update_preview median {statistics.median(compute) * 1000:.1f} ms")
    if args.corpus is not None:
        bench_focus_moves(args.corpus, args.presses, args.profile)
    else:
        print("focus moves: skipped (give --corpus CORPUS_DIR holding timm's and yolov5's trees)")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
