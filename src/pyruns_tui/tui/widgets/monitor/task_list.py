"""TaskList: the Monitor's list of tasks — running first, then queued, then the most recent.

Highlighting a task (j/k, arrows) shows it; space marks tasks for chart overlays and export.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.strip import Strip
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from pyruns_tui.printable import cut_cells_middle, printable
from pyruns_tui.tui.widgets.topbar import STATUS_GLYPHS
from pyruns_tui.workspace.model import Status, Task

MAX_LISTED = 500  # running and queued tasks always; the most recent others up to this many
_RANK = {Status.RUNNING: 0, Status.QUEUED: 1}


def _recent_key(task: Task) -> str:
    run = task.last_run  # (a task whose task_info.json is unreadable has no time at all: oldest)
    return max(filter(None, (task.created_at, run.start if run else None, run.finish if run else None)), default="")


def order_tasks(tasks: Iterable[Task], limit: int = MAX_LISTED) -> list[Task]:
    """Running tasks, then queued ones, then the rest, each group most recent first; at most
    `limit` tasks, but never fewer than the running and queued ones."""
    items = sorted(tasks, key=lambda t: (t.name,))
    items.sort(key=_recent_key, reverse=True)
    items.sort(key=lambda t: _RANK.get(t.status, 2))
    active = sum(1 for t in items if t.status.is_active)
    return items[: max(limit, active)]


def task_prompt(task: Task, marked: bool, width: int = 0) -> Text:
    """`● ▶ name  r2`: mark, status glyph, name, run count when there was more than one run; in
    `width` cells (0: as long as it is) the name is cut in its middle, keeping the end that tells
    the tasks of a batch apart (`resnet50_ima…ion_2-of-8`), and the run count is kept."""
    glyph, style = STATUS_GLYPHS[task.status]
    runs = f" r{len(task.runs)}" if len(task.runs) > 1 else ""
    name = printable(task.name)
    if width:
        name = cut_cells_middle(name, max(1, width - 4 - len(runs)))  # (mark, glyph and space: 4 cells)
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append("● " if marked else "  ", style="bold yellow")
    text.append(glyph, style=style)
    text.append(" ")
    text.append(name)
    if runs:
        text.append(runs, style="dim")
    return text


class TaskList(OptionList):
    """The tasks of the workspace in Monitor order; the highlighted one is shown.

    Attributes: `names` (listed task names in order), `marked` (names marked with space).
    Bindings: j/k (and arrows) move, space marks/unmarks and moves down (as the Manager's space
    selects), a marks all running, u unmarks all.
    Messages: `TaskList.Marked` when the set of marked tasks changes.
    """

    DEFAULT_CSS = """
    TaskList, TaskList:focus { height: 1fr; border: none; padding: 0; }
    TaskList { text-wrap: nowrap; text-overflow: ellipsis; }  /* one line a task, however narrow */
    TaskList:focus { background-tint: $foreground 4%; }
    """
    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("space", "toggle_mark", "Mark"),  # and move down: space space marks two tasks
        Binding("a", "mark_running", "Mark running", show=False),
        Binding("u", "unmark_all", "Unmark all", show=False),
    ]

    class Marked(Message):
        """The marked tasks changed."""

        def __init__(self, marked: frozenset[str]) -> None:
            super().__init__()
            self.marked = marked

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.names: list[str] = []
        self.marked: set[str] = set()
        self._tasks: dict[str, Task] = {}
        self._shown: list[tuple[str, str]] = []

    @property
    def current(self) -> str | None:
        """The highlighted task's name."""
        if self.highlighted is None or not 0 <= self.highlighted < len(self.names):
            return None
        return self.names[self.highlighted]

    def set_tasks(self, tasks: Iterable[Task]) -> None:
        """Show these tasks (re-ordered); keeps the highlighted task; repaints only on change."""
        ordered = order_tasks(tasks)
        self._tasks = {t.name: t for t in ordered}
        self.marked &= set(self._tasks)
        self._rebuild(ordered)

    def _rebuild(self, ordered: Sequence[Task]) -> None:
        width = self.scrollable_content_region.width
        prompts = [task_prompt(t, t.name in self.marked, width) for t in ordered]
        shown = [(t.name, p.plain) for t, p in zip(ordered, prompts)]
        if shown == self._shown:
            return
        current = self.current
        self._shown = shown
        self.names = [t.name for t in ordered]
        with self.prevent(OptionList.OptionHighlighted):
            self.clear_options()
            self.add_options([Option(p, id=t.name) for t, p in zip(ordered, prompts)])
            if current in self.names:
                self.highlighted = self.names.index(current)
        if current not in self.names and self.names:
            self.highlighted = 0

    def on_resize(self) -> None:
        self._rebuild(list(self._tasks.values()))  # names cut to the new width

    def select_name(self, name: str) -> bool:
        """Highlight task `name`; False when it is not listed."""
        if name not in self.names:
            return False
        self.highlighted = self.names.index(name)
        return True

    def _remark(self) -> None:
        self._rebuild(list(self._tasks.values()))
        self.post_message(self.Marked(frozenset(self.marked)))

    def render_line(self, y: int) -> Strip:
        """A line; the highlighted task's, in the focused list, in the highlight's one text colour:
        its red `✖` on the blue highlight had a contrast of 2.4 to 1 (the Manager's cursor row is drawn so too)."""
        strip = super().render_line(y)
        try:
            index = self._lines[self.scroll_offset.y + y][0]
        except IndexError:
            return strip
        if index != self.highlighted or not self.has_focus:  # (the dim blurred highlight keeps the colours)
            return strip
        color = self.get_visual_style("option-list--option", "option-list--option-highlighted").rich_style.color
        if color is None:
            return strip
        plain = Style(color=color)
        return Strip([Segment(text, style + plain if style else plain, control) for text, style, control in strip],
                     strip.cell_length)

    def action_cursor_up(self) -> None:
        if self.highlighted != 0:  # the first task stays highlighted: k does not wrap to the last
            super().action_cursor_up()

    def action_cursor_down(self) -> None:
        if self.highlighted is None or self.highlighted < self.option_count - 1:
            super().action_cursor_down()

    def action_toggle_mark(self) -> None:
        name = self.current
        if name is not None:
            self.marked.symmetric_difference_update({name})
            self._remark()
            self.action_cursor_down()

    def action_mark_running(self) -> None:
        self.marked |= {n for n, t in self._tasks.items() if t.status is Status.RUNNING}
        self._remark()

    def action_unmark_all(self) -> None:
        self.marked.clear()
        self._remark()
