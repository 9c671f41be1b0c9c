"""KeyOrder: each key is handled on the widget focused when its turn comes, however slow the one before."""

from __future__ import annotations

import asyncio
import string

import pytest
from textual import events
from textual.app import ComposeResult
from textual.widgets import Button, Input

from pyruns_tui.tui.key_order import KeyOrder, split_alt
from tests.waiting import wait_for

SLOW_S = 1.5  # longer than the fixed second after which the next key used to be let through


class SlowMove(Input):
    """`>` takes a while (a busy machine), then moves the focus to the next field."""

    async def on_key(self, event: events.Key) -> None:
        if event.key == "greater_than_sign":
            event.stop()
            event.prevent_default()
            await asyncio.sleep(SLOW_S)
            self.screen.focus_next()


class Form(KeyOrder):
    def compose(self) -> ComposeResult:
        yield SlowMove(id="first")
        yield Input(id="second")
        yield Button("close", id="close")

    def on_button_pressed(self) -> None:
        self.query_one("#close").remove()


def burst(app: KeyOrder, *keys: tuple[str, str | None]) -> None:
    for key, character in keys:
        app.post_message(events.Key(key, character))


def arrive_as_a_key_is_done(monkeypatch: pytest.MonkeyPatch, *keys: tuple[str, str | None]) -> None:
    """Deliver `keys` the first time the app is done with a key while others are held.

    A terminal read may end mid-burst: the rest of the burst can reach the app's queue right behind
    the marker that ends a key, ahead of the call that lets the next held key through.
    """
    late = list(keys)
    key_done = KeyOrder._key_done

    def deliver_then_done(app: KeyOrder) -> None:
        if late and app._held_keys:
            for key, character in late:
                event = events.Key(key, character)
                event.set_sender(app)  # as the driver sends it
                app.post_message(event)
            late.clear()
        key_done(app)

    monkeypatch.setattr(KeyOrder, "_key_done", deliver_then_done)


async def test_a_key_after_a_slow_one_waits_for_it() -> None:
    app = Form()
    async with app.run_test() as pilot:
        app.query_one("#first").focus()
        await pilot.pause()
        burst(app, ("greater_than_sign", ">"), ("x", "x"))
        second = app.query_one("#second", Input)
        await wait_for(pilot, lambda: second.value or app.query_one("#first", Input).value, what="the x typed")
        assert second.value == "x" and app.query_one("#first", Input).value == ""


async def test_a_key_that_removes_its_widget_lets_the_next_one_go() -> None:
    app = Form()
    async with app.run_test() as pilot:
        app.query_one("#close").focus()
        await pilot.pause()
        burst(app, ("enter", "\r"), ("tab", "\t"), ("y", "y"))  # the button goes; the marker went with it
        first = app.query_one("#first", Input)
        await wait_for(pilot, lambda: first.value == "y", what="the y typed into the first field")


async def test_keys_that_arrive_as_a_key_is_done_wait_behind_the_held_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    app = Form()
    async with app.run_test() as pilot:
        second = app.query_one("#second", Input)
        second.focus()
        await pilot.pause()
        arrive_as_a_key_is_done(monkeypatch, ("c", "c"))
        burst(app, ("a", "a"), ("b", "b"))  # b is held while a is handled; c arrives as a is done
        await wait_for(pilot, lambda: len(second.value) == 3, what="the three keys typed")
        assert second.value == "abc"


def parsed(data: str) -> list[tuple[str, str | None]]:
    """What the app handles for terminal bytes `data`: Textual's parser, then KeyOrder's split."""
    from textual._xterm_parser import XTermParser

    parser = XTermParser()
    out: list[tuple[str, str | None]] = []
    for event in [*parser.feed(data), *parser.feed("")]:
        keys = split_alt(event) if isinstance(event, events.Key) else []
        out += [(key.key, key.character) for key in keys] or [(type(event).__name__, None)]
    return out


# (not ESC b / ESC f: macOS terminals' Option+arrows)
@pytest.mark.parametrize("character", [c for c in string.digits + string.ascii_letters + string.punctuation
                                       if c not in "bf"])
def test_escape_then_a_key_typed_at_once_is_escape_then_that_key(character: str) -> None:
    # ESC + punctuation was the character alone (the Escape lost), or a WezTerm Option symbol;
    # ESC + `[ ] _ ^ \` (which open the terminal's reports) too, once no report followed
    keys = parsed("\x1b" + character)
    assert [key for key, _ in keys][:1] == ["escape"] and [char for _, char in keys[1:]] == [character]


@pytest.mark.parametrize(("byte", "key"), [("\x06", "ctrl+f"), ("\x0f", "ctrl+o"), ("\x13", "ctrl+s"),
                                         ("\r", "enter"), ("\x08", "backspace")])
def test_escape_then_a_control_key_typed_at_once_is_escape_then_that_key(byte: str, key: str) -> None:
    # reissued after the escape delay as the control key alone (the Escape lost)
    assert parsed("\x1b" + byte) == [("escape", "\x1b"), (key, byte)]


def test_the_terminals_own_sequences_still_parse() -> None:
    assert parsed("\x1b[A") == [("up", None)]
    assert parsed("\x1b\x1b") == [("escape", "\x1b"), ("escape", "\x1b")]
    assert parsed("\x1b[<0;10;5M") == [("MouseDown", None)]
    assert parsed("\x1b[200~a?b\x1b[201~") == [("Paste", None)]
    assert parsed("\x1b[j") == [("escape", "\x1b"), ("left_square_bracket", "["), ("j", "j")]  # no report: typed
