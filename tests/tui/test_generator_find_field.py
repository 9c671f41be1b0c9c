"""The Generator's ctrl+f: find a field of a big form by name and go to it (at 80x24 a form of 150
fields shows about seven; Tab after Tab was the only way down)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Static, Switch

from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.tui.screens.generator import GeneratorScreen
from pyruns_tui.tui.screens.help import merged_keys
from pyruns_tui.tui.widgets.generator.field_finder import FieldEntry, FieldFinder, rank_fields
from pyruns_tui.tui.widgets.generator.fields import FieldRow
from pyruns_tui.tui.widgets.generator.param_form import FormSection
from pyruns_tui.workspace.bootstrap import init_workspace
from pyruns_tui.workspace.layout import Layout
from tests.scripts import many_options_script
from tests.tui.test_generator import edit, ready, row, until
from tests.tui.test_generator_keys import footer_keys

HF_PROJECT = Path(__file__).parents[1] / "params" / "projects" / "hf_project"


@pytest.fixture
def many(tmp_path: Path) -> Layout:
    (tmp_path / "train.py").write_text(many_options_script())
    return init_workspace(tmp_path, tmp_path / "train.py")


async def open_finder(pilot: Pilot) -> FieldFinder:
    await pilot.press("ctrl+f")
    await until(pilot, lambda: isinstance(pilot.app.screen, FieldFinder))
    finder = pilot.app.screen
    assert isinstance(finder, FieldFinder)
    return finder


def listed(finder: FieldFinder) -> list[str]:
    options = finder.query_one("#finder-list", OptionList)
    return [str(options.get_option_at_index(i).prompt).split()[0] for i in range(options.option_count)]


def in_view(gen: GeneratorScreen, field: FieldRow) -> bool:
    """Whether the field's editor line is drawn inside the form's visible area."""
    return gen.form.scrollable_content_region.contains_region(field.editor.region)


async def test_ctrl_f_goes_to_a_field_far_down_and_scrolls_it_into_view(many: Layout) -> None:
    app = PyrunsApp(many, watch_disk=False)
    async with app.run_test(size=(80, 24)) as pilot:
        gen = await ready(pilot)
        assert "ctrl+f" in footer_keys(gen)
        finder = await open_finder(pilot)
        assert len(listed(finder)) == 150
        await pilot.press(*"lear")
        # a name starting with it, then one holding it, then a help mentioning it
        await until(pilot, lambda: listed(finder) == ["learning_rate", "clear_cache", "warmup_ratio"])
        await pilot.press("enter")
        lr = row(gen, "learning_rate")
        await until(pilot, lambda: app.screen is gen and lr.editing and lr.editor.has_focus)
        await until(pilot, lambda: in_view(gen, lr))
        assert gen.form.scroll_y > 0
        await pilot.press(*"0.1")  # its text was selected, as after Tab: typing replaces it
        await until(pilot, lambda: lr.text == "0.1")


async def test_a_field_deep_in_a_collapsed_section_is_scrolled_into_view(many: Layout) -> None:
    # the section opened and the field took the keys, but the form stayed at the section's title:
    # the scroll was done before the section's rows were laid out
    app = PyrunsApp(many, watch_disk=False)
    async with app.run_test(size=(80, 24)) as pilot:
        gen = await ready(pilot)
        deep = row(gen, "option_145")
        section = next(node for node in deep.ancestors if isinstance(node, FormSection))
        section.collapsed = True
        await until(pilot, lambda: not deep.region)
        await open_finder(pilot)
        await pilot.press(*"option_145", "enter")
        await until(pilot, lambda: app.screen is gen and deep.editing and deep.editor.has_focus)
        await until(pilot, lambda: in_view(gen, deep))
        await pilot.press(*"75")
        await until(pilot, lambda: deep.text == "75")
        assert in_view(gen, deep)


async def test_up_and_down_choose_among_the_matches(many: Layout) -> None:
    app = PyrunsApp(many, watch_disk=False)
    async with app.run_test(size=(80, 24)) as pilot:
        gen = await ready(pilot)
        finder = await open_finder(pilot)
        await pilot.press(*"lear")
        await until(pilot, lambda: len(listed(finder)) == 3)
        await pilot.press("down", "down", "up", "enter")
        cache = row(gen, "clear_cache")
        await until(pilot, lambda: app.screen is gen and cache.editing and isinstance(app.focused, Switch))
        assert in_view(gen, cache)


async def test_escape_goes_back_to_the_field_that_had_the_focus(many: Layout) -> None:
    app = PyrunsApp(many, watch_disk=False)
    async with app.run_test(size=(80, 24)) as pilot:
        gen = await ready(pilot)
        editor = await edit(pilot, row(gen, "option_003"))
        finder = await open_finder(pilot)
        await pilot.press(*"zzz")
        await until(pilot, lambda: listed(finder) == ["no"])
        prompt = finder.query_one("#finder-list", OptionList).get_option_at_index(0).prompt
        assert str(prompt) == "no field matches 'zzz'"
        assert str(finder.query_one("#finder-count", Static).render()) == "0 of 150 fields"
        await pilot.press("enter")  # nothing to go to: the finder stays
        assert app.screen is finder
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is gen and app.focused is editor)
        assert row(gen, "option_003").text == "3"  # nothing typed into it


async def test_going_to_the_field_being_edited_selects_its_text_again(many: Layout) -> None:
    app = PyrunsApp(many, watch_disk=False)
    async with app.run_test(size=(80, 24)) as pilot:
        gen = await ready(pilot)
        editor = await edit(pilot, row(gen, "option_003"))
        await pilot.press("end", *"45")
        await open_finder(pilot)
        await pilot.press(*"option_003", "enter")
        await until(pilot, lambda: app.screen is gen and app.focused is editor)
        await pilot.press("7")  # replaces 345, as typed after Tab
        await until(pilot, lambda: row(gen, "option_003").text == "7")


async def test_in_yaml_mode_ctrl_f_selects_the_fields_value_in_the_text(many: Layout) -> None:
    app = PyrunsApp(many, watch_disk=False)
    async with app.run_test(size=(80, 24)) as pilot:
        gen = await ready(pilot)
        await pilot.press("ctrl+y")
        await until(pilot, lambda: gen.yaml_mode and gen.yaml_editor.has_focus)
        await open_finder(pilot)
        await pilot.press(*"warm", "enter")
        await until(pilot, lambda: app.screen is gen and gen.yaml_editor.has_focus)
        assert gen.yaml_editor.selected_text == "0.0"
        line = gen.yaml_editor.selection.end[0]
        assert gen.yaml_editor.document[line].startswith("warmup_ratio:")
        assert gen.yaml_editor.scroll_y <= line < gen.yaml_editor.scroll_y + gen.yaml_editor.size.height


async def test_a_hugging_face_script_finds_by_section_and_by_help(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(HF_PROJECT / "site-packages"))  # the stand-in transformers, where init looks
    shutil.copy(HF_PROJECT / "run_clm.py", tmp_path / "run_clm.py")
    app = PyrunsApp(init_workspace(tmp_path, tmp_path / "run_clm.py"), watch_disk=False)
    async with app.run_test(size=(80, 24)) as pilot:
        gen = await ready(pilot)
        finder = await open_finder(pilot)
        await pilot.press(*"trainingarg")  # the dataclass (section) of the field
        await until(pilot, lambda: "learning_rate" in listed(finder) and "dataset_name" not in listed(finder))
        finder.query_one("#finder-filter", Input).value = ""
        await pilot.press(*"adamw")  # only its help says AdamW
        await until(pilot, lambda: listed(finder) == ["learning_rate"])
        await pilot.press("enter")
        lr = row(gen, "learning_rate")
        await until(pilot, lambda: app.screen is gen and lr.editing and lr.editor.has_focus)


def test_matches_rank_names_before_sections_before_help() -> None:
    entries = [FieldEntry("seed", "seed", "optim", "random seed for the optimiser"),
               FieldEntry("model.optim_state", "optim_state", "model", ""),
               FieldEntry("lr", "lr", "optim", ""),
               FieldEntry("adam_beta1", "adam_beta1", "", "beta1 of the Adam optimizer"),
               FieldEntry("load_optim", "load_optim", "", "")]
    assert [e.key for e in rank_fields(entries, " OPTIM ")] == [
        "model.optim_state", "load_optim", "seed", "lr", "adam_beta1"]
    assert rank_fields(entries, "") == entries
    assert rank_fields(entries, "nothing") == []


def test_help_lists_ctrl_f() -> None:
    assert any(binding.action == "find_field" and "ctrl+f" in (binding.key_display or "")
               for binding in merged_keys(GeneratorScreen))
