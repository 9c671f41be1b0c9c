"""FrozenLines: log lines that can no longer change, stored so the garbage collector skips them.

A line is its text plus the terminal model's style runs `(start, end, SgrState)`: strings and
tuples of ints, which Python's cyclic garbage collector stops tracking, so 100,000 held lines
add nothing to the cost of a full collection (lists per line, or rich Text objects, made each
collection during a flood of output freeze the UI for a tenth of a second or more).
"""

from __future__ import annotations

from rich.text import Span, Text

from pyruns_tui.logs.sgr import to_rich_style
from pyruns_tui.logs.style_runs import Run
from pyruns_tui.logs.terminal import TerminalModel


class FrozenLines:
    """An append-at-the-end, prepend-at-the-start, drop-at-the-start list of final lines.

    Each line keeps a stable integer id: lines appended continue the ids, prepended lines get
    smaller ones, dropping lines keeps the others' ids.
    """

    def __init__(self, first_id: int = 0) -> None:
        self.first_id = first_id
        self._texts: list[str] = []
        self._runs: list[tuple[Run, ...] | None] = []

    def __len__(self) -> int:
        return len(self._texts)

    @property
    def end_id(self) -> int:
        return self.first_id + len(self._texts)

    def append_from(self, model: TerminalModel, start: int, stop: int) -> None:
        """Copy lines [start, stop) (absolute numbers) of `model`; they become ids start..stop-1."""
        if not self._texts:
            self.first_id = start
        elif start != self.end_id:
            raise ValueError(f"lines {self.end_id}..{start - 1} are missing between frozen and new lines")
        for n in range(start, stop):
            text, runs = model.line_runs(n)
            self._texts.append(text)
            self._runs.append(runs)

    def prepend(self, other: FrozenLines) -> None:
        """Put `other`'s lines above these (older history read from the file)."""
        self._texts[0:0] = other._texts
        self._runs[0:0] = other._runs
        self.first_id -= len(other)

    def drop_front(self, count: int) -> None:
        count = min(count, len(self._texts))
        del self._texts[:count]
        del self._runs[:count]
        self.first_id += count

    def plain_line(self, i: int) -> str:
        return self._texts[i].rstrip(" ")

    def line(self, i: int) -> Text:
        runs = self._runs[i]
        spans = [Span(a, b, to_rich_style(st)) for a, b, st in runs] if runs else None
        return Text(self._texts[i], spans=spans, end="")

    @classmethod
    def parse(cls, data: bytes, *, max_lines: int) -> FrozenLines:
        """Lines of a stretch of a log file (a page of history), the last empty line left out."""
        model = TerminalModel(max_lines=max_lines)
        model.feed(data)
        model.finish()
        stop = model.end_line
        if stop > model.first_line and not model.plain_line(stop - 1):
            stop -= 1  # the empty line after the page's last newline is the next page's first
        lines = cls()
        lines.append_from(model, model.first_line, stop)
        return lines
