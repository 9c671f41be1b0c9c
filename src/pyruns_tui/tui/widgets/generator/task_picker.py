"""TaskPicker: a modal list of the workspace's tasks with a fuzzy filter; returns the chosen name."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from pyruns_tui.printable import printable
from pyruns_tui.tui.widgets.filtered_list import NO_MATCH, FilteredList
from pyruns_tui.tui.widgets.topbar import STATUS_GLYPHS
from pyruns_tui.workspace.model import Task


@dataclass(frozen=True)
class PickerItem:
    """One task in the picker: its name and a short description (status glyph, created)."""

    name: str
    label: Text


def picker_items(tasks: Iterable[Task]) -> list[PickerItem]:
    """The tasks as picker items, newest first: status glyph, name, creation time."""
    items = []
    for task in sorted(tasks, key=lambda t: t.created_at or "", reverse=True):
        glyph, style = STATUS_GLYPHS[task.status]
        label = Text(no_wrap=True, overflow="ellipsis")
        label.append(f"{glyph} ", style=style)
        label.append(printable(task.name))
        label.append(f"  {(task.created_at or '')[:19].replace('T', ' ')}", style="dim")
        items.append(PickerItem(task.name, label))
    return items


def file_items(paths: Iterable[str]) -> list[PickerItem]:
    """Files to start from (a nanoGPT script's `config/x.py`) as picker items: their path, `config file`."""
    items = []
    for path in paths:
        label = Text(no_wrap=True, overflow="ellipsis")
        label.append("▤ ", style="dim")
        label.append(printable(path))
        label.append("  config file", style="dim")
        items.append(PickerItem(path, label))
    return items


def fuzzy_score(query: str, text: str) -> int | None:
    """A match score of `query` as a case-insensitive subsequence of `text` (higher is better),
    or None when it does not match. Contiguous runs and an early first match score higher."""
    if not query:
        return 0
    query, text = query.lower(), text.lower()
    if query in text:
        return 1000 - text.index(query)
    score, position, run = 0, -1, 0
    for char in query:
        found = text.find(char, position + 1)
        if found < 0:
            return None
        run = run + 1 if found == position + 1 else 0
        score += 1 + 3 * run
        position = found
    return score


def filter_items(items: Sequence[PickerItem], query: str) -> list[PickerItem]:
    """The items matching `query`, best first (ties keep their order)."""
    scored = [(fuzzy_score(query.strip(), item.name), i, item) for i, item in enumerate(items)]
    kept = [(score, i, item) for score, i, item in scored if score is not None]
    kept.sort(key=lambda entry: (-entry[0], entry[1]))
    return [item for _, _, item in kept]


LOAD_TITLE = "Load a task's config (type: filter, Enter: load, Esc)"
LOAD_FILES_TITLE = "Load a task or a config file (type: filter, Enter: load, Esc)"  # whole at 80 columns


class TaskPicker(FilteredList[PickerItem, "str | None"]):
    """Pick a task (whose config.yaml loads into the Generator, or another use named by `title`).
    Type to filter, Enter picks.

    Bindings: escape (cancel), down/up (move in the list while typing).
    """

    BINDINGS = [
        Binding("escape", "dismiss_none", "Cancel"),
        Binding("down", "move(1)", "Next", show=False),
        Binding("up", "move(-1)", "Previous", show=False),
    ]
    DEFAULT_CSS = """
    TaskPicker { align: center middle; }
    TaskPicker > Vertical { width: 90%; max-width: 90; height: 80%; border: round $accent;
        background: $surface; padding: 0 1; }
    TaskPicker #picker-title { height: 1; text-style: bold; }
    TaskPicker #picker-filter { margin: 0 0 1 0; }
    TaskPicker OptionList { height: 1fr; border: none; }
    """

    def __init__(self, items: Sequence[PickerItem], title: str = LOAD_TITLE) -> None:
        super().__init__()
        self.title_text = title
        self.items = list(items)
        self.shown: list[PickerItem] = list(items)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.title_text, id="picker-title", markup=False)
            yield Input(placeholder="type to filter…", id="picker-filter", compact=True)  # (tasks, or config files too)
            yield OptionList(*self._options(""), id="picker-list")

    def _options(self, query: str) -> list[Option]:
        if not self.shown:
            return [Option(Text("no task matches", style="dim"), id=NO_MATCH, disabled=True)]
        return [Option(item.label, id=item.name) for item in self.shown]

    def on_mount(self) -> None:
        self.query_one("#picker-filter", Input).focus()
        self._highlight_first()

    def _filter(self, query: str) -> list[PickerItem]:
        return filter_items(self.items, query)

    def _item_id(self, item: PickerItem) -> str:
        return item.name

    def _pick(self, item_id: str) -> None:
        self.dismiss(item_id)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
