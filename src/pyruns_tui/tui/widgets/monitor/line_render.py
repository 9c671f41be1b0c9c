"""LineRenderer: log lines rendered to segments for the log view, cached by line id and version."""

from __future__ import annotations

from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.strip import Strip

from pyruns_tui.tui.models.log_buffer import LogBuffer, search_pattern

Row = tuple[list[Segment], int]  # the segments of one screen row and its width in cells
CACHE_MAX = 256


def highlight(text: Text, needle: str, style: Style) -> Text:
    """A copy of `text` with every occurrence of `needle` styled (case-insensitive unless
    `needle` has a capital: `search_pattern`); `text` itself when there is none."""
    hits = [match.span() for match in search_pattern(needle).finditer(text.plain)] if needle else []
    if not hits:
        return text
    text = text.copy()
    for start, end in hits:
        text.stylize(style, start, end)
    return text


class LineRenderer:
    """Renders a buffer's lines into rows, one per line or one per wrapped row.

    Rows are kept as segment lists, not Strips: each Strip carries several caches, and
    thousands of them make Python's full garbage collections long enough to stall the UI.
    """

    def __init__(self, max_size: int = CACHE_MAX) -> None:
        self.max_size = max_size
        self._cache: dict[int, tuple[tuple[int, str, bool, int], list[Row]]] = {}

    def clear(self) -> None:
        self._cache.clear()

    def rows(self, buffer: LogBuffer, line: int, *, console: Console, base: Style, wrap_width: int = 0,
             search: str = "", current: bool = False, match_style: Style | None = None) -> list[Row]:
        """Line `line` as rows (`wrap_width` 0: one row of any width), search hits styled with
        `match_style` (the caller passes the current hit's style when `current`)."""
        ident, version = buffer.line_id(line)
        key = (version, search, current, wrap_width)
        hit = self._cache.get(ident)
        if hit is not None and hit[0] == key:
            return hit[1]
        text = buffer.line(line)
        if search and match_style is not None:
            text = highlight(text, search, match_style)
        strip = Strip(text.render(console), text.cell_len).apply_style(base)
        if wrap_width and strip.cell_length > wrap_width:
            cuts = list(range(wrap_width, strip.cell_length, wrap_width)) + [strip.cell_length]
            rows = [(list(part), part.cell_length) for part in strip.divide(cuts)]
        else:
            rows = [(list(strip), strip.cell_length)]
        if len(self._cache) >= self.max_size:
            self._cache.clear()
        self._cache[ident] = (key, rows)
        return rows
