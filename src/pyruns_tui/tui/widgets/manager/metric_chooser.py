"""MetricChooser: pick the metrics the Manager shows as columns."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label
from textual.widgets.selection_list import Selection

from pyruns_tui.tui.widgets.manager.dialogs import DIALOG_CSS
from pyruns_tui.tui.widgets.toggles import SelectionList


class MetricChooser(ModalScreen["list[str] | None"]):
    """Every metric the tasks logged, the shown ones ticked; dismisses with the ticked names in
    list order (Enter) or None (Esc).

    Bindings: space ticks, enter applies, escape cancels.
    """

    BINDINGS = [
        Binding("enter", "apply", "Apply", priority=True),  # the list would toggle the row
        Binding("escape", "cancel", "Cancel"),
    ]
    DEFAULT_CSS = DIALOG_CSS.format(name="MetricChooser") + """
    MetricChooser > Vertical { max-width: 50; max-height: 80%; }
    MetricChooser SelectionList { height: auto; max-height: 20; }
    """

    def __init__(self, names: Sequence[str], shown: Sequence[str]) -> None:
        super().__init__()
        self.names = list(names)
        self.shown = set(shown)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Metric columns — space ticks, Enter applies, Esc cancels", classes="dialog-title")
            yield SelectionList(*(Selection(name, name, name in self.shown) for name in self.names))

    def on_mount(self) -> None:
        self.query_one(SelectionList).focus()

    def action_apply(self) -> None:
        ticked = set(self.query_one(SelectionList).selected)
        self.dismiss([name for name in self.names if name in ticked])

    def action_cancel(self) -> None:
        self.dismiss(None)
