"""The Monitor in a real terminal: split panes end with the log (no horizontal scrollbar row, whose thumb
showed as a stray cell)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pyruns_tui.workspace.bootstrap import init_workspace
from pyruns_tui.workspace.model import Status
from pyruns_tui.workspace.store import TaskStore
from tests.e2e.terminal import Terminal
from tests.tui.monitor_fixtures import add_run, add_task

WIDE_LINE = b"epoch 3:  42%|" + "█".encode() * 120 + b"| 812/1563 [01:05<01:36, 8.1it/s, loss=0.31]\n"


def test_split_panes_end_with_the_log_not_a_scrollbar_row(terminal: Callable[..., Terminal], project: Path) -> None:
    store = TaskStore(init_workspace(project, project / "train.py"))
    for name in ("wide_a", "wide_b"):
        add_task(store, name)
        add_run(store, name, Status.COMPLETED, b"warming up\n" * 40 + WIDE_LINE)  # lines wider than a pane
    term = terminal()
    term.wait_for("/ Search")
    term.keys("3")
    term.wait(lambda s: "wide_b" in s and "space Mark" in s, "the Monitor's task list")
    term.keys("Space", "j", "Space", "v")  # mark both in the task list, split
    # the last row of each pane is the log's last line, not a horizontal scrollbar row (its thumb
    # showed as a lone `▌`/`▋` cell): the sideways position is in the header (`⇆`), h/l scroll
    term.wait(lambda s: s.count("╰") >= 2 and last_row(s).count("epoch 3:") == 2,
              "two split panes ending with the log's last line", timeout_s=15)


def last_row(screen: str) -> str:
    """The row above the split panes' bottom border."""
    lines = screen.split("\n")
    return next((lines[i - 1] for i, line in enumerate(lines) if "╰" in line), "")
