"""Generator focus moves: a Tab redraws what it changes (the row it leaves, the row it enters, a
section's tint), not the whole form, the footer and the preview (benchmarks/bench_generator.py
times it on timm's 173-field form)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.geometry import Region
from textual.pilot import Pilot

from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.tui.screens.generator import GeneratorScreen
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
