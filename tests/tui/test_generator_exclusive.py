"""Pilot: the Generator's Create (and Create & Run) refuses tasks whose values the script's
argparse refuses together (two flags of a mutually exclusive group) and writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Switch

from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.workspace.bootstrap import init_workspace
from pyruns_tui.workspace.layout import Layout
from tests.conftest import Shown
from tests.tui.test_generator import edit, ready, row, settled, task_configs, until

SCRIPT = """\
import argparse
p = argparse.ArgumentParser()
p.add_argument("--lr", type=float, default=0.1)
precision = p.add_mutually_exclusive_group()
precision.add_argument("--fp16", action="store_true")
precision.add_argument("--bf16", action="store_true")
print(vars(p.parse_args()))
"""
CONFLICT = "fp16: true and bf16: true cannot both be set (--fp16 and --bf16 are mutually exclusive in train.py); change one"


@pytest.fixture
def workspace(tmp_path: Path) -> Layout:
    (tmp_path / "train.py").write_text(SCRIPT)
    return init_workspace(tmp_path, tmp_path / "train.py")


async def test_create_with_both_flags_of_an_exclusive_group_writes_nothing(
        workspace: Layout, notifications: list[Shown]) -> None:
    app = PyrunsApp(workspace, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        for key in ("fp16", "bf16"):
            switch = await edit(pilot, row(gen, key))
            assert isinstance(switch, Switch)
            await pilot.press("space")
            await until(pilot, lambda s=switch: s.value)
        assert (await settled(pilot, gen)).startswith("1 task")
        for key in ("ctrl+s", "ctrl+r"):  # Create, Create & Run
            await pilot.press(key)
            await app.workers.wait_for_complete()
            await until(pilot, lambda: not gen.creating)
        errors = [(n.title, n.message) for n in notifications if n.severity == "error"]
        assert errors == [("Nothing created", CONFLICT)] * 2
        assert task_configs(workspace) == {}
        assert not workspace.runner_dir.exists()  # Create & Run started no runner


async def test_a_grid_names_the_first_conflicting_task(workspace: Layout, notifications: list[Shown]) -> None:
    app = PyrunsApp(workspace, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        await pilot.press("ctrl+y")
        gen.yaml_editor.load_text("lr: 0.1 | 0.2\nfp16: false | true\nbf16: true\n")
        assert (await settled(pilot, gen)).startswith("4 tasks")
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await until(pilot, lambda: any(n.severity == "error" for n in notifications))
        (error,) = [n for n in notifications if n.severity == "error"]
        assert error.message.startswith("task 2 of 4 (") and error.message.endswith(
            f"_2-of-4): {CONFLICT} (conflicting: 2 of 4 tasks)")
        assert task_configs(workspace) == {}
