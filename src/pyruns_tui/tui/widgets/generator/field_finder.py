"""FieldFinder: the Generator's ctrl+f — a modal list of the form's fields, narrowed as a name is
typed; Enter goes to the field chosen."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from pyruns_tui.params.form_model import FieldModel, FormModel, SectionModel
from pyruns_tui.printable import printable
from pyruns_tui.tui.widgets.filtered_list import NO_MATCH, FilteredList

TITLE = "Go to a field (type part of its name, ↑↓, Enter: go, Esc: back)"


@dataclass(frozen=True)
class FieldEntry:
    """One field as the finder lists and matches it: its dotted key, the section it is in (the
    titles of the sections around it, outermost first) and its help."""

    key: str
    name: str
    section: str
    help: str


def field_entries(model: FormModel) -> list[FieldEntry]:
    """Every field of the form, in display order."""

    def walk(section: SectionModel, titles: tuple[str, ...]) -> Iterator[FieldEntry]:
        for item in section.items:
            if isinstance(item, SectionModel):
                yield from walk(item, (*titles, item.title) if item.title else titles)
            else:
                yield _entry(item, titles)

    return list(walk(model.root, ()))


def _entry(field: FieldModel, titles: tuple[str, ...]) -> FieldEntry:
    return FieldEntry(field.key, field.name, " › ".join(titles), " ".join((field.help or "").split()))


def rank_fields(entries: Sequence[FieldEntry], query: str) -> list[FieldEntry]:
    """The entries matching `query` (case-insensitive substring), best first: a name starting with
    it, then a key holding it, then a section's title, then the help; in display order within each."""
    words = query.strip().lower()
    if not words:
        return list(entries)
    ranked: list[tuple[int, int, FieldEntry]] = []
    for index, entry in enumerate(entries):
        if entry.name.lower().startswith(words):
            tier = 0
        elif words in entry.key.lower():
            tier = 1
        elif words in entry.section.lower():
            tier = 2
        elif words in entry.help.lower():
            tier = 3
        else:
            continue
        ranked.append((tier, index, entry))
    ranked.sort(key=lambda item: item[:2])
    return [entry for _, _, entry in ranked]


def entry_label(entry: FieldEntry, width: int) -> Text:
    """One line of the list: the key, then its section and help, dim."""
    label = Text(no_wrap=True, overflow="ellipsis")
    label.append(printable(entry.key).ljust(width), style="bold")
    if entry.section:
        label.append(f"  {printable(entry.section)}", style="italic dim")
    if entry.help:
        label.append(f"  {printable(entry.help)}", style="dim")
    return label


class FieldFinder(FilteredList[FieldEntry, None]):
    """Find a field of the Generator's form by name (also by its section's title or its help) and
    go to it: `go(key)` is called with the field chosen, before the finder closes, so that the keys
    typed right after Enter already reach that field.

    Bindings: escape (back, the focus where it was), down/up (move in the list while typing).
    """

    AUTO_FOCUS = "#finder-filter"
    BINDINGS = [
        Binding("escape", "dismiss", "Back (the focus where it was)"),
        Binding("down", "move(1)", "Next field", show=False),
        Binding("up", "move(-1)", "Previous field", show=False),
    ]
    DEFAULT_CSS = """
    FieldFinder { align: center middle; }
    FieldFinder > Vertical { width: 90%; max-width: 100; height: 80%; border: round $accent;
        background: $surface; padding: 0 1; }
    FieldFinder #finder-title { height: 1; text-style: bold; }
    FieldFinder #finder-count { height: 1; color: $text-muted; }
    FieldFinder OptionList { height: 1fr; border: none; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def __init__(self, entries: Sequence[FieldEntry], go: Callable[[str], None]) -> None:
        super().__init__()
        self.entries = list(entries)
        self.shown = list(entries)
        self.go = go
        # the key column (a longer key pushes its section right)
        self._width = min(24, max((len(entry.key) for entry in self.entries), default=0))

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(TITLE, id="finder-title", markup=False)
            yield Input(placeholder="field name…", id="finder-filter", compact=True)
            yield Static(self._count(""), id="finder-count", markup=False)
            yield OptionList(*self._options(""), id="finder-list")

    def on_mount(self) -> None:
        self._highlight_first()

    def _count(self, query: str) -> str:
        if not query.strip():
            return f"{len(self.entries)} fields"
        return f"{len(self.shown)} of {len(self.entries)} fields"

    def _options(self, query: str) -> list[Option]:
        if not self.shown:
            return [Option(Text(f"no field matches '{printable(query.strip())}'", style="dim"),
                           id=NO_MATCH, disabled=True)]
        return [Option(entry_label(entry, self._width), id=entry.key) for entry in self.shown]

    def _filter(self, query: str) -> list[FieldEntry]:
        return rank_fields(self.entries, query)

    def _filtered(self, query: str) -> None:
        self.query_one("#finder-count", Static).update(self._count(query))

    def _item_id(self, item: FieldEntry) -> str:
        return item.key

    def _pick(self, item_id: str) -> None:
        self.go(item_id)
        self.dismiss()
