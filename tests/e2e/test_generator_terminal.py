"""The Generator in a real terminal: where the focus is can be seen."""

from __future__ import annotations

from collections.abc import Callable

from tests.e2e.terminal import Terminal, backgrounds


def line_of(screen: str, start: str) -> str:
    for line in screen.split("\n"):
        if Terminal.plain(line).strip().startswith(start):
            return line
    raise AssertionError(f"no line starting with {start!r}")


def value_background(screen: str, label: str) -> str | None:
    """The background under the value of the form field `label` (the cells after the label)."""
    line = line_of(screen, label)
    at = Terminal.plain(line).index(label) + 16
    return backgrounds(line)[at]


def test_a_focused_choice_field_is_highlighted(terminal: Callable[..., Terminal]) -> None:
    term = terminal("train.py")
    term.wait_for("^s Create")
    rest = value_background(term.screen(colors=True), "arch")
    term.keys(*["Tab"] * 5)  # name prefix, its input, the checkbox, the section title, arch
    term.wait(lambda s: value_background(s, "arch") != rest, "the focused choice field highlighted", colors=True)
