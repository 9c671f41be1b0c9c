"""SearchBar: the Manager's `/` search input, with history recall."""

from __future__ import annotations

from textual.binding import Binding
from textual.message import Message

from pyruns_tui.tui.models.history import SearchHistory
from pyruns_tui.tui.widgets.popup_input import PopupInput

PLACEHOLDER = "word key:value lr>=0.01 status:failed -not  (Esc clears, ↑↓ history)"


class SearchBar(PopupInput):
    """An Input whose text filters the task table as it changes (see workspace/query.py).

    Bindings: up/down recall earlier/later searches from the history, escape clears the search.
    Messages: `SearchBar.Cleared` (Esc); the usual `Input.Changed` and `Input.Submitted`.
    """

    BINDINGS = [
        Binding("up", "recall(-1)", "Earlier search", show=False),
        Binding("down", "recall(1)", "Later search", show=False),
        Binding("escape", "clear_search", "Clear search"),
    ]
    DEFAULT_CSS = """
    SearchBar { height: 1; border: none; padding: 0 1; background: $boost; }
    SearchBar:focus { border: none; background: $boost; }
    """

    class Cleared(Message):
        """Esc was pressed in the search bar."""

    def __init__(self, history: SearchHistory, *, id: str | None = None) -> None:
        super().__init__(placeholder=PLACEHOLDER, id=id)
        self.history = history
        self._position: int | None = None  # index into history while recalling
        self._draft = ""

    def remember(self) -> None:
        """Save the current text in the history (on Enter and on Esc)."""
        self.history.add(self.value)
        self._position = None

    def action_recall(self, step: int) -> None:
        items = self.history.items
        if not items:
            return
        if self._position is None:
            if step > 0:
                return
            self._draft = self.value
            position = len(items) - 1
        else:
            position = self._position + step
        if position >= len(items):
            self._position = None
            self.value = self._draft
        else:
            self._position = max(0, position)
            self.value = items[self._position]
        self.cursor_position = len(self.value)

    def action_clear_search(self) -> None:
        self.remember()
        self.post_message(self.Cleared())
