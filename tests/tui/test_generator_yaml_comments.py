"""Generator YAML mode: a value typed at the end of a line never vanishes into its `# help` comment."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot

from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.tui.screens.generator import GeneratorScreen
from pyruns_tui.workspace.bootstrap import init_workspace
from pyruns_tui.workspace.layout import Layout
from tests.conftest import DEMO
from tests.tui.test_generator import ready, settled, task_configs, until


@pytest.fixture
def demo(tmp_path: Path) -> Layout:
    return init_workspace(tmp_path, DEMO / "train.py")


async def to_the_lr_line(pilot: Pilot, gen: GeneratorScreen) -> int:
    """YAML mode with the cursor moved down to the start of the `lr:` line, as a person would."""
    await pilot.press("ctrl+y")
    editor = gen.yaml_editor
    await until(pilot, lambda: gen.yaml_mode and editor.has_focus)
    lines = editor.text.split("\n")
    index = next(i for i, line in enumerate(lines) if line.startswith("lr:"))
    assert "# peak learning rate" in lines[index] and editor.cursor_location == (0, 0)
    await pilot.press(*["down"] * index)
    return index


async def test_end_stops_before_the_help_comment_so_typed_text_joins_the_value(demo: Layout) -> None:
    app = PyrunsApp(demo, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        index = await to_the_lr_line(pilot, gen)
        await pilot.press("end", *" | 0.01")
        line = gen.yaml_editor.text.split("\n")[index]
        assert line.startswith("lr: 0.001 | 0.01 ") and line.endswith("# peak learning rate")
        assert (await settled(pilot, gen)).startswith("2 tasks")


async def test_text_typed_at_the_line_end_after_the_comment_is_refused_not_lost(demo: Layout) -> None:
    app = PyrunsApp(demo, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        await to_the_lr_line(pilot, gen)
        await pilot.press("end", "end", *" | 0.01")  # the second End: past the comment
        summary = await settled(pilot, gen)
        assert summary.startswith("✖ invalid")
        assert "lr: '| 0.01' is in the comment (after '#'), not in the value" in summary
        assert gen.query_one("#gen-create").disabled
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert task_configs(demo) == {}
        await pilot.press(*["backspace"] * len(" | 0.01"))  # taken back out of the comment
        assert (await settled(pilot, gen)).startswith("1 task")
