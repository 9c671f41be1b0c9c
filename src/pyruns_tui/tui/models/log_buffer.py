"""LogBuffer: the lines of one run log as the log view shows them.

A live `TerminalModel` is fed the tail of the file and what gets appended; lines that scroll
off its screen can no longer change and move into `FrozenLines`, as do older parts of the
file read on demand, a page at a time. The view only numbers lines 0..line_count-1;
`line_id` gives each line a number that survives pages being added above it or old lines
being dropped, for caching rendered lines.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rich.text import Text

from pyruns_tui.logs.tail import LogFile
from pyruns_tui.logs.terminal import TerminalModel
from pyruns_tui.tui.models.frozen_lines import FrozenLines

TAIL_BYTES = 1 << 20  # what opening a log reads: the last 1 MB (tens of thousands of lines)
PAGE_BYTES = 1 << 20  # what each step back in history reads
FREEZE_BATCH = 256  # lines scrolled off the live screen are frozen this many at a time
CHUNK_BYTES = 32 << 10  # most bytes parsed per step (~5 ms of colourful output), so no poll stalls the UI


def search_pattern(needle: str) -> re.Pattern[str]:
    """What searching a log for `needle` finds: the text itself, case-insensitive unless it has
    an upper-case letter; where exactly a hit is in a line (highlighting, scrolling to it)."""
    return re.compile(re.escape(needle), 0 if needle != needle.lower() else re.IGNORECASE)


def line_matcher(needle: str) -> Callable[[str], bool]:
    """Whether a line holds a hit of `search_pattern(needle)`: the same rule, 4x faster over
    100,000 lines than the case-insensitive regex (the hit count is recounted as lines arrive)."""
    if needle != needle.lower():
        return lambda line: needle in line
    return lambda line: needle in line.lower()


@dataclass(frozen=True)
class PollResult:
    """What one `poll` changed: line numbers (view numbering after the poll) and lines removed on top."""

    changed: tuple[int, ...] = ()
    appended: bool = False
    shifted: int = 0  # lines removed above (scrollback limit): positions move up by this much
    reset: bool = False  # the file was truncated or replaced and read again from its tail

    def __bool__(self) -> bool:
        return bool(self.changed or self.appended or self.shifted or self.reset)


class LogBuffer:
    """Frozen lines (history pages + lines scrolled off the terminal screen) above a live
    terminal model over one log file; at most `scrollback` lines in all."""

    def __init__(self, path: str | Path, *, scrollback: int = 100_000, tail_bytes: int = TAIL_BYTES,
                 page_bytes: int = PAGE_BYTES, chunk_bytes: int = CHUNK_BYTES) -> None:
        self.path = Path(path)
        self.scrollback = scrollback
        self.tail_bytes = tail_bytes
        self.page_bytes = page_bytes
        self.chunk_bytes = chunk_bytes
        self.bytes_read = 0
        self._open()

    def _open(self, tail_bytes: int | None = None) -> None:
        self.file = LogFile(self.path)
        self.live = TerminalModel(max_lines=self.scrollback)
        self.frozen = FrozenLines(self.live.first_line)
        start, data = self.file.read_tail(tail_bytes or self.tail_bytes)  # starts at a line start
        self.bytes_read += len(data)
        self.start_offset = start  # file offset of the first held line; -1 once unknown
        self.live.feed(data)
        self._freeze(0)
        self._seen_version = self.live.version

    def reopen(self) -> None:
        """Forget everything and read the tail again (after a jump far ahead or a replaced file)."""
        self._open()

    def skip_to_tail(self, tail_bytes: int) -> None:
        """Forget everything and parse only the last `tail_bytes` of the file (a line start on):
        what was skipped is parsed only if the user pages back to it (`load_older`)."""
        self._open(tail_bytes)

    def _freeze(self, batch: int) -> None:
        """Move lines that scrolled off the terminal screen (final) into the frozen store."""
        live = self.live
        if live.first_line != self.frozen.end_id:
            # the model dropped lines itself (one feed longer than the scrollback): restart the store
            self.frozen = FrozenLines(live.first_line)
            self.start_offset = -1
        top = live.screen_top
        if top - live.first_line > batch:
            self.frozen.append_from(live, live.first_line, top)
            live.discard_lines_before(top)

    def _bound(self) -> None:
        """Drop the oldest lines beyond `scrollback`."""
        excess = min(len(self.frozen) + self.live.line_count - self.scrollback, len(self.frozen))
        if excess > 0:
            self.frozen.drop_front(excess)
            self.start_offset = -1  # the first held line's place in the file is no longer known

    @property
    def line_count(self) -> int:
        """Lines to show; a trailing empty cursor line is not shown."""
        live = self.live
        count = live.line_count
        if count and not live.plain_line(live.end_line - 1):
            count -= 1
        return len(self.frozen) + count

    @property
    def has_older(self) -> bool:
        """True when the file holds lines above the first one held and the scrollback allows more."""
        return self.start_offset > 0 and self.line_count < self.scrollback

    @property
    def holds_start(self) -> bool:
        """True when the first line held is the first line of the file (nothing above it)."""
        return self.start_offset == 0

    @property
    def backlog(self) -> int:
        """Bytes appended to the file that were not read yet."""
        return max(0, self.file.size - self.file.follow_offset)

    def line(self, i: int) -> Text:
        """Line `i` (0 = the oldest held) as styled text; do not mutate it."""
        held = len(self.frozen)
        if i < held:
            return self.frozen.line(i)
        return self.live.line(self.live.first_line + i - held)

    def plain_line(self, i: int) -> str:
        held = len(self.frozen)
        if i < held:
            return self.frozen.plain_line(i)
        return self.live.plain_line(self.live.first_line + i - held)

    def line_id(self, i: int) -> tuple[int, int]:
        """(stable id, version) of line `i`: equal pairs mean an identical rendered line."""
        held = len(self.frozen)
        if i < held:
            return self.frozen.first_id + i, 0
        n = self.live.first_line + i - held
        return n, self.live.line_version(n)

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
        first_before = self.frozen.first_id
        live = self.live
        live.feed(data)
        changed_ids = live.changed_since(self._seen_version)
        self._seen_version = live.version
        self._freeze(FREEZE_BATCH)
        self._bound()
        first = self.frozen.first_id
        shifted = min(first - first_before, before)  # ids are consecutive: the gap is what went
        changed = tuple(n - first for n in changed_ids if n >= first)
        return PollResult(changed=changed, appended=self.line_count != before - shifted, shifted=shifted)

    def load_older(self) -> int:
        """Read one page of history above the first held line; returns how many lines were added."""
        if not self.has_older:
            return 0
        start, data = self.file.read_before(self.start_offset, self.page_bytes)
        self.bytes_read += len(data)
        self.start_offset = start
        page = FrozenLines.parse(data, max_lines=self.scrollback)
        excess = len(page) - (self.scrollback - self.line_count)
        if excess > 0:  # a page never takes the view past `scrollback`: its oldest lines are left out
            page.drop_front(excess)
            self.start_offset = -1  # (so has_older is False and holds_start too: this is not the top)
        self.frozen.prepend(page)
        return len(page)

    def match_lines(self, needle: str) -> list[int]:
        """Every line containing `needle` (see `line_matcher`), in order."""
        if not needle:
            return []
        matches, plain = line_matcher(needle), self.plain_line
        return [i for i in range(self.line_count) if matches(plain(i))]

    def find(self, needle: str, start: int, forward: bool = True) -> int | None:
        """The next line at or after (before, when not `forward`) `start` containing `needle`.

        Case-insensitive unless `needle` has an upper-case letter (`line_matcher`); wraps around once.
        """
        if not needle:
            return None
        matches = line_matcher(needle)
        count = self.line_count
        if not count:
            return None
        order = (list(range(start, count)) + list(range(0, start)) if forward
                 else list(range(start, -1, -1)) + list(range(count - 1, start, -1)))
        for i in order:
            if 0 <= i < count and matches(self.plain_line(i)):
                return i
        return None
