"""pyte as the reference terminal for TerminalModel tests.

Two adjustments make pyte behave like xterm (which TerminalModel follows):
* newline mode (LNM): LF implies CR, as for every log written through a pty with ONLCR;
* vertical moves, index and the erase/insert/delete-character operations cancel a pending
  wrap (pyte keeps the cursor past the last column there; xterm acts on the last column);
* delete-lines moves blank lines up too (pyte 0.8 leaves the old text when the line that
  should move up was never written);
* restoring the cursor (DECRC) keeps the saved state for the next restore (pyte pops it).
"""

from __future__ import annotations

import copy
from typing import Any

import pyte
from pyte import graphics

from pyruns_tui.logs import sgr
from pyruns_tui.logs.terminal import TerminalModel

PyteStyle = tuple[str, str, bool, bool, bool, bool, bool, bool]
_NAMES = ["black", "red", "green", "brown", "blue", "magenta", "cyan", "white"]


class XtermScreen(pyte.HistoryScreen):
    """pyte's HistoryScreen with xterm's pending-wrap rules (see module doc)."""

    def _cancel_pending_wrap(self) -> None:
        if self.cursor.x >= self.columns:
            self.cursor.x = self.columns - 1

    def cursor_up(self, count: int | None = None) -> None:
        self._cancel_pending_wrap()
        super().cursor_up(count)

    def cursor_down(self, count: int | None = None) -> None:
        self._cancel_pending_wrap()
        super().cursor_down(count)

    def erase_in_line(self, how: int = 0, private: bool = False) -> None:
        self._cancel_pending_wrap()
        super().erase_in_line(how, private)

    def erase_characters(self, count: int | None = None) -> None:
        self._cancel_pending_wrap()
        super().erase_characters(count)

    def delete_characters(self, count: int | None = None) -> None:
        self._cancel_pending_wrap()
        super().delete_characters(count)

    def insert_characters(self, count: int | None = None) -> None:
        self._cancel_pending_wrap()
        super().insert_characters(count)

    def index(self) -> None:
        self._cancel_pending_wrap()
        super().index()

    def delete_lines(self, count: int | None = None) -> None:
        count = count or 1
        top, bottom = self.margins or (0, self.lines - 1)
        if top <= self.cursor.y <= bottom:
            for y in range(self.cursor.y, bottom + 1):
                if y + count <= bottom and y + count in self.buffer:
                    self.buffer[y] = self.buffer.pop(y + count)
                else:
                    self.buffer.pop(y, None)
            self.carriage_return()

    def restore_cursor(self) -> None:
        saved = self.savepoints[-1] if self.savepoints else None
        super().restore_cursor()
        if saved is not None:  # a copy: pyte goes on moving the restored cursor object
            self.savepoints.append(saved._replace(cursor=copy.copy(saved.cursor)))

    def cursor_to_line(self, line: int | None = None) -> None:
        self._cancel_pending_wrap()
        super().cursor_to_line(line)


def pyte_screen(data: bytes, columns: int, rows: int, history: int = 100_000) -> XtermScreen:
    screen = XtermScreen(columns, rows, history=history)
    screen.set_mode(pyte.modes.LNM)
    pyte.ByteStream(screen).feed(data)
    return screen


def _render(line: Any, columns: int) -> str:
    return "".join(line[x].data for x in range(columns)).rstrip()


def pyte_display(screen: XtermScreen) -> list[str]:
    """The screen rows, trailing spaces stripped."""
    return [row.rstrip() for row in screen.display]


def pyte_history(screen: XtermScreen) -> list[str]:
    """Every line: scrolled-off history then the screen, trailing blank rows removed."""
    lines = [_render(line, screen.columns) for line in screen.history.top]
    lines += pyte_display(screen)
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _hex(colour: int) -> str:
    if colour & sgr.TRUECOLOR:
        return f"{colour & 0xFFFFFF:06x}"
    return graphics.FG_BG_256[colour]


def _pyte_colour(value: str) -> str:
    if value == "default":
        return value
    base = value.removeprefix("bright")
    if base in _NAMES:
        return graphics.FG_BG_256[_NAMES.index(base) + (8 if value != base else 0)]
    return value


def normalise_pyte_char(char: Any) -> PyteStyle:
    """A pyte Char's style in the comparable form of `model_char_styles`."""
    return (_pyte_colour(char.fg), _pyte_colour(char.bg), char.bold, char.italics,
            char.underscore, char.reverse, char.strikethrough, char.blink)


def model_char_styles(model: TerminalModel, n: int, width: int) -> list[PyteStyle]:
    """Per-character styles of model line n (padded to width) in pyte's vocabulary."""
    default: PyteStyle = ("default", "default", False, False, False, False, False, False)
    out = [default] * width
    for start, end, (fg, bg, attrs) in model._runs[n - model._origin] or []:
        style = ("default" if fg < 0 else _hex(fg), "default" if bg < 0 else _hex(bg),
                 bool(attrs & sgr.BOLD), bool(attrs & sgr.ITALIC), bool(attrs & sgr.UNDERLINE),
                 bool(attrs & sgr.REVERSE), bool(attrs & sgr.STRIKE), bool(attrs & sgr.BLINK))
        for x in range(start, min(end, width)):
            out[x] = style
    return out


def pyte_char_styles(screen: XtermScreen, row: int) -> list[PyteStyle]:
    line = screen.buffer[row]
    return [normalise_pyte_char(line[x]) for x in range(screen.columns)]
