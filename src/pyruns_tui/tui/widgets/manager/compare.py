"""CompareDialog: two tasks side by side — their config differences and last metric values."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from pyruns_tui.humanize import format_duration
from pyruns_tui.params.values import same_value
from pyruns_tui.printable import printable
from pyruns_tui.tui.models.columns import format_metric, natural_key
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


def _table(title: str, a: TaskView, b: TaskView, rows: list[CompareRow]) -> Table:
    table = Table(title=title, title_justify="left", title_style="bold underline", expand=True, box=None,
                  header_style="bold dim", pad_edge=False)
    table.add_column("", ratio=2, overflow="fold")
    table.add_column(printable(a.task.name), ratio=3, overflow="fold")
    table.add_column(printable(b.task.name), ratio=3, overflow="fold")
    for row in rows:
        style = "bold yellow" if row.differs else "dim"
        table.add_row(Text(row.key, style="cyan" if row.differs else "dim"), Text(row.a, style), Text(row.b, style))
    if not rows:
        table.add_row(Text("(none)", style="dim"), "", "")
    return table


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
            yield Label(printable(f"Compare {self.a.task.name}  ↔  {self.b.task.name}   ({differ}; Esc closes)"),
                        classes="dialog-title", markup=False)
            with VerticalScroll():
                yield Static(Group(
                    _table("Task", self.a, self.b, compare_summary(self.a, self.b)),
                    Text(""),
                    _table("Config", self.a, self.b, params),
                    Text(""),
                    _table("Metrics (last value)", self.a, self.b, compare_metrics(self.a, self.b)),
                ))
