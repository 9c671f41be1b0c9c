"""PopupInput: an Input that is shown only on demand (a search box) and cannot be focused hidden."""

from __future__ import annotations

from textual.widgets import Input

SHOWN = "-shown"


class PopupInput(Input):
    """An Input displayed only while it has the class `-shown` (the owner's CSS hides it otherwise).

    Hidden, it refuses the focus: a screen's auto-focus gave it the keys typed right after a screen
    switch, which then filtered the Manager by an invisible search.
    """

    def allow_focus(self) -> bool:
        return self.can_focus and self.has_class(SHOWN)
