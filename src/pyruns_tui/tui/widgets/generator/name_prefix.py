"""PrefixInput: the name prefix of the tasks a Generator batch creates."""

from __future__ import annotations

from rich.cells import cell_len
from textual import events
from textual.widgets import Input

# what an empty prefix becomes, longest first: the first that fits is shown
PLACEHOLDERS = ("prefix (empty: the creation time)", "prefix (empty: creation time)", "empty: creation time",
                "creation time")


def placeholder_for(width: int) -> str:
    """The longest placeholder that fits `width` cells (the shortest when none does)."""
    return next((text for text in PLACEHOLDERS if cell_len(text) <= width), PLACEHOLDERS[-1])


class PrefixInput(Input):
    """The name prefix (empty: the tasks are named for their creation time, `MMDD-HHMMSS`).

    Its placeholder says so in the words that fit its width, which the head shares with the
    checkbox and the `after:` tasks: 38 cells at 80 columns, 30 at 120, 18 at 100 (the preview
    beside the form). Tab (or ctrl+n) selects its text, so typing replaces it; a click puts the
    cursor where it lands.
    """

    # Textual's placeholder grey on the form's near-black read at 3.5 to 1; this is what an empty
    # prefix does, not a hint to skip
    DEFAULT_CSS = """
    PrefixInput > .input--placeholder { color: $text-muted; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(placeholder=PLACEHOLDERS[0], id=id, compact=True, select_on_focus=True)

    def on_resize(self, event: events.Resize) -> None:
        placeholder = placeholder_for(self.content_size.width)
        if placeholder != self.placeholder:
            self.placeholder = placeholder
