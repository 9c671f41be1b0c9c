"""Make docs/images/generator.svg from the current app: the Generator of the demo workspace at
120x36 with a 12-task batch (a grid over lr and optimizer, a zip of epochs and seed).

    PYTHONPATH=src python docs/images/make_generator_svg.py [OUT.svg]

Run it after a change that shows on the Generator, so docs/tui.md shows the app as it is.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input

from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.tui.screens.generator import GeneratorScreen
from pyruns_tui.workspace.bootstrap import init_workspace

REPO = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().with_name("generator.svg")
SIZE = (120, 36)
PREFIX = "sweep"
FIELDS = {"lr": "0.1 | 0.03 | 0.01", "optimizer": "adam | sgd", "epochs": "(10 | 20)", "seed": "(0 | 1)"}


async def settled(pilot: Pilot) -> GeneratorScreen:
    """The Generator once its preview shows the last edit, nothing focused (no blinking cursor)."""
    app = pilot.app
    deadline = time.monotonic() + 30
    while not isinstance(app.screen, GeneratorScreen) or app.screen.preview.data is None:
        if time.monotonic() > deadline:
            raise SystemExit("the Generator did not open within 30 s")
        await pilot.pause(0.02)
    await app.workers.wait_for_complete()
    screen = app.screen
    screen.set_focus(None)
    await pilot.pause()
    while screen._preview_timer is not None:
        if time.monotonic() > deadline:
            raise SystemExit("the Generator's preview did not settle within 30 s")
        await pilot.pause(0.02)
    await pilot.pause()
    return screen


async def make(out: Path) -> None:
    with tempfile.TemporaryDirectory() as project:
        layout = init_workspace(Path(project), REPO / "demo_scripts" / "train.py")
        app = PyrunsApp(layout, watch_disk=False)
        async with app.run_test(size=SIZE) as pilot:
            screen = await settled(pilot)
            screen.query_one("#gen-prefix", Input).value = PREFIX
            for key, text in FIELDS.items():
                screen.form.row(key).set_text(text)
            screen = await settled(pilot)
            assert screen.preview.summary_text.startswith("12 tasks"), screen.preview.summary_text
            app.save_screenshot(out.name, str(out.parent))


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    asyncio.run(make(target.resolve()))
    print(target)
