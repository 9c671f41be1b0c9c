"""Generator keys as a fast terminal delivers them: all at once, while editors mount and focus moves."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual import events
from textual.pilot import Pilot

from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.workspace.bootstrap import init_workspace
from pyruns_tui.workspace.layout import Layout
from tests.conftest import DEMO
from tests.tui.test_generator import edit, ready, row, until


@pytest.fixture
def demo(tmp_path: Path) -> Layout:
    return init_workspace(tmp_path, DEMO / "train.py")


def burst(pilot: Pilot, *keys: str) -> None:
    """Post `keys` to the app in one go, as a terminal read delivers a burst (Pilot.press waits after each)."""
    for key in keys:
        character = key if len(key) == 1 else None
        pilot.app.post_message(events.Key(key, character))


async def test_a_key_typed_while_the_next_editor_mounts_reaches_it(demo: Layout) -> None:
    app = PyrunsApp(demo, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        await edit(pilot, row(gen, "arch"))
        burst(pilot, "tab", "7", "7")  # hidden (256) is mounted while the 7s arrive
        await until(pilot, lambda: row(gen, "hidden").text == "25677")


async def test_a_key_forwarded_to_a_row_before_its_editor_had_the_focus_is_typed(demo: Layout) -> None:
    """The row takes the focus, mounts its editor and gives it the focus; a key the app forwarded to
    the row meanwhile is handled by the row right after that, before the editor knows it is focused."""
    app = PyrunsApp(demo, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        hidden = row(gen, "hidden")
        gen.set_focus(hidden)  # at once (Widget.focus waits a turn)
        key = events.Key("7", "7")
        key._set_forwarded()  # as App.on_event forwards a key to the focused widget
        hidden.post_message(key)
        await until(pilot, lambda: hidden.editing and hidden.editor.has_focus)
        await until(pilot, lambda: hidden.text == "2567")


async def test_keys_typed_after_enter_go_to_the_next_field(demo: Layout) -> None:
    app = PyrunsApp(demo, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        await edit(pilot, row(gen, "hidden"))
        burst(pilot, "end", "1", "enter", "7", "8")  # Enter's move to dropout happens after the Enter key
        await until(pilot, lambda: row(gen, "dropout").text == "0.178")
        assert row(gen, "hidden").text == "2561"
