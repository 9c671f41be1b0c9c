"""YAML mode's mistakes said plainly: the preview and the way back to the form name the line at fault."""

from __future__ import annotations

from textual.widgets import TextArea

from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.workspace.layout import Layout
from tests.conftest import Shown
from tests.tui.test_generator import demo, ready, settled, until

__all__ = ["demo"]  # (fixture)

INDENTED = "line 1 is indented; top-level keys start at column 1 (remove the spaces before `arch:`)"


async def test_a_tab_typed_before_the_first_key_is_said_as_an_indented_line_1(
        demo: Layout, notifications: list[Shown]) -> None:
    """Tab indents in the YAML text (by design): before the first key it makes line 1 indented, which
    PyYAML calls "did not find expected <document start>" on line 2."""
    app = PyrunsApp(demo, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        await pilot.press("ctrl+y")
        editor = gen.yaml_editor
        await until(pilot, lambda: isinstance(app.focused, TextArea) and editor.text.startswith("arch:"))
        editor.move_cursor((0, 0))
        await pilot.press("tab")
        assert editor.text.startswith("  arch:")
        summary = await settled(pilot, gen)
        assert f"YAML:1:3: invalid YAML: {INDENTED}" in summary and "document start" not in summary
        await pilot.press("ctrl+y")  # back to the form: refused, with the same line
        await until(pilot, lambda: any("Fix the YAML" in note.title for note in notifications))
        assert gen.yaml_mode and notifications[-1].message == f"YAML:1:3: invalid YAML: {INDENTED}"


async def test_a_missing_space_after_a_colon_is_said_with_its_line(demo: Layout) -> None:
    app = PyrunsApp(demo, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        await pilot.press("ctrl+y")
        gen.yaml_editor.load_text("lr:0.1\n")  # valid YAML: the text 'lr:0.1', not a mapping
        assert ("the config must be a mapping of key: value; line 1 has no space after the colon (`lr:0.1`); "
                "write `lr: 0.1`") in await settled(pilot, gen)
        gen.yaml_editor.load_text("seed: 1\nlr:0.1\n")
        assert "YAML:2:3: invalid YAML: line 2 has no space after the colon (`lr:0.1`)" in await settled(pilot, gen)
