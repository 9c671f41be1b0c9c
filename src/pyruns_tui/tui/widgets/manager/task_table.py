"""TaskTable: a virtualised table of tasks that renders only the rows on screen (Line API)."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from pyruns_tui.printable import cut_cells_middle
from pyruns_tui.tui.models.columns import STATUS_WIDTH, Column, cell, cells, fit_metric, fit_status
from pyruns_tui.tui.models.task_index import TaskEntry
from pyruns_tui.workspace.model import Status

GUTTER = 2  # "● " marks a selected row
FIXED_COLUMNS = 2  # status and name stay in place while scrolling sideways


def fit(text: str, width: int, align_right: bool = False) -> str:
    """`text` cut (with an ellipsis) or padded to exactly `width` cells."""
    length = cell_len(text)
    if length > width:
        return set_cell_size(text, max(0, width - 1)) + "…" if width > 0 else ""
    pad = " " * (width - length)
    return pad + text if align_right else text + pad


def changed_cells(old: str, new: str) -> tuple[int, int]:
    """The cells [first, last) where two texts of the same cell width differ; (0, 0) when equal.
    Any non-ASCII text gives the whole width (cell positions are character positions only in ASCII)."""
    if old == new:
        return 0, 0
    if not (old.isascii() and new.isascii()) or len(old) != len(new):
        return 0, max(cell_len(old), cell_len(new))
    first = next(i for i, (a, b) in enumerate(zip(old, new)) if a != b)
    last = len(new) - next(i for i, (a, b) in enumerate(zip(reversed(old), reversed(new))) if a != b)
    return first, last


def overlay(line: Strip, style: Style) -> Strip:
    """`style` laid over every cell: its background wins over the cells' own (Strip.apply_style
    puts it under them, which left the cursor row looking like every other row)."""
    return Strip(Segment.apply_style(iter(line), post_style=style), line.cell_length)


class TaskTable(ScrollView, can_focus=True):
    """A table of thousands of tasks; each row's Strip is cached by the entry's version.

    Rows are `TaskEntry` objects in display order; the header stays on the first line and the
    status and name columns stay in place when scrolling sideways.

    Reactive attributes: `cursor` (index of the highlighted row).
    Bindings: up/down (j/k)/pageup/pagedown/home/end move the cursor, left/right scroll sideways,
    space toggles the selection of the row, shift+up/down extend the selection.
    Component classes: `task-table--header`, `task-table--sorted`, `task-table--varying` (the
    header of a parameter shown because it varies, not pinned), `task-table--cursor`,
    `task-table--selected`, `task-table--empty`.
    Messages: `Highlighted(name)`, `SelectionChanged()`, `HeaderClicked(key)`.
    """

    BINDINGS = [
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("j", "cursor_down", "Down", show=False),  # as in the Monitor's task list
        Binding("k", "cursor_up", "Up", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "first", "First", show=False),
        Binding("end", "last", "Last", show=False),
        Binding("left", "scroll_left", "Scroll left", show=False),
        Binding("right", "scroll_right", "Scroll right", show=False),
        Binding("space", "toggle_select", "Select", key_display="space", show=False),
        Binding("shift+down", "extend_down", "Extend selection down", show=False),
        Binding("shift+up", "extend_up", "Extend selection up", show=False),
    ]
    COMPONENT_CLASSES = {
        "task-table--header",
        "task-table--sorted",
        "task-table--varying",
        "task-table--cursor",
        "task-table--selected",
        "task-table--empty",
    }
    DEFAULT_CSS = """
    TaskTable { height: 1fr; background: $surface; }
    TaskTable > .task-table--header { text-style: bold; background: $panel; }
    TaskTable > .task-table--sorted { text-style: bold underline; }
    TaskTable > .task-table--varying { color: $text-muted; text-style: italic; }
    /* one text colour (red `failed` on the blue cursor was read by hue alone), undimmed (a dim
       time on it was 2.8:1); the blurred background's alpha is lost in a row's style: it is the
       cursor's blue, focused or not */
    TaskTable > .task-table--cursor { background: $block-cursor-blurred-background; color: $block-cursor-foreground; }
    TaskTable:focus > .task-table--cursor { background: $block-cursor-background; text-style: bold; }
    TaskTable > .task-table--selected { background: $accent-muted; }
    TaskTable > .task-table--empty { color: $text-muted; text-style: italic; }
    """

    class Highlighted(Message):
        """The cursor moved to another task (`name` is None when the table is empty)."""

        def __init__(self, name: str | None) -> None:
            super().__init__()
            self.name = name

    class SelectionChanged(Message):
        """The set of selected tasks changed."""

    class HeaderClicked(Message):
        """A column header was clicked (sort by it)."""

        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

    cursor: reactive[int] = reactive(0, always_update=True, init=False)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.columns: list[Column] = []
        self.widths: list[int] = []  # as drawn: `wanted`, the status column within `status_room`
        self.wanted: list[int] = []  # as the browser measured them
        self.rows: list[TaskEntry] = []
        self.selected: set[str] = set()
        self.sort_key = ""
        self.sort_reverse = False
        self.empty_text = "No tasks"
        self._painted_ticks: dict[str, tuple[str, ...]] = {}  # running rows: their duration text as last drawn
        self.ticks = 0  # calls of refresh_ticking (once a second while tasks run)
        self.tick_repaints = 0  # rows whose duration cells those calls repainted
        self._row_index_cache: dict[str, int] | None = {}
        self._strips: LRUCache[tuple[object, ...], Strip] = LRUCache(2048)
        self._layout = 0
        self._highlighted: str | None = None

    @property
    def _row_index(self) -> dict[str, int]:
        if self._row_index_cache is None:
            self._row_index_cache = {entry.name: index for index, entry in enumerate(self.rows)}
        return self._row_index_cache

    @property
    def cursor_name(self) -> str | None:
        return self.rows[self.cursor].name if 0 <= self.cursor < len(self.rows) else None

    def set_columns(self, columns: Sequence[Column], widths: Sequence[int]) -> None:
        drawn = self._drawn(columns, widths)
        if list(columns) == self.columns and list(widths) == self.wanted and drawn == self.widths:
            return
        self.columns, self.wanted, self.widths = list(columns), list(widths), drawn
        self._layout += 1
        self._update_virtual_size()
        self.refresh()

    def status_room(self) -> int:
        """The widest the status column is drawn: a quarter of the table (`◷ queued (Resources)`
        at 80 columns), never under the width of its plain states."""
        return max(STATUS_WIDTH, self.size.width // 4)

    def _drawn(self, columns: Sequence[Column], widths: Sequence[int]) -> list[int]:
        drawn = list(widths)
        if columns and columns[0].key == "status" and self.size.width:
            drawn[0] = min(drawn[0], self.status_room())
        return drawn

    def on_resize(self) -> None:
        self.set_columns(self.columns, self.wanted)

    def set_sort(self, key: str, reverse: bool) -> None:
        if (key, reverse) != (self.sort_key, self.sort_reverse):
            self.sort_key, self.sort_reverse = key, reverse
            self.refresh_line(0)

    def set_rows(self, rows: Sequence[TaskEntry]) -> None:
        """Show `rows` (in order); the cursor stays on the same task when it is still shown."""
        current = self.cursor_name
        self.rows = list(rows)
        self._row_index_cache = None  # built when first asked: a search keystroke over 100,000 rows needs only the cursor's
        self._update_virtual_size()
        index = next((i for i, entry in enumerate(self.rows) if entry.name == current), min(self.cursor, len(self.rows) - 1)) \
            if current else 0
        self.cursor = max(0, index)
        self.refresh()

    def replace_entries(self, entries: Iterable[TaskEntry]) -> None:
        """Swap in new versions of shown tasks and repaint only their lines (if on screen)."""
        top = int(self.scroll_offset.y)
        bottom = top + self.size.height
        for entry in entries:
            index = self._row_index.get(entry.name)
            if index is not None:
                self.rows[index] = entry
                if top <= index < bottom:
                    self.refresh_line(index + 1)

    def refresh_ticking(self, names: Iterable[str]) -> int:
        """Repaint the cells that count up (durations) of these running rows where their text
        changed since drawn, and of those only the characters that differ: with the cropping
        compositor only they are sent to the terminal (over SSH). Returns how many rows changed."""
        top, left = int(self.scroll_offset.y), int(self.scroll_offset.x)
        fixed = GUTTER + sum(w + 1 for w in self.widths[:FIXED_COLUMNS])
        edge = GUTTER
        spans = []  # (x on screen, width, right-aligned, whole cell visible) of each ticking column
        for number, (column, width) in enumerate(zip(self.columns, self.widths)):
            if column.ticks:
                x = edge if number < FIXED_COLUMNS else edge - left
                spans.append((max(fixed, x) if number >= FIXED_COLUMNS else x, width, column.align_right,
                              number < FIXED_COLUMNS or x >= fixed))
            edge += width + 1
        self.ticks += 1
        painted, self._painted_ticks = self._painted_ticks, {}
        now = time.time()
        repainted = 0
        for name in names:
            index = self._row_index.get(name)
            old = painted.get(name)
            if old is not None:
                self._painted_ticks[name] = old
            if index is None or not top <= index < top + self.size.height - 1:
                continue
            new = self._ticks(self.rows[index], now)
            if new == old:
                continue
            repainted += 1
            y = index + 1 - top
            for number, (x, width, right, whole) in enumerate(spans):
                if whole and old is not None and len(old) == len(new):
                    first, last = changed_cells(fit(old[number], width, right), fit(new[number], width, right))
                    if first < last:
                        self.refresh(Region(x + first, y, last - first, 1))
                else:
                    self.refresh(Region(x, y, width, 1))
        self.tick_repaints += repainted
        return repainted

    def _ticks(self, entry: TaskEntry, now: float | None = None) -> tuple[str, ...]:
        """The text of the cells of `entry` that count up while it runs (empty when it does not)."""
        if entry.task.status is not Status.RUNNING:
            return ()
        now = time.time() if now is None else now
        return tuple(cell(column, entry.view, now)[0] for column in self.columns if column.ticks)

    def refresh_row(self, index: int) -> None:
        top = int(self.scroll_offset.y)
        if top <= index < top + self.size.height:
            self.refresh_line(index + 1)

    def visible_names(self) -> list[str]:
        return [entry.name for entry in self.rows]

    def index_of(self, name: str) -> int | None:
        return self._row_index.get(name)

    def move_to(self, name: str) -> None:
        index = self._row_index.get(name)
        if index is not None:
            self.cursor = index

    def set_selected(self, names: Iterable[str]) -> None:
        self.selected = set(names)
        self.refresh()
        self.post_message(self.SelectionChanged())

    def scroll_to_column(self, key: str) -> None:
        """Scroll sideways as little as shows all of the column `key` (its left end when it is wider
        than the room); status and name never scroll."""
        keys = [column.key for column in self.columns]
        if key not in keys or keys.index(key) < FIXED_COLUMNS:
            return
        at = keys.index(key)
        fixed = sum(w + 1 for w in self.widths[:FIXED_COLUMNS])
        start = sum(w + 1 for w in self.widths[:at]) - fixed  # in the scrolled part
        room = max(1, self.size.width - GUTTER - fixed)
        x = int(self.scroll_offset.x)
        if start < x or self.widths[at] > room:
            x = start
        elif start + self.widths[at] > x + room:
            x = start + self.widths[at] - room
        if x != int(self.scroll_offset.x):
            self.scroll_to(x=x, animate=False, immediate=True)

    def _update_virtual_size(self) -> None:
        width = GUTTER + sum(w + 1 for w in self.widths) - 1  # one space between columns
        self.virtual_size = Size(width, len(self.rows) + 1)

    def watch_cursor(self, old: int, new: int) -> None:
        if self.rows and not 0 <= new < len(self.rows):
            self.cursor = max(0, min(new, len(self.rows) - 1))
            return
        self.refresh_row(old)
        self.refresh_row(new)
        self._scroll_cursor_into_view()
        name = self.cursor_name
        if name != self._highlighted:
            self._highlighted = name
            self.post_message(self.Highlighted(name))

    def _scroll_cursor_into_view(self) -> None:
        body = max(1, self.size.height - 1)
        top = int(self.scroll_offset.y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + body:
            self.scroll_to(y=self.cursor - body + 1, animate=False, immediate=True)

    def _page(self) -> int:
        return max(1, self.size.height - 2)

    def action_cursor_up(self) -> None:
        self.cursor = max(0, self.cursor - 1)

    def action_cursor_down(self) -> None:
        self.cursor = min(len(self.rows) - 1, self.cursor + 1) if self.rows else 0

    def action_page_up(self) -> None:
        self.cursor = max(0, self.cursor - self._page())

    def action_page_down(self) -> None:
        self.cursor = min(len(self.rows) - 1, self.cursor + self._page()) if self.rows else 0

    def action_first(self) -> None:
        self.cursor = 0

    def action_last(self) -> None:
        self.cursor = max(0, len(self.rows) - 1)

    def action_toggle_select(self) -> None:
        name = self.cursor_name
        if name is None:
            return
        self.selected.symmetric_difference_update({name})
        self.refresh_row(self.cursor)
        self.post_message(self.SelectionChanged())
        self.action_cursor_down()

    def _extend(self, step: int) -> None:
        name = self.cursor_name
        if name is None:
            return
        self.selected.add(name)
        self.refresh_row(self.cursor)
        self.cursor = max(0, min(len(self.rows) - 1, self.cursor + step))
        self.selected.add(self.rows[self.cursor].name)
        self.refresh_row(self.cursor)
        self.post_message(self.SelectionChanged())

    def action_extend_down(self) -> None:
        self._extend(1)

    def action_extend_up(self) -> None:
        self._extend(-1)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        if offset.y == 0:
            key = self._column_at(offset.x)
            if key is not None:
                self.post_message(self.HeaderClicked(key))
            return
        index = int(self.scroll_offset.y) + offset.y - 1
        if 0 <= index < len(self.rows):
            self.cursor = index

    def _column_at(self, x: int) -> str | None:
        fixed = GUTTER + sum(w + 1 for w in self.widths[:FIXED_COLUMNS])
        position = x if x < fixed else x + int(self.scroll_offset.x)
        edge = GUTTER
        for column, width in zip(self.columns, self.widths):
            edge += width + 1
            if position < edge:
                return column.key
        return None

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self.rich_style
        if y == 0:
            return self._header(width, base)
        index = int(self.scroll_offset.y) + y - 1
        if index >= len(self.rows):
            if index == 0 and not self.rows:
                empty = self.get_component_rich_style("task-table--empty")
                return Strip([Segment(fit(f"  {self.empty_text}", width), base + empty)], width)
            return Strip.blank(width, base)
        entry = self.rows[index]
        row = self._row_strip(entry)
        selected = entry.name in self.selected
        gutter = Strip([Segment("● " if selected else "  ", base)], GUTTER)
        line = self._scrolled(gutter, row, width, base)
        if selected:
            line = overlay(line, self.get_component_rich_style("task-table--selected", partial=True))
        if index == self.cursor:
            cursor = self.get_component_rich_style("task-table--cursor", partial=True)
            line = overlay(line, cursor + Style(dim=False))  # (see DEFAULT_CSS)
        return line

    def _row_strip(self, entry: TaskEntry) -> Strip:
        now = time.time()
        ticks = self._ticks(entry, now)
        if ticks:
            self._painted_ticks[entry.name] = ticks
        key = (entry.name, entry.version, self._layout, ticks)
        strip = self._strips.get(key)
        if strip is None:
            segments = []
            for (text, style), column, width in zip(cells(self.columns, entry.view, now), self.columns, self.widths):
                if column.is_metric:
                    text = fit_metric(text, width)  # fewer digits, never a cut number
                elif column.key == "status":
                    text = fit_status(text, width)  # the reason cut inside its parentheses
                elif column.key == "name":
                    text = cut_cells_middle(text, width)  # a batch's names differ at their end
                segments.append(Segment(fit(text, width, column.align_right), Style.parse(style) if style else None))
                segments.append(Segment(" "))
            strip = Strip(segments[:-1])
            self._strips[key] = strip
        return strip

    def _header(self, width: int, base: Style) -> Strip:
        header = base + self.get_component_rich_style("task-table--header")
        sorted_style = self.get_component_rich_style("task-table--sorted", partial=True)
        varying_style = self.get_component_rich_style("task-table--varying", partial=True)
        segments = []
        for column, col_width in zip(self.columns, self.widths):
            label = column.label
            style = header + varying_style if column.varying else header
            if column.key == self.sort_key:  # the arrow stays: a narrow column's label is cut before it
                room = max(col_width - 1, 0)
                label = f"{label if cell_len(label) <= room else fit(label, room)}{'▼' if self.sort_reverse else '▲'}"
                style = style + sorted_style
            segments.append(Segment(fit(label, col_width, column.align_right), style))
            segments.append(Segment(" ", header))
        gutter = Strip([Segment(" " * GUTTER, header)], GUTTER)
        return self._scrolled(gutter, Strip(segments[:-1]), width, header)

    def _scrolled(self, gutter: Strip, row: Strip, width: int, base: Style) -> Strip:
        """Gutter + fixed columns + the rest shifted by the horizontal scroll, exactly `width` wide."""
        fixed = sum(w + 1 for w in self.widths[:FIXED_COLUMNS])
        scroll_x = int(self.scroll_offset.x)
        rest_width = max(0, width - GUTTER - fixed)
        parts = [gutter, row.crop(0, fixed), row.crop(fixed + scroll_x, fixed + scroll_x + rest_width)]
        line = Strip.join(parts).apply_style(base)
        return line.adjust_cell_length(width, base)
