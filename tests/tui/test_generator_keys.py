"""Generator keys as a fast terminal delivers them: all at once, while editors mount and focus moves."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual import events
from textual.pilot import Pilot
from textual.widgets import Input, Select, Switch
from textual.widgets._footer import FooterKey

from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.tui.screens.generator import GeneratorScreen
from pyruns_tui.tui.screens.help import HelpScreen
from pyruns_tui.tui.widgets.footer import KeyFooter
from pyruns_tui.workspace.bootstrap import init_workspace
from pyruns_tui.workspace.layout import Layout
from tests.conftest import DEMO
from tests.tui.test_generator import edit, ready, row, until
from tests.tui.test_key_order import arrive_as_a_key_is_done


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
        burst(pilot, "tab", "7", "7")  # hidden (256) is mounted while the 7s arrive: they replace its text
        await until(pilot, lambda: row(gen, "hidden").text == "77")


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
        await until(pilot, lambda: hidden.text == "7")


async def test_keys_typed_after_enter_go_to_the_next_field(demo: Layout) -> None:
    app = PyrunsApp(demo, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        await edit(pilot, row(gen, "hidden"))
        burst(pilot, "end", "1", "enter", "7", "8")  # Enter's move to dropout happens after the Enter key
        await until(pilot, lambda: row(gen, "dropout").text == "78")
        assert row(gen, "hidden").text == "2561"


async def test_keys_of_a_burst_read_in_two_pieces_keep_their_order(demo: Layout, monkeypatch: pytest.MonkeyPatch) -> None:
    """The e2e test's keys once showed `hidden 256789` in CI: the second piece of the burst reached
    the app as the first Tab was done, and its Enter went ahead of the held Tabs (to the name prefix)."""
    app = PyrunsApp(demo, watch_disk=False)
    async with app.run_test(size=(80, 24)) as pilot:
        gen = await ready(pilot)
        arrive_as_a_key_is_done(monkeypatch, ("enter", "\r"), ("8", "8"), ("9", "9"))
        burst(pilot, *["tab"] * 4, "7")  # the prefix, the model title, arch, hidden
        prefix = gen.query_one("#gen-prefix", Input)
        await until(pilot, lambda: "9" in prefix.value + row(gen, "hidden").text + row(gen, "dropout").text)
        assert (prefix.value, row(gen, "hidden").text, row(gen, "dropout").text) == ("", "7", "89")


async def test_keys_on_a_choice_field_stay_in_it(demo: Layout) -> None:
    """Letters and digits pick a choice in place (2, q are no screen keys there); ↑/↓ never open the list."""
    app = PyrunsApp(demo, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        select = await edit(pilot, row(gen, "arch"))
        assert isinstance(select, Select)
        await pilot.press("down", "up", "2", "q", "3")
        assert app.is_running and app.screen is gen and not select.expanded
        assert app.focused is select and row(gen, "arch").text == "resnet18"
        await pilot.press("r")
        assert row(gen, "arch").text == "resnet34"  # the next choice starting with r
        await pilot.press("v")
        assert row(gen, "arch").text == "vit-s" and not select.expanded
        await pilot.press("space")
        assert select.expanded  # asked for: space (or Enter, or a click) opens the list
        await pilot.press("escape")


def footer_keys(gen: GeneratorScreen) -> set[str]:
    return {key.key for key in gen.query_one(KeyFooter).query(FooterKey)}


async def help_opens(pilot: Pilot, gen: GeneratorScreen) -> bool:
    """Press `?`: whether Help opened (closed again, the focus back where it was)."""
    focused = pilot.app.focused
    await pilot.press("question_mark")
    if not isinstance(pilot.app.screen, HelpScreen):
        return False
    await pilot.press("escape")
    await until(pilot, lambda: pilot.app.screen is gen and pilot.app.focused is focused)
    return True


async def test_the_footer_shows_what_works_on_a_switch_and_a_choice_field(demo: Layout) -> None:
    """A field that types no text shows the screen's keys it leaves to the screen, and they work: on
    a Switch `?` and `q` (a Switch takes only space), on a choice field `?` (letters pick a choice,
    so `q` is not shown); a text field shows neither."""
    app = PyrunsApp(demo, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        for key, shown in (("amp", {"question_mark", "q"}), ("arch", {"question_mark"}), ("lr", set())):
            editor = await edit(pilot, row(gen, key))
            await until(pilot, lambda: footer_keys(gen) & {"question_mark", "q"} == shown)
            assert await help_opens(pilot, gen) is ("question_mark" in shown), key
            assert app.focused is editor
        await edit(pilot, row(gen, "weight_decay"))
        burst(pilot, "tab", "question_mark")  # `?` reaches amp's row before its Switch has the focus
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))


async def test_screen_keys_work_on_a_switch(demo: Layout) -> None:
    """A Switch types nothing: 2 switches screens and q quits, as with nothing focused."""
    app = PyrunsApp(demo, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        switch = await edit(pilot, row(gen, "amp"))
        await pilot.press("space")
        assert isinstance(switch, Switch) and switch.value and row(gen, "amp").value is True
        await pilot.press("2")
        await until(pilot, lambda: app.current_mode == "manager")
        await pilot.press("1")
        await until(pilot, lambda: app.screen is gen and app.focused is switch)
        await pilot.press("q")
        await until(pilot, lambda: not app.is_running)


async def test_a_letter_typed_while_a_choice_field_mounts_picks_a_choice(demo: Layout) -> None:
    app = PyrunsApp(demo, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        await edit(pilot, row(gen, "dropout"))
        burst(pilot, "tab", "tab", "tab", "s")  # the optim title, lr, optimizer (mounting)
        await until(pilot, lambda: row(gen, "optimizer").text == "sgd")
        assert app.screen is gen and app.is_running
