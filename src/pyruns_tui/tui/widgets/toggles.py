"""Checkbox, RadioButton and SelectionList whose unticked box is empty (`▐ ▌`), not the ticked
box's glyph in another colour: Textual draws `▐X▌` / `▐●▌` for both states, told apart by colour
alone, which a monochrome terminal or a colour-blind user cannot see. Use these instead of
Textual's (same names, so CSS written for Textual's applies)."""

from __future__ import annotations

from typing import Any

from rich.segment import Segment
from textual import widgets
from textual.strip import Strip
from textual.widgets._option_list import OptionDoesNotExist

OFF = " "  # what an unticked box holds


class _EmptyWhenOff:
    """A toggle button whose box holds its glyph only when it is on."""

    BUTTON_INNER: str
    value: bool

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._show_state()

    def watch_value(self) -> None:
        super().watch_value()  # type: ignore[misc]
        self._show_state()

    def _show_state(self) -> None:
        self.BUTTON_INNER = type(self).BUTTON_INNER if self.value else OFF


class Checkbox(_EmptyWhenOff, widgets.Checkbox):
    """Textual's Checkbox: `▐X▌` ticked, `▐ ▌` not."""


class RadioButton(_EmptyWhenOff, widgets.RadioButton):
    """Textual's RadioButton: `▐●▌` chosen, `▐ ▌` not."""


class SelectionList(widgets.SelectionList[str]):
    """Textual's SelectionList (of strings): `▐X▌` ticked, `▐ ▌` not."""

    def render_line(self, y: int) -> Strip:
        line = super().render_line(y)
        try:
            selection = self.get_option_at_index(self.scroll_offset.y + y)
        except OptionDoesNotExist:
            return line
        if selection.value in self._selected:
            return line
        segments = list(line)
        if len(segments) < 3 or segments[1].text != widgets.Checkbox.BUTTON_INNER:
            return line  # not the box Textual draws first (a future Textual): leave it
        segments[1] = Segment(OFF, segments[1].style)
        return Strip(segments, line.cell_length)
