"""The Generator in a real terminal: where the focus is can be seen."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.e2e.terminal import Terminal, backgrounds
from tests.scripts import many_options_script


def line_of(screen: str, start: str) -> str | None:
    for line in screen.split("\n"):
        if Terminal.plain(line).strip().startswith(start):
            return line
    return None


def fields(screen: str, label: str) -> list[str]:
    """The words on the line of the form field `label`, left of the preview (none when the screen has
    no such line)."""
    return Terminal.plain(line_of(screen, label) or "").split("▏")[0].split()


def last_line(screen: str) -> str:
    lines = [line for line in screen.split("\n") if Terminal.plain(line).strip()]
    return Terminal.plain(lines[-1]) if lines else ""


def value_background(screen: str, label: str) -> str | None:
    """The background under the value of the form field `label` (the cells after the label), or
    None on a screen without that field's line (a frame caught while the terminal redraws)."""
    line = line_of(screen, label)
    if line is None:
        return None
    at = Terminal.plain(line).index(label) + 16
    return backgrounds(line)[at]


def test_a_focused_choice_field_is_highlighted(terminal: Callable[..., Terminal]) -> None:
    term = terminal("train.py")
    term.wait_for("^s Create")
    rest = value_background(term.screen(colors=True), "arch")
    assert rest is not None
    term.keys(*["Tab"] * 3)  # the name prefix, the section title, arch
    term.wait(lambda s: value_background(s, "arch") not in (None, rest), "the focused choice field highlighted",
              colors=True)


def test_keys_typed_right_after_a_focus_move_reach_the_next_field(terminal: Callable[..., Terminal]) -> None:
    term = terminal("train.py")
    term.wait_for("^s Create")
    # the name prefix, the section title, arch, hidden: then the keys at once
    # (a field reached by Tab or Enter has its text selected: the first key typed replaces it)
    term.keys(*["Tab"] * 4, "7", "Enter", "8", "9")  # Enter moves on to dropout (0.1) after its key
    term.wait(lambda s: fields(s, "dropout") == ["dropout", "89"], "8 and 9 in the dropout field")
    assert fields(term.screen(), "hidden") == ["hidden", "7"]
    term.keys("Tab", "Tab", "5", "5")  # lr (0.001) is mounted while the 5s arrive
    term.wait(lambda s: fields(s, "lr") == ["lr", "55"], "both 5s in the lr field")


def test_a_value_typed_right_after_tab_replaces_the_default(terminal: Callable[..., Terminal]) -> None:
    # a newcomer's first grid: Tab to lr (0.001) and type `0.5 | 0.1`, in one burst; it read
    # `0.0010.5 | 0.1` (invalid) unless the default was cleared with ctrl+u first
    term = terminal("train.py", size=(120, 30))
    term.wait_for("^s Create")
    # the name prefix, the model title, arch, hidden, dropout, the optim title, lr
    term.keys(*["Tab"] * 7, "0.5 | 0.1")
    term.wait(lambda s: fields(s, "lr") == ["lr", "0.5", "|", "0.1", "grid", "×2"], "lr 0.5 | 0.1, a grid of 2")
    term.wait_for("2 tasks")


def test_a_value_typed_after_end_in_yaml_mode_lands_before_the_help_comment(terminal: Callable[..., Terminal]) -> None:
    term = terminal("train.py")
    term.wait_for("^s Create")
    term.keys("C-y")
    term.wait(lambda s: "# peak learning rate" in s, "the YAML text with its help comments")
    term.keys("Down", "Down", "Down", "End", " | 0.01")  # arch, hidden, dropout, then lr
    term.wait(lambda s: "2 tasks" in s, "two tasks previewed")
    assert Terminal.plain(line_of(term.screen(), "lr:") or "").split() == ["lr:", "0.001", "|", "0.01", "#", "peak",
                                                                     "learning", "rate"]


def test_the_keys_the_footer_shows_on_a_switch_field_work(terminal: Callable[..., Terminal]) -> None:
    term = terminal("train.py")
    term.wait_for("^s Create")
    rest = value_background(term.screen(colors=True), "amp")
    # the name prefix, the model title, arch, hidden, dropout, the optim title, lr, optimizer,
    # weight_decay, amp (a Switch)
    term.keys(*["Tab"] * 10)
    term.wait(lambda s: value_background(s, "amp") not in (None, rest) and "? Help" in last_line(s),
              "the switch field focused, the footer showing ? and q", colors=True)
    assert " q " in Terminal.plain(last_line(term.screen()))
    term.keys("?")
    term.wait_for("pyruns-tui keys")
    term.keys("Escape")
    term.wait(lambda s: "pyruns-tui keys" not in s and "^s Create" in s, "Help closed")
    term.keys("q")
    term.wait(lambda s: term.dead(), "pyr-tui quit by q")


def test_ctrl_f_and_a_name_typed_at_once_land_on_that_field(terminal: Callable[..., Terminal], project: Path) -> None:
    # a form of 150 fields, learning_rate the 121st: the finder, its filter, Enter and the value
    # in one burst; each key must reach the widget that is there when its turn comes
    (project / "train.py").write_text(many_options_script())
    term = terminal("train.py")
    term.wait_for("^s Create")
    term.keys("C-f", "lear", "Enter", "0.1 | 0.2")
    term.wait(lambda s: fields(s, "learning_rate") == ["learning_rate", "0.1", "|", "0.2", "grid", "×2"],
              "learning_rate 0.1 | 0.2, a grid of 2")
    term.wait_for("2 tasks")


def test_ctrl_f_to_the_first_field_of_a_section_just_collapsed_shows_it(terminal: Callable[..., Terminal],
                                                                         project: Path) -> None:
    # learning_rate is the first field of group_4; collapsed, then found: the section opened and
    # the field was focused, but the scroll to it waited a number of refreshes that all ran before
    # the section was laid out, and the form stayed at the title (the section's own scroll to
    # it), the field below the view until the next Tab
    (project / "train.py").write_text(many_options_script())
    term = terminal("train.py")
    term.wait_for("^s Create")
    term.keys("C-f", "lear", "Enter")
    term.wait(lambda s: fields(s, "learning_rate")[:1] == ["learning_rate"], "learning_rate in view")
    for attempt in range(12):  # (a race: it went wrong in one try of two to six)
        term.keys("BTab", "Enter")  # its section's title, collapsed
        term.wait(lambda s: line_of(s, "▶ group_4") is not None and line_of(s, "learning_rate") is None,
                  f"group_4 collapsed (try {attempt})")
        term.keys("C-f", "lear", "Enter")
        term.wait(lambda s: "Go to a field" not in s and fields(s, "learning_rate")[:1] == ["learning_rate"],
                  f"learning_rate in view again (try {attempt})", timeout_s=10)
