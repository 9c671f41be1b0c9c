"""FrozenLines: log lines that can no longer change, stored so the garbage collector skips them.

A line is its text plus style runs as `(start, end, style id)` int tuples indexing one shared
style table; strings and int tuples are not tracked by Python's cyclic garbage collector, so
100,000 held lines add nothing to the cost of a full collection (which otherwise freezes the
UI for a tenth of a second or more each time one runs during a flood of output).
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Span, Text

from pyruns_tui.logs.terminal import TerminalModel

StyleRun = tuple[int, int, int]
_STYLES: list[Style] = []
_STYLE_IDS: dict[Style, int] = {}


def _style_id(style: Style | str) -> int:
    key = Style.parse(style) if isinstance(style, str) else style
    found = _STYLE_IDS.get(key)
    if found is None:
        found = _STYLE_IDS[key] = len(_STYLES)
        _STYLES.append(key)
    return found


def freeze_text(text: Text) -> tuple[str, tuple[StyleRun, ...] | None]:
    """A styled line as (text, runs) made only of untracked objects."""
    spans = text.spans
    if not spans:
        return text.plain, None
    return text.plain, tuple((s.start, s.end, _style_id(s.style)) for s in spans)


class FrozenLines:
    """An append-at-the-end, prepend-at-the-start, drop-at-the-start list of final lines.

    Each line keeps a stable integer id: lines appended continue the ids, prepended lines get
    smaller ones, dropping lines keeps the others' ids.
    """

    def __init__(self, first_id: int = 0) -> None:
        self.first_id = first_id
        self._texts: list[str] = []
        self._runs: list[tuple[StyleRun, ...] | None] = []

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
            text, runs = freeze_text(model.line(n))
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
        spans = [Span(a, b, _STYLES[s]) for a, b, s in runs] if runs else None
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
