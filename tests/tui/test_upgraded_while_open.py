"""`pip install --upgrade` while the TUI is open: the files of a screen not yet shown are new code
that no longer fits the old modules the app has loaded. Real files: the app runs (headless, under
Pilot) in its own interpreter from a copy of the package, whose files the test then replaces."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyruns_tui
from tests.cli.helpers import SMALL_SCRIPT, pyr

APP = """
import asyncio, pathlib, sys
import pyruns_tui
from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.workspace.layout import Layout

site, root = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
assert pyruns_tui.__file__.startswith(str(site)), pyruns_tui.__file__


async def main() -> None:
    app = PyrunsApp(Layout(root=root, name="train"), start_mode="generator", watch_disk=False)
    async with app.run_test() as pilot:
        await pilot.pause()
        screens = site / "pyruns_tui" / "tui" / "screens"
        # the upgrade: the Manager's new code needs a name the loaded state module lacks, and
        # the Monitor's module is gone (moved elsewhere in the new version)
        manager = screens / "manager.py"
        manager.write_text(manager.read_text() + "\\nfrom pyruns_tui.tui.state import ADDED_IN_THE_UPGRADE\\n")
        (screens / "monitor.py").unlink()
        for key in ("2", "3", "question_mark", "1"):
            app.screen.set_focus(None)
            await pilot.press(key)
            await pilot.pause()
            print("after", key, "mode", app.current_mode, "screen", type(app.screen).__name__)
        for note in app._notifications:
            print("note", note.severity, note.message)
    print("exit", app.return_code)


asyncio.run(main())
"""


def test_a_screen_whose_files_changed_under_the_app_says_restart(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text(SMALL_SCRIPT)
    assert pyr(tmp_path, "init", "train.py").code == 0
    site = tmp_path / "site"
    shutil.copytree(Path(pyruns_tui.__file__).parent, site / "pyruns_tui",
                    ignore=shutil.ignore_patterns("__pycache__"))
    env = {**os.environ, "PYTHONPATH": str(site), "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.run([sys.executable, "-c", APP, str(site), str(tmp_path / "_pyruns_")],
                          capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path)
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    # the app lives on, on the screen it had: the key that would show a broken screen does nothing else
    assert lines[:4] == [
        "after 2 mode generator screen GeneratorScreen",
        "after 3 mode generator screen GeneratorScreen",
        "after question_mark mode generator screen GeneratorScreen",  # help lists every screen's keys
        "after 1 mode generator screen GeneratorScreen",
    ]
    notes = [line for line in lines if line.startswith("note ")]
    assert notes[0] == ("note error pyruns-tui was upgraded while open; restart it (cannot load the Manager: cannot "
                        "import name 'ADDED_IN_THE_UPGRADE' from 'pyruns_tui.tui.state' "
                        f"({site / 'pyruns_tui' / 'tui' / 'state.py'}))")
    assert notes[1] == ("note error pyruns-tui was upgraded while open; restart it (cannot load the Monitor: "
                        "No module named 'pyruns_tui.tui.screens.monitor')")
    assert all("restart it" in note for note in notes) and all("\n" not in note for note in notes)
    assert lines[-1] == "exit None"
