"""Generator screen: form from config_default, grid fields, YAML mode, preview, create, shell."""

from __future__ import annotations

import asyncio
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.command import CommandList
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Input, Select, Switch

from pyruns_tui.params import yamlio
from pyruns_tui.params.argv import build_argv
from pyruns_tui.params.field_text import text_to_value, value_to_text
from pyruns_tui.params.form_checks import check_text
from pyruns_tui.params.form_model import FieldModel, build_form
from pyruns_tui.runner import client, control
from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.tui.messages import LoadConfig
from pyruns_tui.tui.screens.generator import GeneratorScreen
from pyruns_tui.tui.widgets.generator.field_finder import FieldFinder
from pyruns_tui.tui.widgets.generator.fields import FieldRow
from pyruns_tui.tui.widgets.generator.param_form import FormSection
from pyruns_tui.tui.widgets.generator.task_picker import TaskPicker, fuzzy_score
from pyruns_tui.workspace.bootstrap import (
    init_shell_workspace,
    init_workspace,
    params_of,
    read_script_info,
    write_script_info,
)
from pyruns_tui.workspace.layout import Layout
from pyruns_tui.workspace.store import NewTask, TaskStore
from tests.conftest import DEMO, Shown
from tests.scripts import MAPPING_DEFAULT_SCRIPT
from tests.waiting import wait_for

SCRIPTS = Path(__file__).parent / "scripts"


@pytest.fixture
def demo(tmp_path: Path) -> Layout:
    return init_workspace(tmp_path, DEMO / "train.py")


@pytest.fixture
def shell(tmp_path: Path) -> Layout:
    return init_shell_workspace(tmp_path)


@pytest.fixture
def quick_demo(demo: Layout) -> Iterator[Layout]:
    """The demo workspace with defaults that finish at once; the runner is stopped afterwards."""
    text = demo.config_default.read_text()
    for old, new in (("epochs: 5", "epochs: 1"), ("steps: 40", "steps: 1"), ("step_time: 0.03", "step_time: 0.0")):
        text = text.replace(old, new)
    demo.config_default.write_text(text)
    yield demo
    store = TaskStore(demo)
    control.wait(store, store.names(), timeout_s=60)
    client.stop_runner(demo)


# The Generator tests' name for the one Pilot wait (15 s: a loaded CI machine missed 5 s twice).
until = wait_for


async def ready(pilot: Pilot) -> GeneratorScreen:
    await until(pilot, lambda: isinstance(pilot.app.screen, GeneratorScreen))
    screen = pilot.app.screen
    assert isinstance(screen, GeneratorScreen)
    await until(pilot, lambda: screen.preview.data is not None)
    return screen


async def settled(pilot: Pilot, gen: GeneratorScreen) -> str:
    """The preview summary once every pending edit has been previewed."""
    await pilot.pause()
    await until(pilot, lambda: gen._preview_timer is None)
    return gen.preview.summary_text


async def edit(pilot: Pilot, field: FieldRow) -> Widget:
    """Focus a field row and return its live editor (mounted on focus)."""
    field.focus()
    await until(pilot, lambda: field.editing and field.editor.has_focus)
    return field.editor


async def type_keys(pilot: Pilot, target: FieldRow | Input, text: str) -> None:
    """Focus a field (or Input), clear it with keys and type `text` key by key, as a person would."""
    if isinstance(target, FieldRow):
        await edit(pilot, target)
    else:
        target.focus()
    await pilot.press("end", "ctrl+u", *text)


async def type_into(pilot: Pilot, target: FieldRow | Input, text: str) -> None:
    """Focus a field (or Input) and replace its text: an Input.Changed like typing, minus a key per char."""
    editor = await edit(pilot, target) if isinstance(target, FieldRow) else target
    editor.focus()
    assert isinstance(editor, Input)
    editor.value = text
    await pilot.pause()


def row(gen: GeneratorScreen, key: str) -> FieldRow:
    return gen.form.row(key)


def task_configs(layout: Layout) -> dict[str, Any]:
    return {
        folder.name: yamlio.load_file(folder / "config.yaml")
        for folder in sorted(layout.tasks_dir.iterdir()) if not folder.name.startswith(".")
    }


def defaults(layout: Layout) -> dict[str, Any]:
    return yamlio.load_file(layout.config_default)


# The form


async def test_form_has_a_typed_field_per_parameter(demo: Layout) -> None:
    app = PyrunsApp(demo, watch_disk=False)
    async with app.run_test(size=(100, 40)) as pilot:
        gen = await ready(pilot)
        keys = [r.key for r in gen.form.rows]
        assert keys == list(defaults(demo))
        assert isinstance(await edit(pilot, row(gen, "arch")), Select)
        assert isinstance(await edit(pilot, row(gen, "amp")), Switch)
        await until(pilot, lambda: not row(gen, "arch").editing)  # back to rest once the focus left
        assert isinstance(await edit(pilot, row(gen, "augment")), Switch)
        assert isinstance(await edit(pilot, row(gen, "lr")), Input)
        assert row(gen, "tags").field.kind == "list"
        assert row(gen, "hidden").field.kind == "int"
        titles = [c.title for c in gen.query(FormSection)]
        assert titles == ["model", "optim", "data", "run"]
        help_line = row(gen, "dropout").render()
        assert "dropout probability" in str(help_line)
        assert "1 task" in gen.preview.summary_text


