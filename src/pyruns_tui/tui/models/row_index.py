"""RowIndex: where each log line starts among the screen rows when long lines wrap.

Prefix sums of rows per line, cheap for what a live log does: lines change or get added at
the end (recompute only from the first changed line) and old lines are dropped at the front
(move a cut, compact now and then).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable

from rich.cells import cell_len


def rows_for(text: str, width: int) -> int:
    """Screen rows a line of `text` takes when wrapped at `width` cells (at least one)."""
    cells = len(text) if text.isascii() else cell_len(text)
    return max(1, -(-cells // max(1, width)))


class RowIndex:
    """Row numbers of lines 0..count-1 wrapped at `width`; lines are read through `plain_line`."""

    def __init__(self, plain_line: Callable[[int], str], width: int) -> None:
        self.plain_line = plain_line
        self.width = width
        self._cum: list[int] = [0]  # _cum[k]: rows before physical entry k
        self._cut = 0  # physical entries dropped at the front

    @property
    def count(self) -> int:
        return len(self._cum) - 1 - self._cut

    @property
    def total_rows(self) -> int:
        return self._cum[-1] - self._cum[self._cut]

    def rebuild(self, count: int, width: int | None = None) -> None:
        """Recompute every line (new width, pages added above)."""
        if width is not None:
            self.width = width
        self._cum = [0]
        self._cut = 0
        self.update_from(0, count)

    def update_from(self, first: int, count: int) -> None:
        """Lines from `first` on changed (or were added); the index now has `count` lines."""
        first = max(0, min(first, self.count))
        del self._cum[first + self._cut + 1:]
        total = self._cum[-1]
        cum, width, plain = self._cum, self.width, self.plain_line
        for i in range(first, count):
            total += rows_for(plain(i), width)
            cum.append(total)

    def drop_front(self, lines: int) -> None:
        """The first `lines` lines are gone; line numbers move up by that much."""
        self._cut = min(self._cut + lines, len(self._cum) - 1)
        if self._cut > 4096 and self._cut * 2 > len(self._cum):
            del self._cum[:self._cut]
            self._cut = 0

    def row_of(self, line: int) -> int:
        """The first screen row of `line`."""
        line = max(0, min(line, self.count))
        return self._cum[line + self._cut] - self._cum[self._cut]

    def rows_of(self, line: int) -> int:
        """How many screen rows `line` takes."""
        p = line + self._cut
        return self._cum[p + 1] - self._cum[p]

    def line_at(self, row: int) -> tuple[int, int]:
        """(line, row within that line) shown at screen row `row`; past the end gives (count, 0)."""
        if row >= self.total_rows:
            return self.count, 0
        base = self._cum[self._cut]
        p = bisect.bisect_right(self._cum, row + base, lo=self._cut) - 1
        return p - self._cut, row + base - self._cum[p]
