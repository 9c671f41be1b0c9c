"""ChoiceSelect: the Select of a choice field; only `Enter`, `space` or a click open its list."""

from __future__ import annotations

from typing import Any

from textual import events
from textual.binding import Binding
from textual.widgets import Select


class ChoiceSelect(Select[Any], inherit_bindings=False):
    """A Select whose list opens only when asked (`Enter`/`space`, a click).

    `↑`/`↓` are left to the form (they scroll it, as in a text field) instead of opening the list,
    and a typed letter picks the next choice starting with it, in place: typed keys stay in the
    field (without this, `q` in a focused Select quit the app and `2` switched screens).
    """

    BINDINGS = [Binding("enter,space", "show_overlay", "Show the choices", show=False)]

    def __init__(self, options: list[tuple[str, Any]], **kwargs: Any) -> None:
        super().__init__(options, **kwargs)
        self._labels = [(label.lower(), value) for label, value in options]

    def check_consume_key(self, key: str, character: str | None = None) -> bool:
        return key != "space" and character is not None and character.isprintable()

    def on_key(self, event: events.Key) -> None:
        if event.key != "space" and event.is_printable and event.character:
            event.stop()
            event.prevent_default()
            self.choose_by_letter(event.character)

    def choose_by_letter(self, letter: str) -> None:
        """Select the next choice (after the current one, wrapping) whose text starts with `letter`."""
        values = [value for label, value in self._labels]
        start = values.index(self.value) + 1 if self.value in values else 0
        count = len(self._labels)
        for step in range(count):
            label, value = self._labels[(start + step) % count]
            if label.startswith(letter.lower()):
                self.value = value
                return
