"""LogBuffer: the lines of one run log as the log view shows them.

A live `TerminalModel` holds the tail of the file and is fed what gets appended; older parts
of the file are read on demand, a page at a time, into frozen models placed above it. The
view only numbers lines 0..line_count-1; `line_id` gives each line a number that survives
pages being added above it or old lines being dropped, for caching rendered lines.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from pathlib import Path

from rich.text import Text

from pyruns_tui.logs.tail import LogFile
from pyruns_tui.logs.terminal import TerminalModel

TAIL_BYTES = 1 << 20  # what opening a log reads: the last 1 MB (tens of thousands of lines)
PAGE_BYTES = 1 << 20  # what each step back in history reads
CHUNK_BYTES = 128 << 10  # most bytes parsed per poll, so one poll never stalls the UI


@dataclass(frozen=True)
class PollResult:
    """What one `poll` changed: line numbers (view numbering after the poll) and lines removed on top."""

    changed: tuple[int, ...] = ()
    appended: bool = False
    shifted: int = 0  # lines removed above (scrollback limit): positions move up by this much
    reset: bool = False  # the file was truncated or replaced and read again from its tail

    def __bool__(self) -> bool:
        return bool(self.changed or self.appended or self.shifted or self.reset)


class _Page:
    """A finished stretch of older lines, parsed from bytes [start, stop) of the file."""

    def __init__(self, start: int, data: bytes, scrollback: int) -> None:
        self.start = start
        self.model = TerminalModel(max_lines=scrollback)
        self.model.feed(data)
        self.model.finish()
        count = self.model.line_count
        if count and not self.model.plain_line(self.model.end_line - 1):
            count -= 1  # the empty line after the page's last newline is the next page's first
        self.count = count

    def line(self, i: int) -> Text:
        return self.model.line(self.model.first_line + i)

    def plain_line(self, i: int) -> str:
        return self.model.plain_line(self.model.first_line + i)


class LogBuffer:
    """Older pages plus a live terminal model over one log file; bounded by `scrollback` lines each."""

    def __init__(self, path: str | Path, *, scrollback: int = 100_000, tail_bytes: int = TAIL_BYTES,
                 page_bytes: int = PAGE_BYTES, chunk_bytes: int = CHUNK_BYTES) -> None:
        self.path = Path(path)
        self.scrollback = scrollback
        self.tail_bytes = tail_bytes
        self.page_bytes = page_bytes
        self.chunk_bytes = chunk_bytes
        self.bytes_read = 0
        self._open()

    def _open(self) -> None:
        self.file = LogFile(self.path)
        self.live = TerminalModel(max_lines=self.scrollback)
        self.pages: list[_Page] = []
        self._page_ends: list[int] = []  # cumulative line counts of the pages
        self._seen_version = 0
        start, data = self.file.read_tail(self.tail_bytes)  # starts at a line start
        self.bytes_read += len(data)
        self.start_offset = start
        self.live.feed(data)
        self._seen_version = self.live.version
        self._dropped = self.live.total_lines_dropped

    def reopen(self) -> None:
        """Forget everything and read the tail again (after a jump far ahead or a replaced file)."""
        self._open()

    # ---- numbering

    @property
    def older_count(self) -> int:
        return self._page_ends[-1] if self._page_ends else 0

    @property
    def line_count(self) -> int:
        """Lines to show; a trailing empty cursor line is not shown."""
        live = self.live
        count = live.line_count
        if count and not live.plain_line(live.end_line - 1):
            count -= 1
        return self.older_count + count

    @property
    def has_older(self) -> bool:
        """True when the file holds lines above the first one held and the scrollback allows more."""
        return self.start_offset > 0 and self.older_count < self.scrollback

    @property
    def backlog(self) -> int:
        """Bytes appended to the file that were not read yet."""
        return max(0, self.file.size - self.file.follow_offset)

    def _locate(self, i: int) -> tuple[_Page | None, int]:
        older = self.older_count
        if i >= older:
            return None, self.live.first_line + i - older
        k = bisect.bisect_right(self._page_ends, i)
        return self.pages[k], i - (self._page_ends[k - 1] if k else 0)

    def line(self, i: int) -> Text:
        """Line `i` (0 = the oldest held) as styled text; do not mutate it."""
        page, n = self._locate(i)
        return page.line(n) if page is not None else self.live.line(n)

    def plain_line(self, i: int) -> str:
        page, n = self._locate(i)
        return page.plain_line(n) if page is not None else self.live.plain_line(n)

    def line_id(self, i: int) -> tuple[int, int]:
        """(stable id, version) of line `i`: equal pairs mean an identical rendered line."""
        older = self.older_count
        if i >= older:
            n = self.live.first_line + i - older
            return n, self.live.line_version(n)
        return i - older, 0  # negative ids, stable because pages are only ever added above

    # ---- reading more

    def poll(self, max_bytes: int | None = None) -> PollResult:
        """Parse newly appended bytes (at most `max_bytes`, default chunk_bytes); say what changed."""
        data = self.file.read_new(max_bytes or self.chunk_bytes)
        if self.file.restarted:
            self._open()
            return PollResult(reset=True)
        if not data:
            return PollResult()
        self.bytes_read += len(data)
        before = self.line_count
        self.live.feed(data)
        shifted = self.live.total_lines_dropped - self._dropped
        self._dropped = self.live.total_lines_dropped
        if shifted and self.pages:
            # lines between the pages and the live model are gone: the pages no longer connect
            shifted += self.older_count
            self.pages, self._page_ends = [], []
            self.start_offset = -1  # unknown: history above can no longer be paged in
        older = self.older_count
        first = self.live.first_line
        changed = tuple(n - first + older for n in self.live.changed_since(self._seen_version))
        self._seen_version = self.live.version
        return PollResult(changed=changed, appended=self.line_count != before - shifted, shifted=shifted)

    def load_older(self) -> int:
        """Read one page of history above the first held line; returns how many lines were added."""
        if not self.has_older:
            return 0
        start, data = self.file.read_before(self.start_offset, self.page_bytes)
        self.bytes_read += len(data)
        self.start_offset = start
        page = _Page(start, data, self.scrollback)
        if not page.count:
            return 0
        self.pages.insert(0, page)
        total = 0
        self._page_ends = []
        for p in self.pages:
            total += p.count
            self._page_ends.append(total)
        return page.count

    def find(self, needle: str, start: int, forward: bool = True) -> int | None:
        """The next line at or after (before, when not `forward`) `start` containing `needle`.

        Case-insensitive unless `needle` has an upper-case letter; wraps around once.
        """
        if not needle:
            return None
        fold = needle == needle.lower()
        count = self.line_count
        if not count:
            return None
        order = (list(range(start, count)) + list(range(0, start)) if forward
                 else list(range(start, -1, -1)) + list(range(count - 1, start, -1)))
        for i in order:
            if 0 <= i < count:
                text = self.plain_line(i)
                if needle in (text.lower() if fold else text):
                    return i
        return None
