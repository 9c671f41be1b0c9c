"""Pilot: the Generator's preview shows, as the values change, tasks whose values the script's
argparse refuses together (two flags of a mutually exclusive group): Create's own check,
workspace.batch.exclusive_conflict; Create (and Create & Run) refuse them and write nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, Label, Switch

from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.tui.screens.generator import GeneratorScreen
from pyruns_tui.tui.widgets.generator.preview import PreviewData
from pyruns_tui.workspace.bootstrap import init_workspace
from pyruns_tui.workspace.layout import Layout
from tests.cli.test_gen_exclusive import CONFLICT, SCRIPT
from tests.conftest import Shown
from tests.tui.test_generator import edit, ready, row, settled, task_configs, until

INVALID = "✖ invalid — nothing can be created"


@pytest.fixture
def workspace(tmp_path: Path) -> Layout:
    (tmp_path / "train.py").write_text(SCRIPT)
    return init_workspace(tmp_path, tmp_path / "train.py")


def refused(gen: GeneratorScreen) -> str | None:
    """The problem the preview shows (None when it shows tasks), checked against Create's buttons
    and the status beside them."""
    data = gen.preview.data
    assert isinstance(data, PreviewData)
    create, run = gen.query_one("#gen-create", Button), gen.query_one("#gen-run", Button)
    status = str(gen.query_one("#gen-status", Label).render())
    if data.valid:
        assert not create.disabled and not run.disabled and status.startswith("→")
        return None
    assert create.disabled and run.disabled and status == "✖ invalid"
    assert gen.preview.summary_text.startswith(INVALID)
    return "\n".join(data.problems)


async def switch_on(pilot: Pilot, gen: GeneratorScreen, key: str, on: bool = True) -> None:
    switch = await edit(pilot, row(gen, key))
    assert isinstance(switch, Switch)
    if switch.value != on:
        await pilot.press("space")
    await until(pilot, lambda: switch.value is on)


async def test_the_preview_shows_both_flags_of_an_exclusive_group_as_you_switch_them(workspace: Layout) -> None:
    app = PyrunsApp(workspace, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        await switch_on(pilot, gen, "fp16")
        assert (await settled(pilot, gen)).startswith("1 task")
        assert refused(gen) is None
        await switch_on(pilot, gen, "bf16")
        assert CONFLICT in await settled(pilot, gen)  # before any Create
        assert refused(gen) == CONFLICT
        await switch_on(pilot, gen, "fp16", on=False)
        assert (await settled(pilot, gen)).startswith("1 task")
        assert refused(gen) is None


async def test_create_with_both_flags_of_an_exclusive_group_writes_nothing(
        workspace: Layout, notifications: list[Shown]) -> None:
    app = PyrunsApp(workspace, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        for key in ("fp16", "bf16"):
            await switch_on(pilot, gen, key)
        await settled(pilot, gen)
        assert refused(gen) == CONFLICT
        for key in ("ctrl+s", "ctrl+r"):  # Create, Create & Run
            await pilot.press(key)
            await app.workers.wait_for_complete()
            await until(pilot, lambda: not gen.creating)
        errors = [(n.title, n.message) for n in notifications if n.severity == "error"]
        assert errors == [("Nothing created: the spec is invalid", CONFLICT)] * 2
        assert task_configs(workspace) == {}
        assert not workspace.runner_dir.exists()  # Create & Run started no runner


async def test_a_grid_shows_the_first_conflicting_task_and_how_many(
        workspace: Layout, notifications: list[Shown]) -> None:
    app = PyrunsApp(workspace, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        await pilot.press("ctrl+y")
        gen.yaml_editor.load_text("lr: 0.1 | 0.2\nfp16: false | true\nbf16: true\n")
        await settled(pilot, gen)
        assert refused(gen) == f"task 2 of 4: {CONFLICT} (conflicting: 2 of 4 tasks)"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: any(n.severity == "error" for n in notifications))
        (error,) = [n for n in notifications if n.severity == "error"]
        assert error.message == f"task 2 of 4: {CONFLICT} (conflicting: 2 of 4 tasks)"
        assert task_configs(workspace) == {}
        gen.yaml_editor.load_text("lr: 0.1 | 0.2\nfp16: false\nbf16: true\n")
        assert (await settled(pilot, gen)).startswith("2 tasks")
        assert refused(gen) is None
        gen.yaml_editor.load_text("lr: 0.1 | 0.2 | 0.3\nfp16: true\nbf16: true\n")  # every task conflicts
        await settled(pilot, gen)
        assert refused(gen) == f"task 1 of 3: {CONFLICT} (conflicting: 3 of 3 tasks)"


async def test_the_yaml_conflicts_with_a_default_it_leaves_out(workspace: Layout) -> None:
    """Create lays the YAML over config_default.yaml: a default `fp16: true` counts."""
    workspace.config_default.write_text(workspace.config_default.read_text().replace("fp16: false", "fp16: true"))
    app = PyrunsApp(workspace, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        await pilot.press("ctrl+y")
        gen.yaml_editor.load_text("lr: 0.3\nbf16: true\n")
        await settled(pilot, gen)
        assert refused(gen) == CONFLICT
        gen.yaml_editor.load_text("lr: 0.3\nfp16: false\nbf16: true\n")
        assert (await settled(pilot, gen)).startswith("1 task")
        assert refused(gen) is None
