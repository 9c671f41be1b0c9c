"""Pilot: what the Generator shows before Create, as a tester at 80x24 and 40x15 read it: the
preview counts what Create would make with *skip configs that already exist* on, lists every
mutually exclusive group's problem, keeps the status readable when narrow, and draws an unticked
box empty."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Button, Label

from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.tui.screens.generator import GeneratorScreen
from pyruns_tui.workspace.bootstrap import init_workspace
from pyruns_tui.workspace.layout import Layout
from pyruns_tui.workspace.store import NewTask, TaskStore
from tests.cli.test_gen_exclusive import CONFLICT
from tests.cli.test_gen_exclusive import SCRIPT as EXCLUSIVE
from tests.tui.test_generator import ready, row, settled, task_configs, until
from tests.tui.test_generator_exclusive import switch_on

# the precision group of the Generator's exclusive-group tests, and a required group
SCRIPT = EXCLUSIVE.replace("print(", """mode = p.add_mutually_exclusive_group(required=True)
mode.add_argument("--train", action="store_true")
mode.add_argument("--evaluate", action="store_true")
print(""")
BOTH = CONFLICT
NONE = ("none of train, evaluate is set, and train.py requires one of --train or --evaluate "
        "(a required mutually exclusive group); set one")


def workspace(tmp_path: Path) -> Layout:
    (tmp_path / "train.py").write_text(SCRIPT)
    return init_workspace(tmp_path, tmp_path / "train.py")


def status(gen: GeneratorScreen) -> str:
    return str(gen.query_one("#gen-status", Label).render())


def workspace_with_two_tasks(tmp_path: Path) -> Layout:
    """The workspace with two tasks made at lr 0.1 and 0.2 (train on, the rest at its defaults)."""
    layout = workspace(tmp_path)
    base = {"lr": 0.1, "fp16": False, "bf16": False, "train": True, "evaluate": False}
    TaskStore(layout).create_tasks([NewTask("old_1", {**base, "lr": 0.1}), NewTask("old_2", {**base, "lr": 0.2})],
                                   task_kind="argparse", script=None)
    return layout


async def test_the_preview_counts_what_create_makes_when_it_skips_existing_configs(tmp_path: Path) -> None:
    # the preview said `2 tasks` with Create enabled; ctrl+s then said `nothing created: every
    # config already exists (2 identical skipped)`
    layout = workspace_with_two_tasks(tmp_path)
    app = PyrunsApp(layout, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        row(gen, "lr").set_text("0.1 | 0.2 | 0.3")
        await switch_on(pilot, gen, "train")
        assert (await settled(pilot, gen)).startswith("3 tasks")
        gen.action_toggle_skip()
        assert (await settled(pilot, gen)).startswith("1 new task (2 identical skipped)")
        assert status(gen) == "→ 1 new task (2 identical skipped)"
        assert [r[1] for r in gen.preview.data.rows] == ["0.3"]  # type: ignore[union-attr]
        row(gen, "lr").set_text("0.1 | 0.2")
        summary = await settled(pilot, gen)
        assert summary.startswith("0 new tasks (2 identical skipped)") and "every config already exists" in summary
        assert gen.query_one("#gen-create", Button).disabled and gen.query_one("#gen-run", Button).disabled
        row(gen, "lr").set_text("0.1 | 0.2 | 0.4")
        assert (await settled(pilot, gen)).startswith("1 new task (2 identical skipped)")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: not gen.creating and gen.last_result is not None)
        assert gen.last_result is not None and gen.last_result.skipped == 2 and len(gen.last_result.names) == 1
        assert (await settled(pilot, gen)).startswith("0 new tasks (3 identical skipped)")  # the new one counts
        gen.action_toggle_skip()
        assert (await settled(pilot, gen)).startswith("3 tasks")
        assert len(task_configs(layout)) == 3


async def test_the_preview_lists_the_problem_of_each_exclusive_group(tmp_path: Path) -> None:
    # only the first group's problem was shown: fixing it showed the next
    app = PyrunsApp(workspace(tmp_path), watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        await settled(pilot, gen)
        assert gen.preview.data is not None and gen.preview.data.problems == (NONE,)
        for key in ("fp16", "bf16"):
            await switch_on(pilot, gen, key)
        await settled(pilot, gen)
        assert gen.preview.data.problems == (BOTH, NONE)
        assert BOTH in gen.preview.summary_text and NONE in gen.preview.summary_text
        await pilot.press("ctrl+y")
        gen.yaml_editor.load_text("lr: 0.1 | 0.2\nfp16: false | true\nbf16: true\n")
        await settled(pilot, gen)
        assert gen.preview.data.problems == (f"task 2 of 4: {BOTH} (conflicting: 2 of 4 tasks)",
                                             f"task 1 of 4: {NONE} (conflicting: 4 of 4 tasks)")


async def test_a_narrow_generator_keeps_its_status_readable(tmp_path: Path) -> None:
    # at 40x15 the button row was `Create ^s      Create & Run ^r  ✖`: the word `invalid` cut
    app = PyrunsApp(workspace(tmp_path), watch_disk=False)
    async with app.run_test(size=(40, 15)) as pilot:
        gen = await ready(pilot)
        await settled(pilot, gen)
        await pilot.pause()
        label = gen.query_one("#gen-status", Label)
        assert status(gen) == "✖ invalid"
        assert label.region.width >= len("✖ invalid") and label.region.right <= 40
        assert [str(gen.query_one(f"#{i}", Button).label) for i in ("gen-create", "gen-run")] == ["Create", "Create+Run"]
        await pilot.resize_terminal(100, 30)
        await until(pilot, lambda: str(gen.query_one("#gen-create", Button).label) == "Create ^s")


async def test_an_unticked_box_is_empty_not_a_grey_tick(tmp_path: Path) -> None:
    # ticked and unticked both drew `▐X▌`, told apart by colour alone
    app = PyrunsApp(workspace(tmp_path), watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        box = gen.query_one("#gen-skip")
        assert str(box.render()).startswith("▐ ▌")
        gen.action_toggle_skip()
        await pilot.pause()
        assert str(box.render()).startswith("▐X▌")




LIST_SCRIPT = """import argparse
p = argparse.ArgumentParser()
p.add_argument("--layers", type=int, nargs="+", default=[32])
p.add_argument("--lr", type=float, default=0.1)
print(p.parse_args())
"""


async def test_the_skip_preview_counts_lone_list_values_as_create_records_them(tmp_path: Path) -> None:
    """`layers: 64 | 128` of a nargs='+' argument: Create records [64] and [128] and skips the
    existing [64]; the preview compared the raw 64 with it and promised 2 new tasks."""
    (tmp_path / "train.py").write_text(LIST_SCRIPT)
    layout = init_workspace(tmp_path, tmp_path / "train.py")
    TaskStore(layout).create_tasks([NewTask("old", {"layers": [64], "lr": 0.1})], task_kind="argparse", script=None)
    app = PyrunsApp(layout, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        row(gen, "layers").set_text("64 | 128")
        assert (await settled(pilot, gen)).startswith("2 tasks")
        gen.action_toggle_skip()
        assert (await settled(pilot, gen)).startswith("1 new task (1 identical skipped)")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: not gen.creating and gen.last_result is not None)
        assert gen.last_result is not None and gen.last_result.skipped == 1 and len(gen.last_result.names) == 1
    assert sorted(config["layers"] for config in task_configs(layout).values()) == [[64], [128]]


async def test_create_with_every_config_existing_never_says_it_creates_0_tasks(tmp_path: Path) -> None:
    # the status said `creating 0 tasks…` until the notice `nothing created: every config already exists`
    layout = workspace_with_two_tasks(tmp_path)
    app = PyrunsApp(layout, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        row(gen, "lr").set_text("0.1 | 0.2")
        await switch_on(pilot, gen, "train")
        gen.action_toggle_skip()
        assert (await settled(pilot, gen)).startswith("0 new tasks (2 identical skipped)")
        label = gen.query_one("#gen-status", Label)
        said: list[str] = []
        update = label.update

        def recorded(content: object = "", *, layout: bool = True) -> None:
            said.append(str(content))
            update(content, layout=layout)  # type: ignore[arg-type]

        label.update = recorded  # type: ignore[method-assign]
        await pilot.press("ctrl+s")
        await until(pilot, lambda: not gen.creating and gen.last_result is not None)
        assert gen.last_result is not None and not gen.last_result.names and gen.last_result.skipped == 2
        assert "checking which configs exist…" in said and not any("creating" in line for line in said), said
        assert status(gen) == "→ 0 new tasks (2 identical skipped)"
    assert len(task_configs(layout)) == 2