async def test_unresolved_default_and_list_field(tmp_path: Path) -> None:
    layout = init_workspace(tmp_path, SCRIPTS / "workers.py")
    app = PyrunsApp(layout, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        warning = row(gen, "workers").render()
        assert "unresolved default: os.cpu_count()" in str(warning)
        await type_into(pilot, row(gen, "layer"), "64, 32")
        await type_into(pilot, row(gen, "name"), "7")
        await settled(pilot, gen)
        spec = gen.form.spec()
        assert spec["layer"] == [64, 32]
        assert spec["name"] == "7"  # a declared str stays text


async def test_bad_number_is_flagged_with_a_reason(demo: Layout) -> None:
    app = PyrunsApp(demo, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        hidden = row(gen, "hidden")
        await type_into(pilot, hidden, "abc")
        summary = await settled(pilot, gen)
        assert hidden.has_class("-invalid")
        assert "not an integer" in (hidden.problem or "")
        assert "hidden: 'abc' is not an integer" in summary
        assert gen.query_one("#gen-create").disabled


async def test_an_int_too_large_for_a_float_field_is_one_short_problem(demo: Layout) -> None:
    # `lr: 1000…0` (400 digits) was taken (the script got inf); a float global's refusal had all the digits
    app = PyrunsApp(demo, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        lr = row(gen, "lr")
        await type_into(pilot, lr, "1" + "0" * 399)
        summary = await settled(pilot, gen)
        said = "1000000000000000000… (400 digits) is too large for a float (at most about 1.8e308: write a smaller number)"
        assert lr.problem == said
        assert f"lr: {said}" in summary
        assert gen.query_one("#gen-create").disabled


async def test_a_quoted_number_too_large_for_a_float_field_is_the_same_short_problem(demo: Layout) -> None:
    # `"1000…0"` (400 digits, in quotes) was taken as the text float() reads as inf (the script got inf)
    app = PyrunsApp(demo, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        lr = row(gen, "lr")
        await type_into(pilot, lr, '"1' + "0" * 399 + '"')
        summary = await settled(pilot, gen)
        said = "1000000000000000000… (400 digits) is too large for a float (at most about 1.8e308: write a smaller number)"
        assert lr.problem == said
        assert f"lr: {said}" in summary
        assert gen.query_one("#gen-create").disabled


async def test_a_trailing_pipe_is_one_problem_in_the_preview_not_two(demo: Layout) -> None:
    """`lr: 0.01 |` was listed twice under "invalid": the field's own check, then the grid parse
    of the same text saying the same thing."""
    app = PyrunsApp(demo, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        await type_keys(pilot, row(gen, "lr"), "0.01 |")
        summary = await settled(pilot, gen)
        assert summary.count("lr: empty item") == 1, summary


async def test_lr_grid_previews_and_creates_two_tasks(demo: Layout) -> None:
    app = PyrunsApp(demo, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        lr = row(gen, "lr")
        await type_keys(pilot, lr, "0.1 | 0.01")
        summary = await settled(pilot, gen)
        assert summary.startswith("2 tasks")
        assert lr.has_class("-grid") and lr.badge.strip() == "grid ×2"
        assert gen.preview.data is not None
        assert gen.preview.data.columns == ("#", "lr")
        assert gen.preview.data.rows == (("1", "0.1"), ("2", "0.01"))
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        configs = task_configs(demo)
        assert len(configs) == 2
        expected = defaults(demo)
        assert sorted(c["lr"] for c in configs.values()) == [0.01, 0.1]
        for config in configs.values():
            assert {k: v for k, v in config.items() if k != "lr"} == {k: v for k, v in expected.items() if k != "lr"}


async def test_prefix_names_tasks_and_toast_lists_them(demo: Layout, notifications: list[Shown]) -> None:
    app = PyrunsApp(demo, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        await type_into(pilot, gen.query_one("#gen-prefix", Input), "exp")
        await type_into(pilot, row(gen, "seed"), "0:4")
        summary = await settled(pilot, gen)
        assert summary.startswith("4 tasks") and "names: exp_{1..4}-of-4" in summary
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert sorted(task_configs(demo)) == [f"exp_{i}-of-4" for i in range(1, 5)]
        messages = [n.message for n in notifications]
        assert "created 4 tasks exp_1-of-4 ... exp_4-of-4" in messages


async def test_invalid_prefix_blocks_create(demo: Layout) -> None:
    app = PyrunsApp(demo, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        await type_into(pilot, gen.query_one("#gen-prefix", Input), "a/b")
        assert "name prefix" in await settled(pilot, gen)
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        assert task_configs(demo) == {}


async def test_a_prefix_with_whitespace_says_what_to_type_and_blocks_create(demo: Layout) -> None:
    """`my run` made tasks `my run_1-of-N` that every command then needed quoted: the preview
    says, as `gen --name` does, to use `my_run`, and Create makes nothing."""
    app = PyrunsApp(demo, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        await type_into(pilot, gen.query_one("#gen-prefix", Input), "my run")
        summary = await settled(pilot, gen)
        assert "name prefix: a task name cannot contain whitespace" in summary and "use 'my_run'" in summary
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        assert task_configs(demo) == {}


async def test_unequal_zip_names_both_fields_and_creates_nothing(demo: Layout, notifications: list[Shown]) -> None:
    app = PyrunsApp(demo, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        await type_into(pilot, row(gen, "lr"), "(1 | 2)")
        await type_into(pilot, row(gen, "seed"), "(1 | 2 | 3)")
        await type_into(pilot, row(gen, "hidden"), "wide")
        summary = await settled(pilot, gen)
        assert "lr has 2 values" in summary and "seed has 3 values" in summary
        assert "hidden: 'wide' is not an integer" in summary
        assert gen.query_one("#gen-create").disabled and gen.query_one("#gen-run").disabled
        await pilot.press("ctrl+s")
        await pilot.press("ctrl+r")
        await app.workers.wait_for_complete()
        assert task_configs(demo) == {}
        assert any(n.severity == "error" for n in notifications)


async def test_skip_existing_configs(demo: Layout) -> None:
    app = PyrunsApp(demo, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        await type_into(pilot, row(gen, "seed"), "1 | 2")
        await settled(pilot, gen)
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await until(pilot, lambda: not gen.creating)
        await type_into(pilot, row(gen, "seed"), "1 | 2 | 3")
        gen.query_one("#gen-skip").value = True
        await settled(pilot, gen)
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await until(pilot, lambda: not gen.creating)
        seeds = sorted(c["seed"] for c in task_configs(demo).values())
        assert seeds == [1, 2, 3]
        assert gen.last_result is not None and gen.last_result.skipped == 2


# YAML mode


async def test_form_to_yaml_and_back_keeps_edits(demo: Layout) -> None:
    app = PyrunsApp(demo, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        await type_into(pilot, row(gen, "lr"), "0.1 | 0.01")
        await pilot.press("ctrl+y")
        assert gen.yaml_mode
        text = gen.yaml_editor.text
        assert "lr: 0.1 | 0.01" in text
        assert "# peak learning rate" in text  # comments of config_default survive
        gen.yaml_editor.load_text(text.replace("seed: 0", "seed: 1 | 2"))
        assert (await settled(pilot, gen)).startswith("4 tasks")
        await pilot.press("ctrl+y")
        assert not gen.yaml_mode
        assert row(gen, "seed").text == "1 | 2"
        assert row(gen, "lr").text == "0.1 | 0.01"
        assert (await settled(pilot, gen)).startswith("4 tasks")


async def test_yaml_new_key_and_switch_grid_rebuild_the_form(demo: Layout) -> None:
    app = PyrunsApp(demo, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        await pilot.press("ctrl+y")
        text = gen.yaml_editor.text.replace("amp: false", "amp: true | false")
        gen.yaml_editor.load_text(text + "extra: 5\n")
        await pilot.press("ctrl+y")
        await pilot.pause()
        assert row(gen, "extra").text == "5"
        amp = row(gen, "amp")
        assert amp.text_mode and amp.badge.strip() == "grid ×2"
        assert isinstance(await edit(pilot, amp), Input)
        summary = await settled(pilot, gen)  # an argparse script does not declare `extra`
        assert "unknown parameter 'extra'" in summary and gen.query_one("#gen-create").disabled


async def test_yaml_key_the_script_does_not_declare_writes_nothing(demo: Layout, notifications: list[Shown]) -> None:
    app = PyrunsApp(demo, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        await pilot.press("ctrl+y")
        gen.yaml_editor.load_text(gen.yaml_editor.text + "bad: 1\n")
        summary = await settled(pilot, gen)
        assert "unknown parameter 'bad': the script does not declare it" in summary
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert task_configs(demo) == {}
        assert any("Nothing created" in str(n.title) for n in notifications)


async def test_loading_a_config_with_an_undeclared_key_warns(demo: Layout, notifications: list[Shown]) -> None:
    TaskStore(demo).create_tasks([NewTask(name="odd", config={**defaults(demo), "bad": 1})],
                                 task_kind="argparse", script=None)
    app = PyrunsApp(demo, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        await app.workers.wait_for_complete()
        await pilot.press("ctrl+o")
        await until(pilot, lambda: isinstance(app.screen, TaskPicker))
        await pilot.press("enter")
        await until(pilot, lambda: any("unknown parameter 'bad'" in str(n.message) for n in notifications))
        assert "unknown parameter 'bad'" in await settled(pilot, gen)


async def test_invalid_yaml_stays_in_yaml_mode(demo: Layout, notifications: list[Shown]) -> None:
    app = PyrunsApp(demo, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        await pilot.press("ctrl+y")
        gen.yaml_editor.load_text("lr: [1, 2\n")
        assert "invalid YAML" in await settled(pilot, gen)
        await pilot.press("ctrl+y")
        assert gen.yaml_mode
        assert any("YAML" in (n.title or "") for n in notifications)


# Fields: grid toggle, pin, load


async def test_choice_field_becomes_text_for_grid_and_back(demo: Layout) -> None:
    app = PyrunsApp(demo, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        optimizer = row(gen, "optimizer")
        assert isinstance(await edit(pilot, optimizer), Select)
        await pilot.press("ctrl+j")
        await until(pilot, lambda: isinstance(optimizer.editor, Input) and optimizer.editor.has_focus)
        await type_into(pilot, optimizer, "adam | sgd")
        assert (await settled(pilot, gen)).startswith("2 tasks")
        await pilot.press("ctrl+j")  # grid text does not fit a Select: refused
        assert isinstance(optimizer.editor, Input)
        await type_into(pilot, optimizer, "sgd")
        await pilot.press("ctrl+j")
        assert isinstance(optimizer.editor, Select) and optimizer.editor.value == "sgd"


async def test_bad_choice_in_text_mode_is_flagged(demo: Layout) -> None:
    app = PyrunsApp(demo, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        optimizer = row(gen, "optimizer")
        await edit(pilot, optimizer)
        await pilot.press("ctrl+j")
        await type_into(pilot, optimizer, "adam | rmsprop")
        assert "not one of the choices" in await settled(pilot, gen)


async def test_pin_toggles_pinned_params(demo: Layout) -> None:
    app = PyrunsApp(demo, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        await edit(pilot, row(gen, "lr"))
        await pilot.press("ctrl+t")
        assert read_script_info(demo).pinned_params == ["lr"]
        assert row(gen, "lr").pinned and row(gen, "lr").has_class("-pinned")
        await pilot.press("ctrl+t")
        assert read_script_info(demo).pinned_params == []
        assert not row(gen, "lr").pinned


def _make_old_task(layout: Layout, name: str, **changes: Any) -> None:
    config = {**defaults(layout), **changes}
    TaskStore(layout).create_tasks([NewTask(name=name, config=config)], task_kind="argparse", script=None)


async def test_picker_loads_a_task_config_into_the_form(demo: Layout) -> None:
    _make_old_task(demo, "old-run", lr=0.5, optimizer="sgd", tags=["a|b"])
    _make_old_task(demo, "other", lr=0.7)
    app = PyrunsApp(demo, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        await app.workers.wait_for_complete()
        await pilot.press("ctrl+o")
        assert isinstance(app.screen, TaskPicker)
        await pilot.press(*"oldrn")
        assert [item.name for item in app.screen.shown] == ["old-run"]
        await pilot.press("enter")
        await until(pilot, lambda: row(gen, "lr").text == "0.5")
        assert row(gen, "optimizer").text == "sgd"
        assert gen.form.spec()["tags"] == ["a|b"]
        assert (await settled(pilot, gen)).startswith("1 task")


async def test_load_config_message_from_the_manager(demo: Layout) -> None:
    _make_old_task(demo, "source", seed=42, note="a | b")  # a key the form lacks, a literal pipe
    app = PyrunsApp(demo, start_mode="manager", watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        app.post_message(LoadConfig("source"))
        gen = await ready(pilot)
        await until(pilot, lambda: row(gen, "seed").text == "42")
        # a real value that looks like grid syntax is quoted, so it stays one value
        assert row(gen, "note").text == "'a | b'"
        assert "unknown parameter 'note'" in await settled(pilot, gen)  # as `pyr-tui gen` says


async def test_ctrl_o_and_enter_while_a_field_is_edited(demo: Layout) -> None:
    """The picker opened from inside a field loads the task; the row left behind does not crash."""
    _make_old_task(demo, "same-fields", lr=0.5)
    TaskStore(demo).create_tasks([NewTask(name="other-fields", config={"lr": 0.7, "extra": 1})],
                                 task_kind="argparse", script=None)
    app = PyrunsApp(demo, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        for name, lr in (("other-fields", "0.7"), ("same-fields", "0.5")):
            await edit(pilot, row(gen, "lr"))
            await pilot.press("ctrl+o")
            await until(pilot, lambda: isinstance(app.screen, TaskPicker))
            await pilot.press(*name, "enter")
            await until(pilot, lambda: app.screen is gen and row(gen, "lr").text == lr)
            await settled(pilot, gen)
        assert app.is_running and app._exception is None


async def test_manager_duplicate_while_a_generator_field_was_edited(demo: Layout) -> None:
    TaskStore(demo).create_tasks([NewTask(name="other", config={"lr": 0.7, "extra": 1})],
                                 task_kind="argparse", script=None)
    app = PyrunsApp(demo, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        await edit(pilot, row(gen, "lr"))
        await pilot.press("f3")
        await until(pilot, lambda: app.current_mode == "manager")
        await app.workers.wait_for_complete()
        await until(pilot, lambda: bool(app.screen.table.visible_names()))
        await pilot.press("e")
        await until(pilot, lambda: app.screen is gen and row(gen, "lr").text == "0.7")
        await settled(pilot, gen)
        assert app.is_running and app._exception is None


# Keys


async def test_create_and_run_creates_and_queues(quick_demo: Layout) -> None:
    demo = quick_demo
    app = PyrunsApp(demo, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        await type_into(pilot, row(gen, "seed"), "1 | 2")
        await settled(pilot, gen)
        await pilot.press("ctrl+r")
        await app.workers.wait_for_complete()
        await until(pilot, lambda: not gen.creating)
        assert len(task_configs(demo)) == 2
        result = gen.last_result
        assert result is not None and result.queued and result.queue_problem is None
        store = TaskStore(demo)
        assert {t.status.value for t in store.scan()} <= {"queued", "running", "completed"}
        done = await asyncio.to_thread(control.wait, store, store.names(), timeout_s=60)
        assert {t.status.value for t in done.values()} == {"completed"}


async def test_escape_leaves_the_field_so_number_keys_switch_screens(demo: Layout) -> None:
    app = PyrunsApp(demo, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        await edit(pilot, row(gen, "lr"))
        await pilot.press("escape")
        assert app.focused is None
        await pilot.press("2")
        assert app.current_mode == "manager"


@pytest.mark.slow
async def test_every_generator_binding_has_an_effect(quick_demo: Layout) -> None:
    """Each key listed under Generator in `?` does something observable."""
    demo = quick_demo
    checked: set[str] = set()
    app = PyrunsApp(demo, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)

        async def press(key: str) -> None:
            checked.add(key)
            await pilot.press(key)
            await pilot.pause()

        await type_into(pilot, row(gen, "seed"), "1 | 2")
        await settled(pilot, gen)
        await press("ctrl+s")
        await app.workers.wait_for_complete()
        await until(pilot, lambda: len(task_configs(demo)) == 2 and not gen.creating)
        await press("ctrl+r")
        await app.workers.wait_for_complete()
        await until(pilot, lambda: len(task_configs(demo)) == 4 and not gen.creating)
        await press("ctrl+y")
        assert gen.yaml_mode
        await press("ctrl+y")
        assert not gen.yaml_mode
        await press("ctrl+o")
        assert isinstance(app.screen, TaskPicker)
        await pilot.press("escape")
        assert app.screen is gen
        await press("ctrl+b")
        assert isinstance(app.screen, TaskPicker)
        await pilot.press("escape")
        assert app.screen is gen
        await press("ctrl+f")
        assert isinstance(app.screen, FieldFinder)
        await pilot.press(*"seed", "enter")
        await until(pilot, lambda: app.screen is gen and row(gen, "seed").has_focus_within)
        await edit(pilot, row(gen, "lr"))
        await press("ctrl+t")
        assert read_script_info(demo).pinned_params == ["lr"]
        await edit(pilot, row(gen, "amp"))
        await press("ctrl+j")
        assert isinstance(row(gen, "amp").editor, Input)
        await press("ctrl+n")
        assert app.focused is gen.query_one("#gen-prefix")
        await press("ctrl+l")
        assert not gen.preview.display
        await press("ctrl+l")
        assert gen.preview.display
        await press("escape")
        assert app.focused is None
    listed = {key for b in GeneratorScreen.BINDINGS for key in b.key.split(",")}
    assert listed == checked


# Layout


async def test_preview_beside_when_wide_and_below_when_narrow(demo: Layout) -> None:
    app = PyrunsApp(demo, watch_disk=False)
    async with app.run_test(size=(120, 40)) as pilot:
        gen = await ready(pilot)
        assert gen.preview.region.x > 0 and not gen.has_class("-narrow")
    app = PyrunsApp(demo, watch_disk=False)
    async with app.run_test(size=(80, 24)) as pilot:
        gen = await ready(pilot)
        await pilot.pause()
        assert gen.has_class("-narrow") and gen.preview.region.x == 0
        assert gen.preview.region.y > gen.form.region.y
        assert gen.query_one("#gen-create").region.bottom <= 23


# Shell workspace


async def test_shell_workspace_creates_quoted_commands(shell: Layout) -> None:
    app = PyrunsApp(shell, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        command = gen.query_one("#shell-command", Input)
        await type_keys(pilot, command, "python train.py --lr {lr} --note {note}")
        gen.query_one("#shell-params").load_text("lr: 0.1 | 0.01\nnote: '; touch /tmp/x'\n")
        summary = await settled(pilot, gen)
        assert summary.startswith("2 tasks")
        assert gen.preview.data is not None
        assert gen.preview.data.rows[0][1] == "python train.py --lr 0.1 --note '; touch /tmp/x'"
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await until(pilot, lambda: not gen.creating)
    folders = sorted(p for p in shell.tasks_dir.iterdir() if not p.name.startswith("."))
    assert len(folders) == 2
    commands = [(folder / "config.sh").read_text() for folder in folders]
    for text in commands:
        argv = shlex.split(text)
        assert argv[:3] == ["python", "train.py", "--lr"] and argv[4:] == ["--note", "; touch /tmp/x"]
    assert sorted(shlex.split(t)[3] for t in commands) == ["0.01", "0.1"]
    task = TaskStore(shell).scan()[0]
    assert task.task_kind == "shell"


async def test_shell_yaml_mode_round_trip_and_bad_placeholder(shell: Layout) -> None:
    app = PyrunsApp(shell, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        assert (await settled(pilot, gen)).startswith("2 tasks")  # SHELL_DEFAULT_TEXT: lr 0.01 | 0.001
        await pilot.press("ctrl+y")
        text = gen.yaml_editor.text
        assert "command: python train.py --lr {lr} --seed {seed}" in text
        gen.yaml_editor.load_text(text.replace("seed: 0", "seed: 1 | 2"))
        assert (await settled(pilot, gen)).startswith("4 tasks")
        await pilot.press("ctrl+y")
        assert "seed: 1 | 2" in gen.shell_form.params_text
        await type_into(pilot, gen.query_one("#shell-command", Input), "echo {missing}")
        assert "placeholder {missing}" in await settled(pilot, gen)


# Pure helpers


@pytest.mark.parametrize(
    ("kind", "value"),
    [("float", 0.001), ("float", 1e-05), ("int", 3), ("text", "1"), ("text", "a | b"), ("text", "x"),
     ("list", [1, "a"]), ("list", []), ("switch", True), ("text", None), ("text", ""), ("list", ["a, b"])],
)
def test_value_text_round_trip(kind: str, value: Any) -> None:
    field = FieldModel(path=("k",), kind=kind)
    assert text_to_value(value_to_text(value, field), field) in (value, f"'{value}'")


def test_check_text_reasons() -> None:
    number = FieldModel(path=("lr",), kind="float")
    assert check_text("0.1 | 0.01", number)[1] is None
    assert "not a number" in (check_text("fast", number)[1] or "")
    assert "not a number" in (check_text("0.1 | fast", number)[1] or "")
    assert "empty item" in (check_text("0.1 | | 2", number)[1] or "")
    whole = FieldModel(path=("n",), kind="int")
    assert "not an integer" in (check_text("0.5", whole)[1] or "")
    assert check_text("1:10:2", whole) == ("1:10:2", None)


def test_build_form_nests_mappings_and_groups() -> None:
    spec = {"a": 1, "model": {"depth": 18, "opt": {"lr": 0.1}}, "b": True}
    params = [{"key": "a", "group": "g1", "type_name": "int"}, {"key": "b", "group": "g1", "action": "store_true"}]
    model = build_form(spec, params)
    assert [getattr(i, "title", None) for i in model.root.items] == ["g1", "model"]
    assert [f.key for f in model.fields()] == ["a", "b", "model.depth", "model.opt.lr"]
    assert model.order == (("a",), ("model", "depth"), ("model", "opt", "lr"), ("b",))


def test_fuzzy_filter() -> None:
    assert fuzzy_score("oldrn", "old-run") is not None
    assert fuzzy_score("xyz", "old-run") is None
    assert fuzzy_score("run", "old-run")  > fuzzy_score("orn", "old-run")  # type: ignore[operator]


async def test_nested_config_sections(tmp_path: Path) -> None:
    layout = init_workspace(tmp_path, DEMO / "train_yaml.py", DEMO / "train_yaml.yaml")
    app = PyrunsApp(layout, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        titles = [c.title for c in gen.query(FormSection)]
        assert titles[:3] == ["model", "optim", "data"]
        await type_into(pilot, row(gen, "model.depth"), "18 | 34")
        assert (await settled(pilot, gen)).startswith("2 tasks")
        assert gen.preview.data is not None and gen.preview.data.columns == ("#", "model.depth")
        assert gen.form.spec()["optim"]["betas"] == [0.9, 0.999]



async def test_enter_moves_to_the_next_field_and_pins_follow_other_writers(demo: Layout) -> None:
    app = PyrunsApp(demo, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        await type_keys(pilot, row(gen, "hidden"), "512")
        await pilot.press("enter")
        await until(pilot, lambda: row(gen, "dropout").editing)
        assert row(gen, "hidden").text == "512"
        info = read_script_info(demo)
        info.pinned_params = ["seed"]
        write_script_info(demo, info)  # as the Manager's pin would
        await pilot.press("escape", "2")
        await pilot.press("1")
        assert row(gen, "seed").pinned


async def test_every_tab_stop_is_something_visible(tmp_path: Path) -> None:
    # the form's scroll container was a Tab stop of its own: on a script without argparse groups
    # the Tab after the name prefix focused nothing visible and the keys typed next went nowhere
    (tmp_path / "flat.py").write_text("import argparse\np = argparse.ArgumentParser()\n"
                                      "p.add_argument('--n', type=int, default=3)\np.parse_args()\n")
    app = PyrunsApp(init_workspace(tmp_path, tmp_path / "flat.py"), watch_disk=False)
    async with app.run_test(size=(80, 24)) as pilot:
        gen = await ready(pilot)
        await pilot.press("tab", "tab", "9")
        await until(pilot, lambda: row(gen, "n").text == "9")  # (Tab selects the 3: 9 replaces it)


async def test_tab_through_the_form_leaves_one_row_editing(demo: Layout) -> None:
    app = PyrunsApp(demo, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        await edit(pilot, row(gen, "arch"))
        await pilot.press(*["tab"] * 6)
        await pilot.pause()
        editing = [r.key for r in gen.form.rows if r.editing]
        assert len(editing) == 1
        assert app.focused is row(gen, editing[0]).editor


async def test_palette_commands_reset_and_skip(demo: Layout) -> None:
    app = PyrunsApp(demo, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        commands = {c.title: c.callback for c in gen.palette_commands()}
        assert {"Generator: create", "Generator: create & run", "Generator: form ⇄ YAML"} <= set(commands)
        await type_into(pilot, row(gen, "lr"), "0.1 | 0.01")
        await commands["Generator: reset to defaults"]()
        await until(pilot, lambda: row(gen, "lr").text == "0.001")
        commands["Generator: skip existing configs"]()
        assert gen.query_one("#gen-skip").value
        assert (await settled(pilot, gen)).startswith("1 task")


async def test_the_palette_reaches_the_name_prefix_a_browser_keeps_ctrl_n_from(demo: Layout) -> None:
    app = PyrunsApp(demo, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+p")
        await pilot.press(*"name prefix")
        def first() -> str:
            commands = app.screen.query_one(CommandList)
            return str(commands.get_option_at_index(0).prompt) if commands.option_count else ""

        await until(pilot, lambda: "Generator: name prefix" in first())
        await pilot.press("enter")
        await until(pilot, lambda: app.focused is not None and app.focused.id == "gen-prefix")


async def test_the_palette_pins_the_field_focused_when_it_opened_a_browser_keeps_ctrl_t_from(demo: Layout) -> None:
    app = PyrunsApp(demo, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)

        def first() -> str:
            commands = app.screen.query_one(CommandList)
            return str(commands.get_option_at_index(0).prompt) if commands.option_count else ""

        async def palette(typed: str, title: str) -> None:
            await pilot.press("ctrl+p")
            await pilot.press(*typed)
            await until(pilot, lambda: title in first())
            await pilot.press("enter")
            await until(pilot, lambda: app.screen is gen)

        await palette("pin a param", "Generator: pin a parameter")  # nothing focused: says what to do
        await until(pilot, lambda: any("focus a field" in n.message for n in app._notifications))
        assert read_script_info(demo).pinned_params == []
        await edit(pilot, row(gen, "lr"))
        await palette("pin parameter lr", "Generator: pin parameter lr")
        await until(pilot, lambda: read_script_info(demo).pinned_params == ["lr"])
        assert row(gen, "lr").pinned and row(gen, "lr").has_focus_within
        await palette("unpin parameter lr", "Generator: unpin parameter lr")
        await until(pilot, lambda: read_script_info(demo).pinned_params == [])
        assert not row(gen, "lr").pinned


async def test_extraction_warnings_and_environment_defaults_are_shown_on_the_form(tmp_path: Path) -> None:
    (tmp_path / "helpers.py").write_text(
        "def add_args(p):\n    p.add_argument('--depth', default=18)\n    p.add_argument('--seed', default=make())\n")
    (tmp_path / "train.py").write_text(
        "import argparse, os\nfrom helpers import add_args\np = argparse.ArgumentParser()\nadd_args(p)\n"
        "p.add_argument('--rank', type=int, default=os.getenv('LOCAL_RANK', 0), help='process rank')\n"
        "p.parse_args()\n")
    layout = init_workspace(tmp_path, tmp_path / "train.py")
    app = PyrunsApp(layout, watch_disk=False)
    async with app.run_test(size=(120, 40)) as pilot:
        gen = await ready(pilot)
        notice = str(gen.query_one("#gen-warnings").render())
        assert "could not resolve the default of --seed: make()" in notice
        rank = next(f for f in gen.query(FieldRow) if f.field.path == ("rank",))
        assert rank.field.help == "process rank · from environment: LOCAL_RANK"
        assert gen.defaults["depth"] == 18 and gen.defaults["rank"] == 0


async def test_every_extraction_warning_shown_fits_its_line_at_80_columns(tmp_path: Path) -> None:
    # a script reading LOCAL_RANK, RANK and WORLD_SIZE into the defaults of its parser: each warning
    # took two lines at 80 columns and the notice holds 4, so the third one and the count of the
    # others were cut off without a word (the absolute path of the script took half of each line)
    (tmp_path / "train.py").write_text(
        "import argparse, os\nA = os.getenv('LOCAL_RANK', '-1')\nB = os.getenv('RANK', '-1')\n"
        "C = os.getenv('WORLD_SIZE', '1')\nD = os.getenv('MASTER_PORT', '0')\n"
        "p = argparse.ArgumentParser()\np.add_argument('--lr', type=float, default=0.1)\n"
        "for flag, value in [('--local-rank', A), ('--rank', B), ('--world-size', C), ('--port', D)]:\n"
        "    p.add_argument(flag, default=value)\np.parse_args()\n")
    layout = init_workspace(tmp_path, tmp_path / "train.py")
    app = PyrunsApp(layout, watch_disk=False)
    async with app.run_test(size=(80, 24)) as pilot:
        gen = await ready(pilot)
        notice = gen.query_one("#gen-warnings")
        lines = [strip.text.rstrip() for strip in notice.render_lines(notice.region.reset_offset)]
        assert lines[0].startswith("⚠ train.py:2: the environment variable LOCAL_RANK is read")
        assert [line.split()[5] for line in lines[:3]] == ["LOCAL_RANK", "RANK", "WORLD_SIZE"]
        assert lines[3] == "  … 1 more: `pyr-tui init SCRIPT.py` prints them all"


async def test_a_long_parameter_name_is_cut_with_a_space_before_its_value(tmp_path: Path) -> None:
    # `grad_accum_steps1`, `evolve_populati…data/hyps`: a name of 16 characters or more ran into its
    # value at rest, and while edited it was cut without an ellipsis (`evolve_populatiodata/hyps`)
    (tmp_path / "train.py").write_text(
        "import argparse\np = argparse.ArgumentParser()\n"
        "p.add_argument('--grad-accum-steps', type=int, default=1)\n"
        "p.add_argument('--evolve-population', default='data/hyps')\n"
        "p.add_argument('--lr', type=float, default=0.1)\np.parse_args()\n")
    layout = init_workspace(tmp_path, tmp_path / "train.py")
    app = PyrunsApp(layout, watch_disk=False)
    async with app.run_test(size=(80, 24)) as pilot:
        gen = await ready(pilot)

        def first_line(widget: Widget) -> str:
            return widget.render_lines(widget.region.reset_offset)[0].text

        assert first_line(row(gen, "grad_accum_steps")).startswith("  grad_accum_ste… 1 ")
        assert first_line(row(gen, "evolve_population")).startswith("  evolve_populat… data/hyps ")
        assert first_line(row(gen, "lr")).startswith("  lr              0.1 ")
        population = row(gen, "evolve_population")
        editor = await edit(pilot, population)
        await pilot.pause()
        label = population.query_one(".field-label")
        assert first_line(label).rstrip() == "  evolve_populat…" and editor.region.x == label.region.right


async def test_a_mapping_default_of_a_list_argument_leaves_the_form_valid(tmp_path: Path) -> None:
    # timm's train.py: `--model-kwargs` (nargs='*', a custom action) defaults to {}; the form opened
    # invalid ("takes single values here, got {}"), nothing could be created without editing it
    (tmp_path / "train.py").write_text(MAPPING_DEFAULT_SCRIPT)
    layout = init_workspace(tmp_path, tmp_path / "train.py")
    app = PyrunsApp(layout, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        assert (await settled(pilot, gen)).startswith("1 task")
        kwargs = row(gen, "model_kwargs")
        await edit(pilot, kwargs)  # its text `{}` read back as the mapping it shows, not [{}]
        row(gen, "lr").focus()
        await until(pilot, lambda: not kwargs.editing)
        assert kwargs.value == {} and kwargs.problem is None
        await type_into(pilot, kwargs, "drop=0.1, depth=3")
        assert kwargs.value == ["drop=0.1", "depth=3"] and kwargs.problem is None
        await type_into(pilot, kwargs, "{drop: 0.1}")
        assert kwargs.problem is not None  # a mapping other than the default cannot be passed


async def test_a_grid_of_lone_values_in_a_list_field_creates_one_item_lists(tmp_path: Path) -> None:
    # `layers: 64 | 128` was refused ("64 is not a list"): the user had to write `[64] | [128]`, though
    # argparse itself reads `--layers 64` as [64]
    (tmp_path / "train.py").write_text(
        "import argparse\np = argparse.ArgumentParser()\n"
        "p.add_argument('--layers', nargs='+', type=int, default=[32])\n"
        "p.add_argument('--lr', type=float, default=0.1)\nprint(vars(p.parse_args()))\n")
    layout = init_workspace(tmp_path, tmp_path / "train.py")
    app = PyrunsApp(layout, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        layers = row(gen, "layers")
        await type_keys(pilot, layers, "64 | 128")
        summary = await settled(pilot, gen)
        assert layers.problem is None and summary.startswith("2 tasks"), summary
        assert gen.preview.data is not None and gen.preview.data.rows == (("1", "64"), ("2", "128"))
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await until(pilot, lambda: len(task_configs(layout)) == 2)
    sp = params_of(layout)
    argvs = [build_argv(config, sp) for config in task_configs(layout).values()]
    assert sorted(argvs) == [["--layers", "128"], ["--layers", "64"]]


async def test_a_choice_with_a_value_offers_no_null(demo: Layout) -> None:
    app = PyrunsApp(demo, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        select = await edit(pilot, row(gen, "arch"))
        assert isinstance(select, Select) and not select._allow_blank  # default resnet18: no `null`
        row(gen, "optimizer").set_value(None)
        select = await edit(pilot, row(gen, "optimizer"))
        assert isinstance(select, Select) and select._allow_blank  # it holds null: null stays a choice
