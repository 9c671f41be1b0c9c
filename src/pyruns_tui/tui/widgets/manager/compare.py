"""CompareDialog: two tasks side by side — their config differences and last metric values."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rich.console import Console, ConsoleOptions, RenderResult
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from pyruns_tui.humanize import format_duration
from pyruns_tui.params.values import same_value
from pyruns_tui.printable import cell_width, cut_cells, cut_cells_start, printable
from pyruns_tui.tui.models.columns import format_metric, natural_key
from pyruns_tui.tui.widgets.generator.field_labels import cut_names
from pyruns_tui.tui.widgets.manager.dialogs import DIALOG_CSS
from pyruns_tui.workspace.query import TaskView, format_value

MISSING = "—"


@dataclass(frozen=True)
class CompareRow:
    """One line of the comparison: a parameter or metric and its text in task A and task B."""

    key: str
    a: str
    b: str
    differs: bool


def _row(key: str, a: TaskView, b: TaskView, values: str, shown: Callable[[Any], str]) -> CompareRow:
    """Values are compared as data with the CLI's rule (`same_value`), not as their text."""
    left, right = getattr(a, values), getattr(b, values)
    differs = key not in left or key not in right or not same_value(left[key], right[key])
    return CompareRow(printable(key), printable(shown(left[key])) if key in left else MISSING,
                      printable(shown(right[key])) if key in right else MISSING, differs)


def compare_params(a: TaskView, b: TaskView) -> list[CompareRow]:
    """Every flat parameter of either task; differing ones first, each group in key order."""
    keys = sorted(set(a.params) | set(b.params), key=natural_key)
    rows = [_row(key, a, b, "params", format_value) for key in keys]
    return [r for r in rows if r.differs] + [r for r in rows if not r.differs]


def compare_metrics(a: TaskView, b: TaskView) -> list[CompareRow]:
    """Last value of every metric either task logged, in name order."""
    keys = sorted(set(a.metrics) | set(b.metrics), key=natural_key)
    return [_row(key, a, b, "metrics", lambda value: format_metric(value) or MISSING) for key in keys]


def compare_summary(a: TaskView, b: TaskView) -> list[CompareRow]:
    def facts(view: TaskView) -> tuple[str, str, str]:
        task = view.task
        return task.status.value, str(len(task.runs)), format_duration(task.duration_s()) or MISSING

    fa, fb = facts(a), facts(b)
    return [CompareRow(label, x, y, x != y) for label, x, y in zip(("status", "runs", "duration"), fa, fb)]


GAPS = 4  # cells between the three columns (Rich's padding of 1 on each side of an inner edge)
KEY_SHARE = 0.25  # the key column's most, of the width: the values get the rest
MIN_NAME = 8  # cells of a task name in the title, below which the title names no task
CUT_NOTE = "(… cut to fit: `pyr-tui compare --json A B` has it whole)"


