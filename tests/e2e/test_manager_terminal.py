"""The Manager in a real terminal: what a user sees of the cursor and the selection."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pyruns_tui.workspace.store import TaskStore
from tests.e2e.terminal import Terminal, backgrounds


def row_background(screen: str, name: str) -> str | None:
    """The background under the name of task `name` on a `capture-pane -e` screen."""
    for line in screen.split("\n"):
        plain = Terminal.plain(line)
        at = plain.find(f" {name} ")
        if at >= 0:
            return backgrounds(line)[at + 1]
    raise AssertionError(f"{name} is not on screen")


@pytest.mark.parametrize("colors", ["truecolor", "256"])
def test_cursor_and_selected_rows_have_their_own_background(
        terminal: Callable[..., Terminal], demo_tasks: TaskStore, colors: str) -> None:
    term = terminal(colors=colors)  # a project with tasks opens on the Manager
    term.wait_for(" t3 ")
    term.keys("Home")
    term.wait(lambda s: row_background(s, "t1") != row_background(s, "t2"), "cursor on t1", colors=True)
    term.keys("space")  # selects t1, the cursor moves to t2
    screen = term.wait(lambda s: len({row_background(s, n) for n in ("t1", "t2", "t3")}) == 3,
                       "three distinct backgrounds: selected t1, cursor t2, plain t3", colors=True)
    plain = row_background(screen, "t3")
    assert row_background(screen, "t1") != plain and row_background(screen, "t2") != plain
