"""Typing into the Generator's fields: a field reached by the keyboard has its whole text selected,
so a value typed replaces it (mnist's `lr` of 1.0 read `1.00.5 | 0.1`: Ctrl+U first, or know);
a click puts the cursor where it lands; End, Home and Ctrl+U still edit in place."""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import Input

from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.tui.widgets.generator.fields import FieldRow
from pyruns_tui.workspace.layout import Layout
from tests.tui.test_generator import edit, ready, row, settled, until
from tests.tui.test_generator_focus import tab_to
from tests.tui.test_generator_form_text import demo, mnist  # noqa: F401 - the fixtures


async def test_typing_after_tab_replaces_the_value_and_end_or_home_edit_it_in_place(mnist: Layout) -> None:
    app = PyrunsApp(mnist, watch_disk=False)
    async with app.run_test(size=(120, 30)) as pilot:
        gen = await ready(pilot)
        await edit(pilot, row(gen, "epochs"))
        await tab_to(pilot, gen, "lr")
        await pilot.press(*"0.5 | 0.1")
        assert (row(gen, "lr").text, row(gen, "lr").badge) == ("0.5 | 0.1", " grid ×2 ")
        await pilot.press("shift+tab")
        await until(pilot, lambda: gen.focused_row() is row(gen, "epochs"))
        await pilot.press("end", "0")
        assert row(gen, "epochs").text == "140"
        await pilot.press("home", "2")
        assert row(gen, "epochs").text == "2140"
        await pilot.press("ctrl+u", "3")
        assert row(gen, "epochs").text == "3140"
        await pilot.press("enter")  # on to lr, its text selected again: ctrl+u clears it whole
        await until(pilot, lambda: gen.focused_row() is row(gen, "lr"))
        await pilot.press("ctrl+u")
        assert row(gen, "lr").text == ""


async def click_at(pilot: Pilot, field: FieldRow, column: int) -> None:
    """A click `column` cells into the row, at its place on the screen (a terminal's click names no
    widget: Pilot's names the widget given it)."""
    await pilot.click(offset=(field.region.x + column, field.region.y))


async def test_a_click_puts_the_cursor_where_it_lands(demo: Layout) -> None:
    app = PyrunsApp(demo, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        lr = row(gen, "lr")  # 0.001
        await click_at(pilot, lr, lr.label_width + 2)  # on the first 0 after the point
        await until(pilot, lambda: lr.editing and lr.editor.has_focus)
        await pilot.press("5")
        assert lr.text == "0.5001"
        dropout = row(gen, "dropout")  # 0.1
        await click_at(pilot, dropout, 3)  # on its name: the cursor at the end
        await until(pilot, lambda: dropout.editing and dropout.editor.has_focus)
        await pilot.press("5")
        assert dropout.text == "0.15"


async def test_tab_into_the_name_prefix_selects_it(demo: Layout) -> None:
    app = PyrunsApp(demo, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        prefix = gen.query_one("#gen-prefix", Input)
        prefix.value = "sweep1"
        await pilot.press("tab", *"sweep2")
        assert prefix.value == "sweep2"


async def test_a_value_typed_after_the_name_and_a_tab_lands_in_the_first_parameter(mnist: Layout) -> None:
    # a newcomer on dcgan typed Tab, `dcsweep`, Tab, `cifar10`: the second Tab went to the *skip
    # configs that already exist* box beside the name, which takes no text: `cifar10` was lost
    # (its `1` showed the Generator; a `q` quit the app, a `2` showed the Manager)
    app = PyrunsApp(mnist, watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        gen = await ready(pilot)
        await pilot.press("tab", *"sweep", "tab", *"2 | 3")
        assert gen.query_one("#gen-prefix", Input).value == "sweep"
        assert row(gen, "epochs").text == "2 | 3"
        create, box = gen.query_one("#gen-create"), gen.query_one("#gen-skip")
        await settled(pilot, gen)  # Create is disabled while a half-typed grid (`2 |`) was the last previewed
        create.focus()  # the box still has its Tab stop: after the form
        await until(pilot, lambda: gen.focused is create)
        await pilot.press("shift+tab")
        await until(pilot, lambda: gen.focused is box)
        await pilot.press("shift+tab")
        await until(pilot, lambda: gen.focused_row() is row(gen, "log_interval"))
