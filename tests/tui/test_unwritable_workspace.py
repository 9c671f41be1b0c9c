"""Every key that writes, when the workspace cannot be written: the app stays up and says why.

The engine's verbs raise `PyrunsError` for what they check, and the filesystem's `OSError` for
what it refuses (a read-only mount, a full disk, a workspace moved away under the app). The
faces catch both (`errors.USER_ERRORS`); the TUI caught only the first, so pinning a task in a
workspace renamed under it closed the app with a traceback, and Create on a read-only mount did
the same.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.workspace.bootstrap import init_workspace
from pyruns_tui.workspace.layout import Layout
from pyruns_tui.workspace.model import Status
from pyruns_tui.workspace.store import TaskStore
from tests.conftest import DEMO, Shown, make_tasks

# (screen to open, keys, what the keys write); "a" selects every task in the Manager
KEYS = [
    ("manager", ["a", "p"], "pin"),
    ("manager", ["a", "r"], "queue"),
    ("manager", ["a", "F"], "force-start"),
    ("manager", ["a", "P"], "priority"),
    ("manager", ["a", "s"], "stop (the queued task)"),
    ("manager", ["a", "d", "y"], "trash"),
    ("manager", ["n", "x", "ctrl+s"], "notes"),
    ("manager", ["t", "r"], "restore"),
    ("monitor", ["r"], "rerun"),
    ("generator", ["ctrl+s"], "create"),
    ("generator", ["ctrl+r"], "create and queue"),
]


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    """A project on a filesystem of its own (a small tmpfs where it can be mounted, else tmp_path)."""
    mnt = tmp_path / "fs"
    mnt.mkdir()
    mounted = os.geteuid() == 0 and shutil.which("mount") is not None and not subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mnt)], capture_output=True).returncode
    try:
        proj = mnt / "proj"
        proj.mkdir()
        shutil.copy(DEMO / "train.py", proj / "train.py")
        yield proj
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def _moved(proj: Path) -> tuple[str, ...]:
    proj.rename(proj.with_name("renamed"))
    return "No such file or directory", "is gone (moved, renamed or deleted)"


def _read_only(proj: Path) -> tuple[str, ...]:
    mnt = proj.parent
    if not os.path.ismount(mnt) or subprocess.run(["mount", "-o", "remount,ro", str(mnt)],
                                                  capture_output=True).returncode:
        pytest.skip("remounting a filesystem read-only needs root and mount")
    return ("read-only",)


def _full(proj: Path) -> tuple[str, ...]:
    if not os.path.ismount(proj.parent):
        pytest.skip("filling a filesystem of its own needs root and mount")
    with open(proj.parent / "filler", "wb", buffering=0) as fh, contextlib.suppress(OSError):
        while True:
            fh.write(b"\0" * (1 << 16))
    return ("disk is full",)


@pytest.mark.parametrize("condition", [_moved, _read_only, _full], ids=["moved", "read-only", "full"])
@pytest.mark.parametrize(("start", "keys", "what"), KEYS, ids=[what for _, _, what in KEYS])
async def test_a_write_the_filesystem_refuses_is_said_and_the_app_stays(
        project: Path, condition: Callable[[Path], tuple[str, ...]], start: str, keys: list[str], what: str,
        notifications: list[Shown]) -> None:
    layout: Layout = init_workspace(project, project / "train.py", None)
    store = TaskStore(layout)
    names = make_tasks(store, 3)
    if what.startswith("stop"):
        store.update(names[0], lambda t: t.set_status(Status.QUEUED))  # (no runner: it stays queued)
    if what == "restore":
        from pyruns_tui.workspace import edits

        edits.trash(store, [names[2]])
    app = PyrunsApp(layout, start_mode=start, watch_disk=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        said = condition(project)
        for key in keys:
            await pilot.press(key)
            await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.is_running and app.return_code is None, what
        if what == "restore" and condition is _full:  # a rename needs no space: it is done
            assert "restored t2" in [n.message for n in notifications]
            return
        errors = [n for n in notifications if n.severity in ("warning", "error") and n.title != "Workspace moved"]
        assert any(words in n.message for n in errors for words in said), (what, notifications)
        assert all("Traceback" not in n.message for n in notifications)
