"""Draw the screen images the docs use, from the current app driven headless by Textual's Pilot:

- generator.svg (docs/tui.md): the Generator of the demo workspace at 120x36 with a 12-task
  batch (a grid over lr and optimizer, a zip of epochs and seed);
- monitor.svg (docs/tui.md): the Monitor at 120x40 after a batch of demo_scripts/train.py has
  really run (a runner in a temporary workspace, one task at a time), showing the coloured log
  of its first task: finished tqdm bars, the epoch lines and the real system panel.

    PYTHONPATH=src python docs/images/make_images.py [--out DIR] [generator] [monitor]

Names pick images (default: all) and --out a folder (default: docs/images). Run it after a
change that shows on one of these screens, so the docs show the app as it is.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Callable, Coroutine
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input

from pyruns_tui.runner.client import set_concurrency, stop_runner
from pyruns_tui.runner.control import stop_all
from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.tui.screens.generator import GeneratorScreen
from pyruns_tui.tui.screens.monitor import MonitorScreen
from pyruns_tui.workspace.batch import create_batch
from pyruns_tui.workspace.bootstrap import init_workspace
from pyruns_tui.workspace.layout import Layout
from pyruns_tui.workspace.model import Status
from pyruns_tui.workspace.store import TaskStore

HERE = Path(__file__).resolve().parent
DEMO = HERE.parents[1] / "demo_scripts" / "train.py"

GENERATOR_SIZE = (120, 36)
GENERATOR_PREFIX = "sweep"
GENERATOR_FIELDS = {"lr": "0.1 | 0.03 | 0.01", "optimizer": "adam | sgd", "epochs": "(10 | 20)", "seed": "(0 | 1)"}

MONITOR_SIZE = (120, 40)
MONITOR_PREFIX = "lr"
# ~3 s a task; amp adds a WARNING line; 12 epochs fill the log pane (2 lines each)
MONITOR_SPEC = {"lr": "0.1 | 0.03 | 0.01", "amp": True, "epochs": 12, "steps": 12, "step_time": 0.02}
DEADLINE_S = 120.0


async def until(pilot: Pilot, condition: Callable[[], object], what: str, timeout: float = DEADLINE_S) -> None:
    """Let the app run until `condition()` holds; stop the script, saying what, after `timeout` s."""
    deadline = time.monotonic() + timeout
    await pilot.pause()
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"make_images: {what} did not happen within {timeout:g} s")
        await pilot.pause(0.05)


async def generator_settled(pilot: Pilot) -> GeneratorScreen:
    """The Generator once its preview shows the last edit, nothing focused (no blinking cursor)."""
    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, GeneratorScreen) and app.screen.preview.data is not None,
                "the Generator opening")
    await app.workers.wait_for_complete()
    screen = app.screen
    assert isinstance(screen, GeneratorScreen)
    screen.set_focus(None)
    await until(pilot, lambda: screen._preview_timer is None, "the Generator's preview settling")
    await pilot.pause()
    return screen


async def draw_generator(out: Path) -> None:
    with tempfile.TemporaryDirectory() as project:
        app = PyrunsApp(init_workspace(Path(project), DEMO), watch_disk=False)
        async with app.run_test(size=GENERATOR_SIZE) as pilot:
            screen = await generator_settled(pilot)
            screen.query_one("#gen-prefix", Input).value = GENERATOR_PREFIX
            for key, text in GENERATOR_FIELDS.items():
                screen.form.row(key).set_text(text)
            screen = await generator_settled(pilot)
            assert screen.preview.summary_text.startswith("12 tasks"), screen.preview.summary_text
            app.save_screenshot(out.name, str(out.parent))


def log_ends_with(screen: MonitorScreen, text: str) -> bool:
    """Whether the log shown holds `text` in one of its last lines (the last may be empty)."""
    view = screen.log_pane.view
    buffer = view.buffer
    if buffer is None or not view.lines:
        return False
    return any(text in buffer.plain_line(i) for i in range(max(0, view.lines - 3), view.lines))


async def monitor_of_a_finished_batch(layout: Layout, pilot: Pilot) -> None:
    app = pilot.app
    assert isinstance(app, PyrunsApp)
    result = await asyncio.to_thread(create_batch, TaskStore(layout), MONITOR_SPEC, prefix=MONITOR_PREFIX, run=True)
    if result.queue_problem:
        raise SystemExit(f"make_images: the batch was not queued: {result.queue_problem}")
    names = result.names

    def finished() -> bool:
        tasks = app.state.snapshot.tasks
        if any(name in tasks and tasks[name].status is Status.FAILED for name in names):
            raise SystemExit(f"make_images: a task of the batch failed; see {layout.tasks_dir}")
        return all(name in tasks and tasks[name].status is Status.COMPLETED for name in names)

    await until(pilot, finished, f"the batch {names[0]} ... {names[-1]} finishing")
    screen = app.screen
    assert isinstance(screen, MonitorScreen)
    screen.show_task(names[0])
    await until(pilot, lambda: log_ends_with(screen, "done: best val_acc"), f"the log of {names[0]} showing")
    await app.workers.wait_for_complete()
    screen.set_focus(None)  # no focus ring or cursor: the footer shows the screen's keys
    await pilot.pause()


async def draw_monitor(out: Path) -> None:
    with tempfile.TemporaryDirectory() as project:
        layout = init_workspace(Path(project), DEMO)
        set_concurrency(layout, 1)  # one task at a time: the list is in the same order each time
        try:
            app = PyrunsApp(layout, start_mode="monitor")
            async with app.run_test(size=MONITOR_SIZE) as pilot:
                await monitor_of_a_finished_batch(layout, pilot)
                app.save_screenshot(out.name, str(out.parent))
        finally:  # nothing is left running when the temporary workspace goes (a deadline passed)
            stop_all(TaskStore(layout), start_runner=False)
            stop_runner(layout)


IMAGES: dict[str, Callable[[Path], Coroutine[object, object, None]]] = {"generator": draw_generator, "monitor": draw_monitor}


def main() -> None:
    parser = argparse.ArgumentParser(description="Draw the docs' screen images from the current app.")
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"images to draw: {', '.join(IMAGES)} (default: all)")
    parser.add_argument("--out", type=Path, default=HERE, help="folder to write NAME.svg to (default: docs/images)")
    args = parser.parse_args()
    unknown = [name for name in args.names if name not in IMAGES]
    if unknown:
        parser.error(f"no image named {', '.join(unknown)}; the images are {', '.join(IMAGES)}")
    for name in args.names or IMAGES:
        out = (args.out / f"{name}.svg").resolve()
        asyncio.run(IMAGES[name](out))
        print(out)


if __name__ == "__main__":
    main()
