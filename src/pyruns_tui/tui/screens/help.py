"""HelpScreen: every key binding, generated from the key maps of the app and its screens."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


def binding_rows(bindings: list[BindingType]) -> list[tuple[str, str]]:
    """(keys, description) for each binding that has a description."""
    rows = []
    for item in bindings:
        binding = item if isinstance(item, Binding) else Binding(*item)  # type: ignore[arg-type]
        if binding.description:
            rows.append((binding.key_display or binding.key, binding.description))
    return rows


class HelpScreen(ModalScreen[None]):
    """A modal listing the bindings; Esc, q or ? closes it."""

    BINDINGS = [("escape", "dismiss", "Close"), ("q", "dismiss", "Close"), ("question_mark", "dismiss", "Close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 90%; max-width: 100; height: 90%; border: round $accent;
        background: $surface; padding: 0 1; }
    """

    def __init__(self, sections: list[tuple[str, list[BindingType]]]) -> None:
        super().__init__()
        self.sections = sections

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=False, expand=True, pad_edge=False)
        table.add_column("key", style="bold cyan", no_wrap=True, ratio=1)
        table.add_column("action", ratio=3)
        for title, bindings in self.sections:
            rows = binding_rows(bindings)
            if not rows:
                continue
            table.add_row(f"[u]{title}[/u]", "")
            for key, description in rows:
                table.add_row(key, description)
            table.add_row("", "")
        with VerticalScroll():
            yield Static("[b]pyruns-tui keys[/b]  (Esc closes; ctrl+p opens the command palette)\n")
            yield Static(table)
