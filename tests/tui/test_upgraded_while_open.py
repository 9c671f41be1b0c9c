"""`pip install --upgrade` while the TUI is open: the files of a module not yet imported (a screen,
a dialog, what a key's handler or worker imports when first needed) are new code that no longer
fits the old modules the app has loaded. Real files: the app runs (headless, under Pilot) in its
own interpreter from a copy of the package, whose files the test then replaces."""

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


KEYS = """
import asyncio, os, pathlib, sys
import pyruns_tui
from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.tui.widgets.manager.task_table import TaskTable
from pyruns_tui.workspace.layout import Layout
from tests.waiting import wait_for

site, root = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
assert pyruns_tui.__file__.startswith(str(site)), pyruns_tui.__file__
package = site / "pyruns_tui"


def upgrade(module, line=None):
    # as pip does: the module's file replaced by a new one (`line` added to its code, or gone), and
    # __init__.py written anew; a module already loaded is read again, as if first imported now
    path = package / (module.replace(".", "/") + ".py")
    for file, text in ((path, None if line is None else path.read_text() + "\\n" + line + "\\n"),
                       (package / "__init__.py", (package / "__init__.py").read_text())):
        if text is None:
            file.unlink()
        else:
            new = file.with_suffix(".new")
            new.write_text(text)
            os.replace(new, file)
    sys.modules.pop("pyruns_tui." + module, None)


async def main():
    app = PyrunsApp(Layout(root=root, name="train"), start_mode="manager", watch_disk=False)
    async with app.run_test(size=(160, 40)) as pilot:
        notes = lambda: [note.message for note in app._notifications]
        table = app.screen.query_one(TaskTable)
        await wait_for(pilot, lambda: len(table.rows) == 2, what="the Manager's two tasks")
        steps = [
            # a key's action, on the app's own message loop: the export dialog's new code
            ("tui.widgets.monitor.export_dialog", "from pyruns_tui.tui.state import ADDED_FOR_EXPORT", "x"),
            # a widget's message handler (marking a row updates the status line): an AttributeError
            ("workspace.queue_eta", "import pyruns_tui.humanize as h; h.ADDED_FOR_ETA", "space"),
            (None, None, "up"),  # (space moved the cursor down) the table still moves: its widget lives on
            # a worker that ends the app on error: the re-read after pinning asks the runner's state
            ("runner.client", "from pyruns_tui.runner.control import ADDED_FOR_CLIENT", "p"),
            # a worker that does not (run): its error was dropped unsaid
            ("workspace.settings", None, "r"),
            (None, None, "1"),
            # a priority key's action, run as the app takes the key: the keys after it still go
            ("params.grid", "from pyruns_tui.errors import ADDED_FOR_GRID", "ctrl+s"),
            (None, None, "2"),
        ]
        for module, line, key in steps:
            if module is not None:
                upgrade(module, line)
            said = len(notes())
            await pilot.press(key)
            if module is not None:
                await wait_for(pilot, lambda: any("restart it" in note for note in notes()[said:]),
                               what=f"the note after {key}")
            await wait_for(pilot, lambda: not app.workers, what=f"{key} handled")
            print("after", key, "running", app.is_running, "screen", type(app.screen).__name__,
                  "cursor", table.cursor, "|", " / ".join(notes()[said:]))
        await pilot.press("ctrl+q")
    print("exit", app.return_code)


asyncio.run(main())
"""


def test_a_lazy_import_that_fails_after_an_upgrade_is_said_and_the_app_stays_open(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text(SMALL_SCRIPT)
    assert pyr(tmp_path, "init", "train.py").code == 0
    assert pyr(tmp_path, "gen", "-n", "t", "-", stdin="lr: 0.1 | 0.2\n").code == 0
    site = tmp_path / "site"
    shutil.copytree(Path(pyruns_tui.__file__).parent, site / "pyruns_tui",
                    ignore=shutil.ignore_patterns("__pycache__"))
    repo = Path(__file__).parents[2]  # (for tests.waiting)
    env = {**os.environ, "PYTHONPATH": f"{site}{os.pathsep}{repo}", "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.run([sys.executable, "-c", KEYS, str(site), str(tmp_path / "_pyruns_")],
                          capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path)
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr
    assert proc.returncode == 0, proc.stderr
    upgraded = "pyruns-tui was upgraded while open; restart it"
    state, control, errors = (site / "pyruns_tui" / name for name in ("tui/state.py", "runner/control.py", "errors.py"))
    assert proc.stdout.splitlines() == [
        "after x running True screen ManagerScreen cursor 0 | "
        f"{upgraded} (cannot import name 'ADDED_FOR_EXPORT' from 'pyruns_tui.tui.state' ({state}))",
        "after space running True screen ManagerScreen cursor 1 | "
        f"{upgraded} (module 'pyruns_tui.humanize' has no attribute 'ADDED_FOR_ETA')",
        "after up running True screen ManagerScreen cursor 0 | ",
        "after p running True screen ManagerScreen cursor 0 | pinned t_2-of-2 / "
        f"{upgraded} (cannot import name 'ADDED_FOR_CLIENT' from 'pyruns_tui.runner.control' ({control}))",
        f"after r running True screen ManagerScreen cursor 0 | {upgraded} (No module named 'pyruns_tui.workspace.settings')",
        "after 1 running True screen GeneratorScreen cursor 0 | ",
        "after ctrl+s running True screen GeneratorScreen cursor 0 | "
        f"{upgraded} (cannot import name 'ADDED_FOR_GRID' from 'pyruns_tui.errors' ({errors}))",
        "after 2 running True screen ManagerScreen cursor 0 | ",
        "exit 0",  # ctrl+q
    ], proc.stderr
