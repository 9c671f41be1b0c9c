"""ScreenBuffer: the lines of a terminal (screen on top of a scrollback) and their edits.

Lines are numbered from the start of the log (absolute numbers); dropping old lines only
raises `first_line`. The *screen* is the `height` rows from `screen_top`: the cursor lives
there, so only those lines can still change. Rows below the last line are blank and are
created ("materialised") when the cursor writes or moves onto them with a newline.
Columns are characters (a wide CJK character counts as one column).
"""

from __future__ import annotations

from rich.text import Span, Text

from pyruns_tui.logs.sgr import SgrState, to_rich_style
from pyruns_tui.logs.style_runs import Run, clip_runs, insert_gap, splice_runs

OPEN_AFTER = 4096  # lines longer than this grow through a list of pieces (amortised O(1))
_CACHE_MAX = 4096


class ScreenBuffer:
    """Terminal lines with styles, a cursor and a bounded scrollback (no parsing here)."""

    def __init__(self, *, columns: int = 160, height: int = 50, wrap: bool = False,
                 max_lines: int = 100_000, max_line_chars: int = 65_536) -> None:
        if columns < 2 or height < 1 or max_line_chars < 2:
            raise ValueError("TerminalModel needs columns >= 2, height >= 1, max_line_chars >= 2")
        self.columns = columns
        self.height = height
        self.wrap = wrap
        self.max_lines = max(max_lines, height)
        self._width = columns if wrap else max_line_chars  # where lines wrap
        self._texts: list[str] = [""]
        self._runs: list[list[Run] | None] = [None]
        self._vers: list[int] = [0]
        self._origin = 0  # absolute number of _texts[0]
        self._first = 0  # first line still held
        self._end = 1  # one past the last materialised line
        # dropped lines are freed in batches of at most ~16 MiB of text (one endless line is many long ones)
        self._slack = min(max(1024, self.max_lines // 8), 1 << 16, max(16, (1 << 24) // max_line_chars))
        self._top = 0
        self._row = 0
        self._col = 0  # == _width means "wrap before the next character" (VT pending wrap)
        self._st: SgrState | None = None
        self._autowrap = True
        self._saved: tuple[int, int, SgrState | None] | None = None
        self._version = 0
        self._open_row = -1  # the one line growing through a list of pieces, if any
        self._open_parts: list[str] = []
        self._open_len = 0
        self._open_after = OPEN_AFTER
        self._cache: dict[int, tuple[int, Text]] = {}

    def _print(self, s: str) -> None:
        """Write text that may contain newlines (and no other control characters)."""
        if "\n" not in s:
            self._put(s)
            return
        parts = s.split("\n")
        if parts[0]:
            self._put(parts[0])
        rest = parts[1:]
        if self._row == self._end - 1 and max(map(len, rest)) <= self._width:
            self._append_lines(rest, [None] * len(rest) if self._st is None else
                               [[(0, len(x), self._st)] if x else None for x in rest])
            return
        for part in rest:
            self._linefeed()
            if part:
                self._put(part)

    def _append_lines(self, texts: list[str], runs: list[list[Run] | None]) -> None:
        """Add finished lines below the last line (the cursor's) and move to the new last."""
        self._flush()
        k = len(texts)
        self._texts.extend(texts)
        self._runs.extend(runs)
        self._vers.extend([self._version] * k)
        self._end += k
        row = self._end - 1
        self._row = row
        self._col = len(texts[-1])
        if row - self._top >= self.height:
            self._top = row - self.height + 1
        self._trim()

    def _put(self, s: str) -> None:
        """Write a control-free run at the cursor with the current style."""
        col = self._col
        k = len(s)
        if col + k > self._width:
            self._put_wrapping(s)
            return
        row = self._row
        if row >= self._end:
            self._materialise(row)
        p = row - self._origin
        st = self._st
        if row == self._open_row:
            if col == self._open_len:
                self._open_parts.append(s)
                self._open_len = col + k
                self._col = col + k
                if st is not None:
                    self._append_run(p, col, col + k, st)
                self._vers[p] = self._version
                return
            self._flush()
        texts = self._texts
        t = texts[p]
        length = len(t)
        if col == length:
            if length < self._open_after:
                texts[p] = t + s
            else:
                self._flush()  # another line may still be open
                self._open_row = row
                self._open_parts = [t, s]
                self._open_len = length + k
        elif col > length:
            texts[p] = t + " " * (col - length) + s
        else:
            texts[p] = t[:col] + s + t[col + k:]
        if col >= length:
            if st is not None:
                self._append_run(p, col, col + k, st)
        elif st is not None or self._runs[p] is not None:
            self._runs[p] = splice_runs(self._runs[p], col, col + k, st)
        self._vers[p] = self._version
        self._col = col + k

    def _append_run(self, p: int, start: int, end: int, st: SgrState) -> None:
        runs = self._runs[p]
        if runs is None:
            self._runs[p] = [(start, end, st)]
            return
        last = runs[-1]
        if last[1] == start and last[2] == st:
            runs[-1] = (last[0], end, st)
        else:
            runs.append((start, end, st))

    def _put_wrapping(self, s: str) -> None:
        """Write a run crossing the right margin: wrap (autowrap) or pile up in the last column."""
        width = self._width
        start = 0
        n = len(s)
        while start < n:
            if self._col >= width:
                if self._autowrap:
                    self._linefeed()
                else:
                    self._col = width - 1
            room = width - self._col
            if n - start <= room:
                self._put(s[start:] if start else s)
                return
            if self._autowrap:
                self._put(s[start:start + room])
                start += room
            else:
                self._put(s[start:start + room - 1] + s[-1])
                return

    def _flush(self) -> None:
        """Join the pieces of the line being appended to (see OPEN_AFTER)."""
        if self._open_row >= 0:
            self._texts[self._open_row - self._origin] = "".join(self._open_parts)
            self._open_row = -1
            self._open_parts = []

    def _materialise(self, row: int) -> None:
        """Create blank lines up to and including `row`."""
        k = row + 1 - self._end
        if k > 0:
            self._texts.extend([""] * k)
            self._runs.extend([None] * k)
            self._vers.extend([self._version] * k)
            self._end += k
            self._trim()

    def _index(self) -> None:
        """Cursor down one row, scrolling the screen at its bottom (column kept)."""
        row = self._row + 1
        self._row = row
        if row - self._top >= self.height:
            self._top = row - self.height + 1
        if row >= self._end:
            self._materialise(row)
        if self._col >= self._width:
            self._col = self._width - 1

    def _linefeed(self) -> None:
        self._col = 0
        self._index()

    def _reverse_index(self) -> None:
        if self._row > self._top:
            self._row -= 1
        else:
            self._flush()
            self._insert_blank_lines(self._top, 1)

    def _save_cursor(self) -> None:
        self._saved = (self._row - self._top, self._col, self._st)

    def _restore_cursor(self) -> None:
        if self._saved is None:
            self._row, self._col, self._st = self._top, 0, None
            return
        rel, col, st = self._saved
        self._row = self._top + min(rel, self.height - 1)
        self._col = min(col, self._width)
        self._st = st

    def _trim(self) -> None:
        """Drop the oldest lines beyond max_lines."""
        excess = self._end - self._first - self.max_lines
        if excess > 0:
            self._first += excess
            self._compact()

    def _compact(self) -> None:
        """Free dropped lines in batches so dropping is amortised O(1) per line."""
        k = self._first - self._origin
        if k >= self._slack:
            self._flush()
            del self._texts[:k]
            del self._runs[:k]
            del self._vers[:k]
            self._origin = self._first
            if len(self._cache) > _CACHE_MAX // 2:
                self._cache.clear()

    def _touch(self, start: int, stop: int) -> None:
        """Mark lines [start, stop) changed (their content moved or was erased)."""
        o = self._origin
        for i in range(max(start, self._first), min(stop, self._end)):
            self._vers[i - o] = self._version

    def _set_line(self, row: int, text: str, runs: list[Run] | None) -> None:
        p = row - self._origin
        self._texts[p] = text
        self._runs[p] = runs
        self._vers[p] = self._version

    def _delete_lines(self, start: int, stop: int) -> None:
        o = self._origin
        del self._texts[start - o:stop - o]
        del self._runs[start - o:stop - o]
        del self._vers[start - o:stop - o]
        self._end -= stop - start

    def _insert_blank_lines(self, at: int, count: int) -> None:
        """Insert blank lines at `at` (on the screen); lines pushed past its bottom are lost."""
        if at >= self._end:
            return
        count = min(count, self._top + self.height - at)
        o = self._origin
        self._texts[at - o:at - o] = [""] * count
        self._runs[at - o:at - o] = [None] * count
        self._vers[at - o:at - o] = [self._version] * count
        self._end += count
        bottom = self._top + self.height
        if self._end > bottom:
            self._delete_lines(bottom, self._end)
        self._touch(at, self._end)

    def _erase_line(self, how: int) -> None:
        """EL: 0 cursor to end, 1 start to cursor, 2 whole line."""
        col = self._col = min(self._col, self._width - 1)  # cancels a pending wrap, like xterm
        row = self._row
        if row >= self._end:
            return
        self._flush()
        p = row - self._origin
        t = self._texts[p]
        if how == 0:
            self._set_line(row, t[:col], clip_runs(self._runs[p], 0, col))
        elif how == 1:
            rest = t[col + 1:]
            keep = clip_runs(self._runs[p], col + 1, len(t))
            self._set_line(row, " " * (col + 1) + rest if rest else "", keep)
        elif how == 2:
            self._set_line(row, "", None)

    def _erase_display(self, how: int) -> None:
        """ED: 0 cursor to end, 1 start to cursor, 2 whole screen (kept in the scrollback)."""
        self._flush()
        row, end, top = self._row, self._end, self._top
        if how == 0:
            if row < end:
                self._erase_line(0)
                self._delete_lines(row + 1, end)
        elif how == 1:
            for r in range(top, min(row, end)):
                self._set_line(r, "", None)
            self._erase_line(1)
        elif how == 2:
            o = self._origin
            if any(self._texts[r - o].strip(" ") for r in range(top, end)):
                self._top = end  # a log viewer keeps what was on the screen
                self._row = end + (row - top)
            else:
                for r in range(top, end):
                    self._set_line(r, "", None)

    def _edit_chars(self, final: str, count: int) -> None:
        """ECH (X) erase, DCH (P) delete, ICH (@) insert characters at the cursor."""
        col = self._col = min(self._col, self._width - 1)  # cancels a pending wrap, like xterm
        row = self._row
        if row >= self._end:
            return
        self._flush()
        p = row - self._origin
        t = self._texts[p]
        runs = self._runs[p]
        if col >= len(t):
            return
        if final == "X":
            stop = min(len(t), col + count)
            self._set_line(row, t[:col] + " " * (stop - col) + t[stop:],
                           splice_runs(runs, col, stop, None))
        elif final == "P":
            self._set_line(row, t[:col] + t[col + count:], insert_gap(runs, col, -count))
        else:
            new = (t[:col] + " " * count + t[col:])[:self._width]
            self._set_line(row, new, clip_runs(insert_gap(runs, col, count), 0, len(new)))

    @property
    def version(self) -> int:
        """Increases with every feed; compare with `line_version` / `changed_since`."""
        return self._version

    @property
    def first_line(self) -> int:
        """Absolute number of the oldest line still held."""
        return self._first

    @property
    def total_lines_dropped(self) -> int:
        """How many old lines were dropped (max_lines, discard_lines_before): == first_line."""
        return self._first

    @property
    def end_line(self) -> int:
        """One past the absolute number of the last line."""
        return self._end

    @property
    def line_count(self) -> int:
        """How many lines are held: their numbers run from first_line to end_line - 1."""
        return self._end - self._first

    @property
    def screen_top(self) -> int:
        """Absolute number of the screen's first row; lines above it never change again."""
        return self._top

    @property
    def cursor(self) -> tuple[int, int]:
        """(absolute row, column) of the cursor; the row may be past end_line (blank rows)."""
        return self._row, self._col

    def _p(self, n: int) -> int:
        if not self._first <= n < self._end:
            raise IndexError(f"line {n} is not held (lines {self._first}..{self._end - 1})")
        if n == self._open_row:
            self._flush()
        return n - self._origin

    def plain_line(self, n: int) -> str:
        """Line `n` (absolute) as text without styles or trailing spaces."""
        return self._texts[self._p(n)].rstrip(" ")

    def line_version(self, n: int) -> int:
        """The `version` at which line `n` last changed."""
        return self._vers[self._p(n)]

    def line_runs(self, n: int) -> tuple[str, tuple[Run, ...] | None]:
        """Line `n` (absolute) as its raw text and style runs `(start, end, SgrState)`: ints and
        strings only, so a viewer's copy of final lines costs the garbage collector nothing."""
        p = self._p(n)
        runs = self._runs[p]
        return self._texts[p], tuple(runs) if runs else None

    def line(self, n: int) -> Text:
        """Line `n` (absolute) as styled rich Text, cached until the line changes: don't mutate
        it (use `.copy()` to highlight)."""
        p = self._p(n)
        ver = self._vers[p]
        hit = self._cache.get(n)
        if hit is not None and hit[0] == ver:
            return hit[1]
        runs = self._runs[p]
        spans = [Span(a, b, to_rich_style(st)) for a, b, st in runs] if runs else None
        text = Text(self._texts[p], spans=spans, end="")
        if len(self._cache) >= _CACHE_MAX:
            self._cache.clear()
        self._cache[n] = (ver, text)
        return text

    def changed_since(self, version: int) -> list[int]:
        """Absolute numbers (ascending) of held lines changed after `version`, a value of
        `self.version` read earlier. Lines removed meanwhile show up as a smaller end_line."""
        vers, o = self._vers, self._origin
        floor = self._end - self.height
        out: list[int] = []
        quiet = 0
        i = self._end - 1
        while i >= self._first:
            if vers[i - o] > version:
                out.append(i)
                quiet = 0
            elif i < floor:
                quiet += 1  # only screen lines change: a screenful of quiet lines ends the search
                if quiet >= self.height:
                    break
            i -= 1
        out.reverse()
        return out

    def plain_text(self) -> str:
        """All held lines as a terminal would show them: no ANSI, trailing blanks removed."""
        self._flush()
        lines = [t.rstrip(" ") for t in self._texts[self._first - self._origin:]]
        while lines and not lines[-1]:
            lines.pop()
        return "\n".join(lines)

    def screen_lines(self) -> list[str]:
        """The `height` rows of the screen as plain text (rows past the last line are '')."""
        self._flush()
        o = self._origin
        return [self._texts[r - o].rstrip(" ") if r < self._end else ""
                for r in range(self._top, self._top + self.height)]

    def discard_lines_before(self, n: int) -> None:
        """Drop held lines numbered below `n` (never screen lines), e.g. once written out."""
        n = min(n, self._top)
        if n > self._first:
            self._first = n
            self._compact()
