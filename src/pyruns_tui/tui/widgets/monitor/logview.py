"""LogView: a virtualised, live view of one run log (ANSI colours, tqdm bars updating in place).

The parsing is done by `LogBuffer` (a `TerminalModel` over a `LogFile`); this widget only
renders the visible rows (Line API) from a cache of strips keyed by each line's id and version,
polls for new bytes (fast while data flows, at `idle_hz` otherwise) and repaints only the rows
that changed, so an idle log writes nothing to the terminal.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import work
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.timer import Timer

from pyruns_tui.tui.models.log_buffer import (
    PAGE_BYTES,
    TAIL_BYTES,
    LogBuffer,
    PollResult,
    search_pattern,
)
from pyruns_tui.tui.models.row_index import RowIndex
from pyruns_tui.tui.widgets.monitor.line_render import LineRenderer

FAST_POLL_S = 0.05  # 20 Hz while bytes keep arriving
POLL_BUDGET_S = 0.012  # parsing time per poll, so the UI never waits long on a flood
CATCH_UP_BYTES = 256 << 10  # following and this far behind (more than one poll parses): skip to the tail
SKIP_TAIL_BYTES = 64 << 10  # what such a skip parses (~4 ms): a screenful and then some; older pages stay readable
SYNC_OPEN_BYTES = 256 << 10  # tails up to this size are parsed at once, bigger ones in a thread


class LogView(ScrollView, can_focus=True):
    """The lines of one log file, following its end while the view sits at the bottom.

    Reactive attributes: `follow` (stick to the end), `wrap` (wrap long lines instead of
    scrolling sideways), `search` (text highlighted; n/N jump between matches), `lines` (line
    count shown), `source` (path of the file shown, or None).
    Bindings: j/k/arrows, PgUp/PgDn (and space/b, as in less), h/l and ←/→ sideways by half a
    view, g/Home top, G/End bottom (resumes follow), f follow, w wrap, / search, n/N
    next/previous match, t/T next/previous Python traceback (the first press: the first one).
    Component classes: `logview--match` (a search hit), `logview--current` (the hits of the current
    line: another hue than `logview--match` in every theme, not a shade of it),
    `logview--traceback` (the traceback jumped to).
    Messages: `LogView.SearchRequested` (the user pressed `/`), `LogView.MatchMoved` (n/N went to another hit).
    """

    DEFAULT_CSS = """
    LogView { background: $surface; overflow-x: auto; overflow-y: scroll; scrollbar-size-horizontal: 0; }
    LogView:focus { background-tint: $foreground 3%; }
    LogView > .logview--match { background: $warning-darken-2; color: $text; }
    LogView > .logview--current { background: $primary; color: $text; text-style: bold; }
    LogView > .logview--traceback { background: $error 25%; }
    """
    COMPONENT_CLASSES = {"logview--match", "logview--current", "logview--traceback"}
    BINDINGS = [
        Binding("k", "scroll_up", "Up", show=False),
        Binding("j", "scroll_down", "Down", show=False),
        Binding("h", "scroll_left", "Left", show=False),
        Binding("l", "scroll_right", "Right", show=False),
        # as in less: reading a log, space is the next page (the task list's space marks)
        Binding("space", "page_down", "Page down", show=False),
        Binding("b", "page_up", "Page up", show=False),
        # not in the footer (as in less; `?` lists them): at 80 columns it has room for the
        # screen's Stop and Rerun after the log's Follow, Wrap and Search
        Binding("g,home", "scroll_home", "Top", key_display="g", show=False),
        Binding("G,end", "scroll_end", "Bottom+follow", key_display="G", show=False),
        Binding("f", "toggle_follow", "Follow"),
        Binding("w", "toggle_wrap", "Wrap"),
        Binding("slash", "search", "Search", key_display="/"),
        Binding("n", "next_match", "Next match", show=False),
        Binding("N", "previous_match", "Previous match", show=False),
        Binding("t", "next_traceback", "Next traceback", show=False),
        Binding("T", "previous_traceback", "Previous traceback", show=False),
    ]

    follow: reactive[bool] = reactive(True)
    wrap: reactive[bool] = reactive(False, init=False)
    search: reactive[str] = reactive("", init=False)
    lines: reactive[int] = reactive(0)
    source: reactive[Path | None] = reactive(None)

    class MatchMoved(Message):
        """`find` moved to another hit (the header shows which of how many)."""

        def __init__(self, view: LogView) -> None:
            super().__init__()
            self.view = view

    class SearchRequested(Message):
        """The user asked to search this log (pressed `/`)."""

        def __init__(self, view: LogView) -> None:
            super().__init__()
            self.view = view

    def __init__(self, *, scrollback: int = 100_000, idle_hz: float = 4.0, tail_bytes: int = TAIL_BYTES,
                 page_bytes: int = PAGE_BYTES, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.scrollback = scrollback
        self.idle_hz = idle_hz
        self.tail_bytes = tail_bytes
        self.page_bytes = page_bytes
        self.polls = 0  # poll ticks so far (lets tests wait for "a few polls happened")
        self.on_poll: Callable[[], None] | None = None  # called at each look at the log while it is shown
        self.buffer: LogBuffer | None = None
        self.match_line: int | None = None
        self.traceback: tuple[int, int] | None = None  # lines [start, end) of the traceback jumped to
        self._hits_key: tuple[str, int, str] | None = None
        self._hits: list[int] = []
        self.empty_text = "no log yet"
        self._timer: Timer | None = None
        self._lines = LineRenderer()
        self._rows = RowIndex(self._plain_line, 80)
        self._max_width = 0
        self._moving = False  # set while the widget itself moves the scroll position
        self._generation = 0  # bumped by every open: a late background load of an older one is dropped
        self._reloading = False
        self._gone = False  # the file shown was deleted (and nothing replaced it yet)
        self._limit_said = False  # `g` said the scrollback limit was reached (once per log shown)

    def open(self, path: Path | None, *, empty_text: str = "no log yet") -> None:
        """Show the log at `path` (None shows `empty_text`); reads only its tail.

        A small log opens at once; a bigger tail is parsed in a thread (the view says
        "loading…" meanwhile) so switching to a huge log never freezes the UI.
        """
        self._generation += 1
        self._reloading = False
        self._gone = False
        self._schedule(None)
        self.empty_text = empty_text
        self.source = path
        self.buffer = None
        if path is not None:
            try:
                size = path.stat().st_size
            except OSError:
                size = 0
            if min(size, self.tail_bytes) <= SYNC_OPEN_BYTES:
                self.buffer = self._new_buffer(path)
            else:
                self.empty_text = "loading…"
                self._load(path, self._generation)
        self._reset_view()
        if self.buffer is not None:
            self._schedule(0.0)

    def _new_buffer(self, path: Path) -> LogBuffer:
        return LogBuffer(path, scrollback=self.scrollback, tail_bytes=self.tail_bytes, page_bytes=self.page_bytes)

    @work(thread=True, exclusive=True, group="logview-load")
    def _load(self, path: Path, generation: int) -> None:
        """Parse the tail of `path` off the UI thread, then show it (unless another log was opened)."""
        buffer = self._new_buffer(path)
        self.app.call_from_thread(self._adopt, buffer, generation)

    def _adopt(self, buffer: LogBuffer, generation: int) -> None:
        if generation != self._generation:
            return
        self._reloading = False
        self.buffer = buffer
        self._reset_view()
        self._schedule(0.0)

    @property
    def reading_log(self) -> bool:
        """True while a log is being read in the background."""
        return self.source is not None and (self.buffer is None or self._reloading)

    def on_unmount(self) -> None:
        self._schedule(None)

    def _schedule(self, delay: float | None) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if delay is not None and self.is_attached:
            self._timer = self.set_timer(max(delay, 0.001), self._tick)

    def catch_up(self) -> None:
        """Read what the log got meanwhile now, not at the next idle poll (the view is back on top)."""
        if self.buffer is not None:
            self._schedule(0.0)

    def _tick(self) -> None:
        self._timer = None
        buffer = self.buffer
        if buffer is None:
            return
        if not (self.screen.is_active and self.is_on_screen):
            # hidden, or under a dialog (where each repaint is one of the whole terminal): the file
            # keeps every line, read and shown once the view is on top again (`catch_up`)
            self._schedule(1.0 / self.idle_hz)
            return
        self.polls += 1
        if self.on_poll is not None:
            self.on_poll()
        before = buffer.bytes_read
        if self.follow and buffer.backlog > CATCH_UP_BYTES:
            # behind a flood: parse only the tail, at once, instead of every line in between;
            # the skipped lines are parsed when the user pages back to them (load_older)
            buffer.skip_to_tail(min(self.tail_bytes, SKIP_TAIL_BYTES))
            self._reset_view()
            self._schedule(FAST_POLL_S)
            return
        deadline = time.perf_counter() + POLL_BUDGET_S
        while True:  # chunk by chunk until caught up or the time slice is used
            read = buffer.bytes_read
            self.apply(buffer.poll())
            if buffer.bytes_read == read or time.perf_counter() > deadline or not buffer.backlog:
                break
        flowing = buffer.bytes_read != before
        self._schedule(FAST_POLL_S if flowing else 1.0 / self.idle_hz)

    def _reset_view(self) -> None:
        self._limit_said = False
        self.match_line = None
        self.traceback = None
        self._lines.clear()
        self._relayout()
        self.follow = True
        self._scroll_to_end()
        self.refresh()

    def apply(self, result: PollResult) -> None:
        """Update sizes, scroll position and repaint after the buffer changed."""
        buffer = self.buffer
        if buffer is None or not result:
            return
        if result.reset:  # replaced, truncated, or deleted under us
            self._gone = not buffer.file.exists
            self._reset_view()
            return
        if result.shifted:
            self._shift(result.shifted)
        count = buffer.line_count
        first = min(result.changed) if result.changed else count
        if self.wrap:
            self._rows.update_from(min(first, self._rows.count), count)
        else:
            widest = self._max_width
            for i in result.changed:
                if i < count:
                    widest = max(widest, cell_len(buffer.plain_line(i)))
            self._max_width = widest
        self._set_virtual_size()
        self.lines = count
        if self.follow:
            self._scroll_to_end()
            if result.appended:
                self.refresh()
                return
        self._refresh_changed(result.changed)

    def _shift(self, shifted: int) -> None:
        """`shifted` lines were removed above: keep the same lines in view."""
        if self.match_line is not None:
            self.match_line = self.match_line - shifted if self.match_line >= shifted else None
        if self.traceback is not None:
            start, end = self.traceback
            self.traceback = (start - shifted, end - shifted) if start >= shifted else None
        if self.wrap:
            rows = self._rows.row_of(shifted)
            self._rows.drop_front(shifted)
        else:
            rows = shifted
        if not self.follow:
            self._move_to(max(0, round(self.scroll_y) - rows))
            self.refresh()

    def _refresh_changed(self, changed: tuple[int, ...]) -> None:
        top = round(self.scroll_y)
        bottom = top + self.scrollable_content_region.height
        for i in changed:
            row, rows = (self._rows.row_of(i), self._rows.rows_of(i)) if self.wrap and i < self._rows.count else (i, 1)
            if row + rows > top and row < bottom:
                self.refresh_lines(row, rows)

    def _plain_line(self, i: int) -> str:
        return self.buffer.plain_line(i) if self.buffer is not None else ""

    def _content_width(self) -> int:
        return max(1, self.scrollable_content_region.width)

    def _relayout(self) -> None:
        """Recompute widths / wrapped rows of every line (open, wrap toggle, resize, pages added)."""
        buffer = self.buffer
        count = buffer.line_count if buffer is not None else 0
        if self.wrap:
            self._rows.rebuild(count, self._content_width())
        else:
            self._max_width = max((cell_len(self._plain_line(i)) for i in range(count)), default=0)
        self._set_virtual_size()
        self.lines = count

    def _set_virtual_size(self) -> None:
        if self.buffer is None:
            self.virtual_size = Size(0, 1)
        elif self.wrap:
            self.virtual_size = Size(self._content_width(), self._rows.total_rows)
        else:
            self.virtual_size = Size(self._max_width, self.buffer.line_count)

    def on_resize(self) -> None:
        if self.wrap and self._rows.width != self._content_width():
            self._lines.clear()
            self._relayout()
        if self.follow:
            self._scroll_to_end()

    def watch_show_horizontal_scrollbar(self) -> None:
        if self.follow:  # the scrollbar took a row: the last line must stay in view
            self.call_after_refresh(self._scroll_to_end)

    def _move_to(self, y: int) -> None:
        self._moving = True
        try:
            self.scroll_to(y=y, animate=False, force=True, immediate=True)
        finally:
            self._moving = False

    def _scroll_to_end(self) -> None:
        self._move_to(self.max_scroll_y)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if self._moving:
            return
        if new_value >= self.max_scroll_y:
            self.follow = True
        elif new_value < old_value:
            self.follow = False
        if new_value < 1 and self.buffer is not None and self.buffer.has_older:
            self.call_after_refresh(self.load_older)

    def load_older(self) -> int:
        """Page in history above the first line, keeping the view on the same lines."""
        buffer = self.buffer
        if buffer is None:
            return 0
        added = buffer.load_older()
        if added:
            if self.match_line is not None:
                self.match_line += added
            if self.traceback is not None:
                self.traceback = (self.traceback[0] + added, self.traceback[1] + added)
            old_rows = self.virtual_size.height
            self._relayout()
            self._move_to(round(self.scroll_y) + self.virtual_size.height - old_rows)
            self.refresh()
        return added

    def watch_wrap(self) -> None:
        self._lines.clear()
        anchor = self._top_line()
        self._relayout()
        if self.follow:
            self._scroll_to_end()
        else:
            self._move_to(self._rows.row_of(anchor) if self.wrap else anchor)
        self.refresh()

    def watch_search(self) -> None:
        self._lines.clear()
        self.refresh()

    def _top_line(self) -> int:
        """The line shown on the first visible row (before a wrap toggle)."""
        row = round(self.scroll_y)
        if self.wrap:
            return row  # wrap was just switched on: rows were lines
        return self._rows.line_at(row)[0]

    def render_line(self, y: int) -> Strip:
        width = self._content_width()
        base = self.rich_style
        buffer = self.buffer
        row = round(self.scroll_y) + y
        if buffer is None or (not buffer.line_count and (self._gone or self.empty_text)):
            # why there is nothing to show (a log yet to come: why not yet), wrapped: a path at the
            # end of it must not be cut off
            note = f"the log file is gone: {buffer.path}" if buffer is not None and self._gone else self.empty_text
            notes = list(Text(note, style=base + Style(dim=True)).wrap(self.app.console, width)) if note else []
            if y < len(notes):
                return Strip(notes[y].render(self.app.console), notes[y].cell_len).crop_extend(0, width, base)
            return Strip.blank(width, base)
        if self.wrap:
            line, sub = self._rows.line_at(row)
        else:
            line, sub = row, 0
        if line >= buffer.line_count:
            return Strip.blank(width, base)
        current = line == self.match_line
        # the whole style, not the partial one: only it works out `$text` (auto) against the hit's background
        style = self.get_component_rich_style("logview--current" if current else "logview--match")
        rows = self._lines.rows(buffer, line, console=self.app.console, base=base,
                                wrap_width=width if self.wrap else 0, search=self.search, current=current,
                                match_style=style)
        segments, length = rows[sub] if sub < len(rows) else ([], 0)
        x = 0 if self.wrap else round(self.scroll_x)
        strip = Strip(segments, length).crop_extend(x, x + width, base)
        if self.traceback is not None and self.traceback[0] <= line < self.traceback[1]:
            marked = self.get_component_rich_style("logview--traceback", partial=True)
            strip = Strip(Segment.apply_style(strip, post_style=marked), strip.cell_length)
        return strip

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._lines.clear()

    def action_scroll_home(self) -> None:
        self.follow = False
        self._move_to(0)
        buffer = self.buffer
        if buffer is None:
            return
        if buffer.has_older:
            self.load_older()
        elif not buffer.holds_start and not self._limit_said:  # the scrollback is full: not the top of the log
            self._limit_said = True  # once per log shown: the header keeps saying `last N lines`
            self.notify(f"showing the last {buffer.line_count:,} lines (log_scrollback: {self.scrollback}); "
                        f"the full log is at {buffer.path}", severity="warning", timeout=8, markup=False)

    def action_scroll_end(self) -> None:
        self.follow = True
        self._scroll_to_end()

    def action_toggle_follow(self) -> None:
        self.follow = not self.follow
        if self.follow:
            self._scroll_to_end()

    def action_toggle_wrap(self) -> None:
        self.wrap = not self.wrap

    def action_scroll_left(self) -> None:
        # half a view per key: a 160-column tqdm line is two keys away, not eighty
        self.scroll_to(x=max(0, round(self.scroll_x) - self._half_width()), animate=False)

    def action_scroll_right(self) -> None:
        self.scroll_to(x=round(self.scroll_x) + self._half_width(), animate=False)

    def _half_width(self) -> int:
        return max(1, self._content_width() // 2)

    def match_position(self) -> tuple[int, int] | None:
        """(number of the current hit, hits) of the search in the lines held; None without a search."""
        if self.buffer is None or not self.search:
            return None
        key = (self.search, self.buffer.line_count, self.buffer.plain_line(0) if self.buffer.line_count else "")
        if self._hits_key != key:
            self._hits_key, self._hits = key, self.buffer.match_lines(self.search)
        if self.match_line is None or self.match_line not in self._hits:
            return 0, len(self._hits)
        return self._hits.index(self.match_line) + 1, len(self._hits)

    def _nothing_to_search(self) -> bool:
        """Say why there is nothing to search (no log file, or it is still being read); True if so."""
        if self.buffer is not None:
            return False
        why = "the log is still being read, try again in a moment" if self.source is not None else self.empty_text
        self.app.bell()
        self.notify(f"no log to search: {why}", severity="warning", timeout=5, markup=False)
        return True

    def action_search(self) -> None:
        if not self._nothing_to_search():
            self.post_message(self.SearchRequested(self))

    def action_next_match(self) -> None:
        self.find(forward=True)

    def action_previous_match(self) -> None:
        self.find(forward=False)

    def action_next_traceback(self) -> None:
        self.find_traceback(forward=True)

    def action_previous_traceback(self) -> None:
        self.find_traceback(forward=False)

    def find_traceback(self, forward: bool = True) -> int | None:
        """Highlight and show the next (previous) Python traceback; the first press goes to the
        first one. Returns its first line, or None (with a bell) when there is no further one."""
        from pyruns_tui.logs.failure import traceback_near

        buffer = self.buffer
        if buffer is None:
            return None
        if self.traceback is None:
            start, forward = 0, True
        else:
            start = self.traceback[1] if forward else self.traceback[0] - 1
        found = traceback_near(buffer.plain_line, buffer.line_count, start, forward) if start >= 0 else None
        if found is None:
            self.app.bell()
            return None
        self.traceback = (found.start, found.end)
        self.follow = False
        self._reveal(found.start)
        self.refresh()
        return found.start

    def find(self, forward: bool = True) -> int | None:
        """Move to the next (previous) line matching `search` (the first time: from the top line
        shown); past the last (first) hit it wraps around to the first (last) with a note saying
        so, as vim does; returns the line, or None (a bell and a note)."""
        buffer = self.buffer
        if not self.search or self._nothing_to_search() or buffer is None:
            return None
        if self.match_line is None:
            start = self._rows.line_at(round(self.scroll_y))[0] if self.wrap else round(self.scroll_y)
            if not forward:
                start = min(buffer.line_count - 1, start + self.scrollable_content_region.height - 1)
        else:
            start = self.match_line + (1 if forward else -1)
        found = buffer.find(self.search, start, forward)
        held = "" if buffer.holds_start else f" of the last {buffer.line_count:,} lines loaded"
        if found is None:
            self.app.bell()
            self.notify(f"not found{held}: {self.search}", severity="warning", timeout=3, markup=False)
            return None
        if self.match_line is not None and (found < start if forward else found > start):  # n/N past the last/first hit
            where = ("hit the bottom, continued at the top" if forward else "hit the top, continued at the bottom")
            self.notify(f"search wrapped{held}: {where}", timeout=3, markup=False)
        self.match_line = found
        self.follow = False
        self._lines.clear()
        cells = self._hit_cells(found)
        width = self._content_width()
        self._reveal(found, cells[0] // width if cells is not None and self.wrap else 0)
        if cells is not None and not self.wrap:
            left = round(self.scroll_x)
            if not (left <= cells[0] and cells[1] <= left + width):
                self.scroll_to(x=max(0, cells[0] - width // 3), animate=False)
        self.refresh()
        self.post_message(self.MatchMoved(self))
        return found

    def _hit_cells(self, line: int) -> tuple[int, int] | None:
        """Screen cells [start, end) of the first hit on `line`, counted from the line's start
        (a CJK character or an emoji takes two cells: its index in the text is not its column)."""
        if self.buffer is None:
            return None
        text = self.buffer.plain_line(line)
        match = search_pattern(self.search).search(text)
        if match is None:
            return None
        start = cell_len(text[:match.start()])
        return start, start + cell_len(match.group())

    def _reveal(self, line: int, sub: int = 0) -> None:
        """Scroll so `line` (its wrapped row `sub`) is visible, a third down from the top."""
        row = self._rows.row_of(line) + min(sub, self._rows.rows_of(line) - 1) if self.wrap else line
        height = self.scrollable_content_region.height
        top = round(self.scroll_y)
        if not top <= row < top + height:
            self._move_to(max(0, row - height // 3))
