"""WorkspacePicker: a tiny app asking which workspace to open when a project has several."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Footer, OptionList, Static


class WorkspacePicker(App[str]):
    """Returns the chosen workspace name (or None on Esc/q)."""

    BINDINGS = [("escape", "quit", "Cancel"), ("q", "quit", "Cancel")]
    DEFAULT_CSS = "OptionList { height: 1fr; }"

    def __init__(self, names: list[str]) -> None:
        super().__init__()
        self.names = names

    def compose(self) -> ComposeResult:
        yield Static("[b]Open which workspace?[/b] (Enter opens, Esc cancels)")
        yield OptionList(*self.names)
        yield Footer()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.exit(self.names[event.option_index])
