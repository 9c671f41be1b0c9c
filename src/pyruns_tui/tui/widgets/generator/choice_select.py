"""ChoiceSelect: the Select of a choice field; only `Enter`, `space` or a click open its list."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual import events
from textual.binding import Binding
from textual.widgets import Select


def picks_choice(character: str, labels: Iterable[str]) -> bool:
    """Whether a choice field keeps `character` to pick a choice: every letter and digit (a letter no
    choice starts with does nothing, rather than quit or switch screens as a typo), and any other
    character a choice starts with; the rest (`?`) are the screen's keys, as the footer shows."""
    return character.isalnum() or any(label.startswith(character.lower()) for label in labels)


class ChoiceSelect(Select[Any], inherit_bindings=False):
    """A Select whose list opens only when asked (`Enter`/`space`, a click).

    `↑`/`↓` are left to the form (they scroll it, as in a text field) instead of opening the list,
    and a typed letter or digit picks the next choice starting with it, in place: it stays in the
    field (without this, `q` in a focused Select quit the app and `2` switched screens). Other
    keys no choice starts with (`?`) act as the screen's keys; the footer shows which do
    (`check_consume_key`).
    """

    BINDINGS = [Binding("enter,space", "show_overlay", "Show the choices", show=False)]

    def __init__(self, options: list[tuple[str, Any]], **kwargs: Any) -> None:
        super().__init__(options, **kwargs)
        self._labels = [(label.lower(), value) for label, value in options]

    def picks(self, character: str | None) -> bool:
        """Whether a typed `character` picks a choice (else it is the screen's key)."""
        return (character is not None and character != " " and character.isprintable()
                and picks_choice(character, (label for label, _ in self._labels)))

    def check_consume_key(self, key: str, character: str | None = None) -> bool:
        return self.picks(character)

    def on_key(self, event: events.Key) -> None:
        if event.is_printable and self.picks(event.character):
            event.stop()
            event.prevent_default()
            self.choose_by_letter(event.character or "")

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
