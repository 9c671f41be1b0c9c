"""Pilot: the Generator's `ctrl+b` picks the tasks the created ones wait for (`after`, as
`gen`'s spec key and `run --after`)."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Label

from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.tui.widgets.generator.task_picker import TaskPicker
from pyruns_tui.workspace.bootstrap import init_workspace
from pyruns_tui.workspace.store import NewTask, TaskStore
from tests.conftest import DEMO
from tests.tui.test_generator import ready, until


async def test_ctrl_b_picks_dependencies_of_the_created_tasks(tmp_path: Path) -> None:
    layout = init_workspace(tmp_path, DEMO / "train.py")
    store = TaskStore(layout)
    store.create_tasks([NewTask("prep", {}), NewTask("other", {})], task_kind="plain", script=None)
    app = PyrunsApp(layout, watch_disk=False)
    async with app.run_test(size=(120, 30)) as pilot:
        gen = await ready(pilot)
        for name in ("prep", "other", "other"):  # the second `other` drops it again
            await pilot.press("ctrl+b")
            await until(pilot, lambda: isinstance(pilot.app.screen, TaskPicker))
            await pilot.press(*name, "enter")
            await until(pilot, lambda: pilot.app.screen is gen)
        assert gen.after == ["prep"]
        assert str(gen.query_one("#gen-after", Label).render()) == "after: prep"
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await until(pilot, lambda: len(TaskStore(layout).names()) == 3)
    created = [t for t in TaskStore(layout).scan() if t.name not in ("prep", "other")]
    assert [t.after for t in created] == [["prep"]]


async def test_a_yaml_spec_task_keys_set_the_created_tasks(tmp_path: Path) -> None:
    layout = init_workspace(tmp_path, DEMO / "train.py")
    store = TaskStore(layout)
    store.create_tasks([NewTask("prep", {})], task_kind="plain", script=None)
    app = PyrunsApp(layout, watch_disk=False)
    async with app.run_test(size=(120, 30)) as pilot:
        gen = await ready(pilot)
        await pilot.press("ctrl+y")
        await until(pilot, lambda: gen.yaml_mode)
        gen.yaml_editor.load_text(gen.yaml_editor.text + "after: prep\ngpu_mem_mb: 9000\n")
        await until(pilot, lambda: gen.current_spec()[1] == [] and gen.yaml_keys.after == ("prep",))
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await until(pilot, lambda: len(TaskStore(layout).names()) == 2)
    created = [t for t in TaskStore(layout).scan() if t.name != "prep"]
    assert [(t.after, t.gpu_mem_mb) for t in created] == [(["prep"], 9000)]
