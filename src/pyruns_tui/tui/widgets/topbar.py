"""TopBar: the header line — screen tabs, workspace name, task counts by state, runner status."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from pyruns_tui.workspace.model import Status

SCREENS = (("generator", "1 Generator"), ("manager", "2 Manager"), ("monitor", "3 Monitor"))
STATUS_GLYPHS: dict[Status, tuple[str, str]] = {
    Status.PENDING: ("○", "dim"),
    Status.QUEUED: ("◷", "yellow"),
    Status.RUNNING: ("▶", "bold cyan"),
    Status.COMPLETED: ("✔", "green"),
    Status.FAILED: ("✖", "bold red"),
    Status.INTERRUPTED: ("■", "magenta"),
}


class TopBar(Widget):
    """One line: tabs for the three screens, then workspace, counts and runner status.

    Reactive attributes: `mode` (the current screen), `summary` (counts + runner text).
    """

    DEFAULT_CSS = """
    TopBar { height: 1; background: $panel; color: $text; }
    """

    mode: reactive[str] = reactive("generator")
    summary: reactive[Text] = reactive(Text, always_update=False)

    def __init__(self, mode: str) -> None:
        super().__init__()
        self.mode = mode

    def render(self) -> Text:
        line = Text(no_wrap=True, overflow="ellipsis")
        for mode, label in SCREENS:
            style = "bold reverse" if mode == self.mode else "dim"
            line.append(f" {label} ", style=style)
            line.append(" ")
        line.append(" ")
        line.append_text(self.summary)
        return line


def summary_text(workspace: str, counts: dict[Status, int], runner: str, subcommand: str | None = None) -> Text:
    """`train  ▶2 ◷3 ✔10 ✖1  runner: up`; `neural_style (train)  …` for the argparse sub-command whose
    parameters the form holds (the one `init` chose, and the tasks run)."""
    text = Text()
    text.append(workspace, style="bold")
    if subcommand:
        text.append(f" ({subcommand})")
    text.append("  ")
    for status in Status:
        if counts.get(status):
            glyph, style = STATUS_GLYPHS[status]
            text.append(f"{glyph}{counts[status]} ", style=style)
    text.append(f" runner: {runner}", style="dim")
    return text
