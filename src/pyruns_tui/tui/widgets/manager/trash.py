"""TrashView: the tasks in the workspace's trash, to pick some and restore them."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label
from textual.widgets.selection_list import Selection

from pyruns_tui.humanize import format_time, plural
from pyruns_tui.tui.widgets.manager.dialogs import DIALOG_CSS
from pyruns_tui.tui.widgets.toggles import SelectionList
from pyruns_tui.tui.widgets.topbar import STATUS_GLYPHS
from pyruns_tui.workspace.model import Task


def trash_label(task: Task) -> Text:
    glyph, style = STATUS_GLYPHS[task.status]
    label = Text()
    label.append(f"{glyph} {task.status.value:<11} ", style=style)
    label.append(task.name)
    trashed = task.extra.get("trashed_at")
    if isinstance(trashed, str):
        label.append(f"  deleted {format_time(trashed)}", style="dim")
    return label


class TrashView(ModalScreen[list[str]]):
    """Lists trashed tasks; dismisses with the trash names to restore ([] when closed).

    Bindings: space selects, a selects all and u none (as in the Manager), r restores the
    selected tasks (or the highlighted one), t or escape closes.
    """

    BINDINGS = [
        Binding("r", "restore", "Restore"),
        Binding("a", "select_all", "Select all"),
        Binding("u", "clear_selection", "Select none", show=False),
        Binding("t", "close", "Close trash"),
        Binding("escape", "close", "Close", show=False),
    ]
    DEFAULT_CSS = DIALOG_CSS.format(name="TrashView") + """
    TrashView > Vertical { height: 80%; }
    TrashView SelectionList { height: 1fr; }
    """

    def __init__(self, tasks: Sequence[Task]) -> None:
        super().__init__()
        self.tasks = list(tasks)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"Trash: {plural(len(self.tasks), 'task')} — space selects, a all, r restores, t closes",
                        classes="dialog-title")
            yield SelectionList(*(Selection(trash_label(task), task.name) for task in self.tasks))

    def on_mount(self) -> None:
        self.query_one(SelectionList).focus()

    def action_restore(self) -> None:
        selection = self.query_one(SelectionList)
        chosen = list(selection.selected)
        if not chosen and selection.highlighted is not None and self.tasks:
            chosen = [selection.get_option_at_index(selection.highlighted).value]
        self.dismiss(chosen)

    def action_select_all(self) -> None:
        self.query_one(SelectionList).select_all()

    def action_clear_selection(self) -> None:
        self.query_one(SelectionList).deselect_all()

    def action_close(self) -> None:
        self.dismiss([])
