"""Generator focus moves: a Tab redraws what it changes (the row it leaves, the row it enters, a
section's tint), not the whole form, the footer and the preview (benchmarks/bench_generator.py
times it on timm's 173-field form); a value set into the field being edited."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widgets import Input, Select

from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.tui.screens.generator import GeneratorScreen
from pyruns_tui.tui.widgets.footer import KeyFooter
from pyruns_tui.tui.widgets.generator.fields import FieldRow
from pyruns_tui.tui.widgets.generator.param_form import FormSection
from pyruns_tui.workspace.bootstrap import init_workspace
from pyruns_tui.workspace.layout import Layout
from tests.conftest import DEMO
from tests.tui.test_generator import edit, ready, row, until


@pytest.fixture
def demo(tmp_path: Path) -> Layout:
    return init_workspace(tmp_path, DEMO / "train.py")


def restyled_rows(app: PyrunsApp) -> list[FieldRow]:
    """The rows the app's stylesheet applies its rules to from now on (a restyle of a row, at each
    class or focus change that may concern it)."""
    seen: list[FieldRow] = []
    apply: Callable[..., None] = app.stylesheet.apply

    def counted(node: Any, *args: Any, **kwargs: Any) -> None:
        if isinstance(node, FieldRow):
            seen.append(node)
        apply(node, *args, **kwargs)

    app.stylesheet.apply = counted  # type: ignore[method-assign]
    return seen


async def tab_to(pilot: Pilot, gen: GeneratorScreen, key: str) -> None:
    """Tab until the field `key` is being edited, and the row left is back at rest."""
    target = row(gen, key)
    for _ in range(3):  # a section's title is a stop of its own
        await pilot.press("tab")
        if gen.focused_row() is target:
            break
    await until(pilot, lambda: target.editing and target.editor.has_focus
                and [r for r in gen.form.rows if r.editing] == [target])


def backgrounds(widget: FieldRow) -> set[object]:
    """The background colours of the first line the row draws (its text and what pads it)."""
    strip = widget.render_lines(Region(0, 0, widget.size.width, 1))[0]
    return {segment.style.bgcolor for segment in strip if segment.style is not None}


async def test_a_tab_restyles_the_rows_it_leaves_and_enters_not_their_section(demo: Layout) -> None:
    app = PyrunsApp(demo, watch_disk=False)
    async with app.run_test(size=(100, 40)) as pilot:
        gen = await ready(pilot)
        await edit(pilot, row(gen, "arch"))
        await pilot.pause()
        seen = restyled_rows(app)
        for left, entered in (("arch", "hidden"), ("hidden", "dropout"), ("dropout", "lr"), ("lr", "optimizer")):
            seen.clear()
            await tab_to(pilot, gen, entered)
            # (Collapsible's :focus-within made Textual restyle every row of the section, at each Tab)
            assert {r.key for r in seen} == {left, entered}
        model, optim = (s for s in gen.query(FormSection) if s.title in ("model", "optim"))
        assert optim.has_class("-focus-within") and not model.has_class("-focus-within")
        assert optim.styles.background_tint.a > 0 and model.styles.background_tint.a == 0
        # a row at rest in the tinted section draws its text on the tint, as what pads it
        at_rest, untinted = backgrounds(row(gen, "weight_decay")), backgrounds(row(gen, "hidden"))
        assert len(at_rest) == 1 and len(untinted) == 1 and at_rest != untinted


async def test_a_tab_between_text_fields_keeps_the_footer_and_the_preview(demo: Layout) -> None:
    app = PyrunsApp(demo, watch_disk=False)
    async with app.run_test(size=(100, 40)) as pilot:
        gen = await ready(pilot)
        footer = gen.query_one(KeyFooter)
        await edit(pilot, row(gen, "epochs"))
        await until(pilot, lambda: gen._preview_timer is None and footer.children)
        keys = list(footer.children)
        previews: list[None] = []
        gen.schedule_preview = lambda: previews.append(None)  # type: ignore[method-assign]
        for key in ("steps", "step_time", "seed"):
            await tab_to(pilot, gen, key)
        await pilot.pause()
        assert isinstance(row(gen, "seed").editor, Input)
        # the same keys are shown: the footer keeps them (it rebuilt them at each focus move)
        assert list(footer.children) == keys
        # an editor mounted with the row's value is no edit (it recomputed the preview at each Tab)
        assert previews == []


async def test_a_value_set_in_an_edited_field_is_read_at_once_and_an_edit_after_a_tab_previewed(demo: Layout) -> None:
    app = PyrunsApp(demo, watch_disk=False)
    async with app.run_test(size=(100, 40)) as pilot:
        gen = await ready(pilot)
        await edit(pilot, row(gen, "hidden"))
        await tab_to(pilot, gen, "dropout")
        await pilot.press("end", "ctrl+u", *"0.1 | 0.2")
        await until(pilot, lambda: gen._preview_timer is None and "2 tasks" in gen.preview.summary_text)
        await tab_to(pilot, gen, "lr")
        row(gen, "lr").set_value(0.5)  # set while edited: the Input shows it, the row reads it at once
        assert row(gen, "lr").value == 0.5 and isinstance(row(gen, "lr").editor, Input)
        await until(pilot, lambda: row(gen, "lr").editor.value == "0.5")  # type: ignore[attr-defined]
        await until(pilot, lambda: gen._preview_timer is None and gen.form.spec()["lr"] == 0.5)


async def test_a_value_a_choice_field_cannot_hold_set_while_it_is_edited_makes_it_text(demo: Layout) -> None:
    app = PyrunsApp(demo, watch_disk=False)
    async with app.run_test(size=(100, 40)) as pilot:
        gen = await ready(pilot)
        arch = row(gen, "arch")
        assert isinstance(await edit(pilot, arch), Select)
        arch.set_value("resnet18 | vit")  # (the Select was given it too, and raised InvalidSelectValueError)
        assert arch.text_mode and arch.text == "resnet18 | vit" and arch.problem
        await until(pilot, lambda: isinstance(arch.editor, Input) and arch.editor.has_focus)
        assert arch.editor.value == "resnet18 | vit"  # type: ignore[attr-defined]
