"""Keys typed fast in a real terminal land on the screen that is current when their turn comes."""

from __future__ import annotations

from collections.abc import Callable

from pyruns_tui.workspace.model import Status
from pyruns_tui.workspace.store import TaskStore
from tests.e2e.terminal import Terminal

MANAGER_FOOTER = "/ Search"
MONITOR_FOOTER = "Next run"
GENERATOR_FOOTER = "^s Create"


def footer(screen: str) -> str:
    lines = [line for line in screen.split("\n") if line.strip()]
    return lines[-1] if lines else ""


def test_two_screen_keys_typed_at_once_end_on_the_second(terminal: Callable[..., Terminal],
                                                         demo_tasks: TaskStore) -> None:
    term = terminal("train.py")  # opens on the Generator
    term.wait_for(GENERATOR_FOOTER)
    term.keys("2", "3")  # the Manager is mounted for the first time while 3 arrives
    term.wait(lambda s: MONITOR_FOOTER in footer(s), "the Monitor")
    term.keys("2")
    # every task listed (a capture can catch a frame half drawn: the footer new, rows not yet);
    # a 3 taken as a hidden search would list t3 alone, and this wait would fail
    screen = term.wait(lambda s: MANAGER_FOOTER in footer(s) and all(f" {name} " in s for name in ("t1", "t2", "t3")),
                       "the Manager listing t1, t2 and t3")
    assert "search:" not in screen  # the 3 did not become a hidden search


def test_letters_after_duplicate_go_to_the_generator(terminal: Callable[..., Terminal],
                                                     demo_tasks: TaskStore) -> None:
    term = terminal()
    term.wait(lambda s: MANAGER_FOOTER in footer(s) and " t3 " in s, "the Manager")
    term.keys("e", "a", "r")  # duplicate, then select-all and run if they reached the Manager
    term.wait(lambda s: GENERATOR_FOOTER in footer(s), "the Generator")
    term.keys("2")
    term.wait(lambda s: MANAGER_FOOTER in footer(s), "back on the Manager")
    assert {task.status for task in demo_tasks.scan()} == {Status.PENDING}
    assert "selected" not in term.screen()


def test_a_key_after_delete_goes_to_the_confirmation(terminal: Callable[..., Terminal],
                                                     demo_tasks: TaskStore) -> None:
    term = terminal()
    term.wait(lambda s: MANAGER_FOOTER in footer(s) and " t3 " in s, "the Manager")
    term.keys("d", "1")
    term.wait_for("Delete 1 task")  # the dialog is on screen, not left behind a hidden Manager
    term.keys("n")
    term.wait(lambda s: "Delete 1 task" not in s, "the dialog closed")
    assert len(demo_tasks.names()) == 3


def typing_in_hidden(terminal: Callable[..., Terminal]) -> Terminal:
    """The Generator of train.py, its `hidden` field (256) focused and a 7 typed at its end."""
    term = terminal("train.py")
    term.wait_for(GENERATOR_FOOTER)
    # the name prefix, the section title, arch, hidden (End: after its text, selected by Tab)
    term.keys(*["Tab"] * 4, "End", "7")
    term.wait(lambda s: "2567" in s, "the 7 in the hidden field")
    return term


def test_escape_and_a_screen_key_typed_at_once_leave_the_field_and_switch(terminal: Callable[..., Terminal],
                                                                          demo_tasks: TaskStore) -> None:
    # within the escape delay, ESC 2 is one sequence: Alt+2 (or, in Textual's table for WezTerm's
    # Option+digit, the symbol ™, which the focused field took as typed)
    term = typing_in_hidden(terminal)
    term.keys("Escape", "2")
    term.wait(lambda s: MANAGER_FOOTER in footer(s) and " t3 " in s, "the Manager")
    term.keys("1")
    screen = term.wait(lambda s: GENERATOR_FOOTER in footer(s), "back on the Generator")
    assert hidden_field(screen) == [["hidden", "2567"]]
    assert "™" not in screen