@dataclass(frozen=True)
class CompareTables:
    """The dialog's tables (title, rows), laid out for the width they are drawn in: each cell is
    cut to its column on one line (a 200-character value folded into 9 lines, a long name into 5 in
    every header); two cells that differ never read the same once cut (`_cut_pair`: the end of a
    long prompt that differs in its last word), nor two keys (`cut_names`), and a line at the end
    says when one was cut."""

    a_name: str
    b_name: str
    tables: tuple[tuple[str, list[CompareRow]], ...]

    def widths(self, width: int) -> tuple[int, int]:
        """The key column's and each value column's cells in `width`: the key column as wide as its
        longest key, at most KEY_SHARE of the width."""
        room = max(3, width - GAPS)
        longest = max((cell_width(row.key) for _, rows in self.tables for row in rows), default=0)
        key = max(1, min(longest, int(room * KEY_SHARE)))
        return key, max(1, (room - key) // 2)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        key_width, value_width = self.widths(options.max_width)
        a_name, b_name = _cut_pair(printable(self.a_name), printable(self.b_name), value_width)
        cut = False
        for index, (title, rows) in enumerate(self.tables):
            table = Table(title=title, title_justify="left", title_style="bold underline", box=None,
                          header_style="bold dim", pad_edge=False)
            table.add_column("", width=key_width, no_wrap=True, overflow="ellipsis")
            table.add_column(a_name, width=value_width, no_wrap=True, overflow="ellipsis")
            table.add_column(b_name, width=value_width, no_wrap=True, overflow="ellipsis")
            keys = [cut_cells(key, key_width) for key in cut_names([(row.key, key_width) for row in rows])]
            for row, key in zip(rows, keys):
                a, b = _cut_pair(row.a, row.b, value_width) if row.differs else (
                    cut_cells(row.a, value_width), cut_cells(row.b, value_width))
                cut = cut or (key, a, b) != (row.key, row.a, row.b)
                style = "bold yellow" if row.differs else "dim"
                table.add_row(Text(key, style="cyan" if row.differs else "dim"), Text(a, style), Text(b, style))
            if not rows:
                table.add_row(Text("(none)", style="dim"), "", "")
            if index:
                yield Text("")
            yield table
        if cut:
            yield Text("")
            yield Text(cut_cells(CUT_NOTE, options.max_width), style="dim")


@dataclass(frozen=True)
class CompareTitle:
    """`Compare A  ↔  B   (3 parameters differ; Esc closes)` on one line of the width it is drawn in:
    long names are cut (never to the same text), or left to the column headers where too narrow."""

    a_name: str
    b_name: str
    tail: str

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        a, b = printable(self.a_name), printable(self.b_name)
        line = f"Compare {a}  ↔  {b}   ({self.tail})"
        if cell_width(line) > options.max_width:
            room = (options.max_width - cell_width(f"Compare   ↔     ({self.tail})")) // 2
            if room >= MIN_NAME:
                a, b = _cut_pair(a, b, room)
                line = f"Compare {a}  ↔  {b}   ({self.tail})"
            else:  # the column headers name the tasks
                line = f"Compare: {self.tail}"
        yield Text(cut_cells(line, options.max_width), no_wrap=True, overflow="ellipsis")


def _cut_pair(a: str, b: str, width: int) -> tuple[str, str]:
    """Two texts cut to `width` cells, never to the same text when they differ: their starts, else
    their ends (a prompt's last word), else from a little before where they first differ."""
    cuts = cut_cells(a, width), cut_cells(b, width)
    if a == b or cuts[0] != cuts[1]:
        return cuts
    cuts = cut_cells_start(a, width), cut_cells_start(b, width)
    if cuts[0] != cuts[1]:
        return cuts
    first = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))  # (or one ends)
    start = max(0, first - width // 4)
    return cut_cells("…" + a[start:], width), cut_cells("…" + b[start:], width)


class CompareDialog(ModalScreen[None]):
    """A modal comparing two tasks; differing values are highlighted and listed first.

    Bindings: escape, q or c closes.
    """

    BINDINGS = [
        Binding("escape", "dismiss", "Close"),
        Binding("q", "dismiss", "Close", show=False),
        Binding("c", "dismiss", "Close", show=False),
    ]
    DEFAULT_CSS = DIALOG_CSS.format(name="CompareDialog") + """
    CompareDialog > Vertical { max-width: 120; }
    CompareDialog .dialog-title { dock: top; }
    CompareDialog VerticalScroll { height: auto; max-height: 100%; }
    """

    def __init__(self, a: TaskView, b: TaskView) -> None:
        super().__init__()
        self.a, self.b = a, b

    def compose(self) -> ComposeResult:
        params = compare_params(self.a, self.b)
        differing = sum(row.differs for row in params)
        with Vertical():
            differ = "1 parameter differs" if differing == 1 else f"{differing} parameters differ"
            yield Label(CompareTitle(self.a.task.name, self.b.task.name, f"{differ}; Esc closes"),
                        classes="dialog-title")
            with VerticalScroll():
                yield Static(CompareTables(self.a.task.name, self.b.task.name, (
                    ("Task", compare_summary(self.a, self.b)),
                    ("Config", params),
                    ("Metrics (last value)", compare_metrics(self.a, self.b)),
                )))