def hidden_field(screen: str) -> list[list[str]]:
    return [Terminal.plain(line).split() for line in screen.split("\n")
            if Terminal.plain(line).strip().startswith("hidden")]


def test_escape_and_punctuation_typed_at_once_leave_the_field_first(terminal: Callable[..., Terminal],
                                                                    demo_tasks: TaskStore) -> None:
    # within the escape delay, ESC ? is one sequence that Textual read as a `?` alone: the Escape
    # was lost and the `?` typed into the focused field; ESC - became WezTerm's Option symbol –
    term = typing_in_hidden(terminal)
    term.keys("Escape", "?")
    term.wait_for("pyruns-tui keys")
    term.keys("Escape")
    screen = term.wait(lambda s: "pyruns-tui keys" not in s and GENERATOR_FOOTER in footer(s), "help closed")
    assert hidden_field(screen) == [["hidden", "2567"]]
    term.keys("Tab", "8")  # the first field focused again (the name prefix)
    term.wait(lambda s: "names: 8" in s, "the 8 in the name prefix")
    term.keys("Escape", "-", "2")  # the 2 only once the - was handled (keys go one after the other)
    term.wait(lambda s: MANAGER_FOOTER in footer(s) and " t3 " in s, "the Manager")
    term.keys("1")
    # (the preview is drawn a frame after the footer: wait for both)
    screen = term.wait(lambda s: GENERATOR_FOOTER in footer(s) and "names:" in s, "back on the Generator")
    names = [Terminal.plain(line).split() for line in screen.split("\n") if "names:" in line]
    assert names == [["names:", "8"]] and "–" not in screen
    assert hidden_field(screen) == [["hidden", "2567"]]


def test_escape_and_a_bracket_typed_at_once_leave_the_field_first(terminal: Callable[..., Terminal],
                                                                  demo_tasks: TaskStore) -> None:
    # ESC ] opens a terminal report (OSC): Textual waited for the rest of it, then let the `]` and
    # what followed through as typed, into the focused field (the Escape lost: the Monitor's `]`)
    term = typing_in_hidden(terminal)
    term.keys("Escape", "]", "2")
    term.wait(lambda s: MANAGER_FOOTER in footer(s) and " t3 " in s, "the Manager")
    term.keys("1")
    screen = term.wait(lambda s: GENERATOR_FOOTER in footer(s), "back on the Generator")
    assert hidden_field(screen) == [["hidden", "2567"]]


def test_escape_and_ctrl_f_typed_at_once_leave_the_field_first(terminal: Callable[..., Terminal],
                                                              demo_tasks: TaskStore) -> None:
    # within the escape delay, ESC ctrl+f reached the app as ctrl+f alone: the finder opened with
    # the field still focused, and closing it (Esc) went back into the field, where the 2 was typed
    term = typing_in_hidden(terminal)
    term.keys("Escape", "C-f")
    term.wait_for("Go to a field")
    term.keys("Escape", "2")
    screen = term.wait(lambda s: MANAGER_FOOTER in footer(s) or "25672" in s, "the Manager, or the 2 typed")
    assert MANAGER_FOOTER in footer(screen)
    term.keys("1")
    screen = term.wait(lambda s: GENERATOR_FOOTER in footer(s), "back on the Generator")
    assert hidden_field(screen) == [["hidden", "2567"]]


def test_every_screen_shows_help_and_quit_in_an_80_column_terminal(terminal: Callable[..., Terminal],
                                                                 demo_tasks: TaskStore) -> None:
    # the Manager's keys pushed `? Help` off the footer; the Generator showed `q` with no `Quit`
    term = terminal("train.py", size=(80, 24))
    for key, shown in (("", GENERATOR_FOOTER), ("2", MANAGER_FOOTER), ("3", MONITOR_FOOTER)):
        if key:
            term.keys(key)
        term.wait(lambda s, shown=shown: shown in footer(s) and "? Help  q Quit" in footer(s),
                  f"? Help and q Quit beside {shown!r}")
