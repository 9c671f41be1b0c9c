"""LogGrid: the split view — the tails of up to four tasks side by side, each following its log."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.containers import Grid

from pyruns_tui.tui.widgets.monitor.log_pane import LogPane
from pyruns_tui.workspace.layout import Layout
from pyruns_tui.workspace.model import Task

MAX_PANES = 4


class LogGrid(Grid):
    """Up to `MAX_PANES` compact log panes in a 1x1, 2x1 or 2x2 grid.

    Attributes: `panes` (all panes; the first `shown` are in use). Tab moves between panes;
    each pane's LogView keeps its own bindings.
    """

    DEFAULT_CSS = """
    LogGrid { grid-size: 2 2; grid-gutter: 0; height: 1fr; }
    LogGrid > LogPane.-unused { display: none; }
    """

    def __init__(self, layout: Layout, *, scrollback: int = 100_000, hz: float = 4.0, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        # split panes keep a smaller scrollback: four of them share the memory of one
        self.panes = [LogPane(layout, scrollback=max(1000, scrollback // MAX_PANES), hz=hz, compact=True)
                      for _ in range(MAX_PANES)]
        self.shown = 0

    def compose(self) -> ComposeResult:
        yield from self.panes

    @property
    def names(self) -> list[str]:
        """Names of the tasks shown, in pane order."""
        return [p.shown_task.name for p in self.panes[: self.shown] if p.shown_task is not None]

    def show_tasks(self, tasks: Sequence[Task]) -> None:
        """Show these tasks (at most four); a task already in a pane keeps it."""
        tasks = list(tasks)[:MAX_PANES]
        for pane, task in zip(self.panes, tasks):
            if pane.shown_task is not None and pane.shown_task.name == task.name:
                pane.update_task(task)
            else:
                pane.show(task)
        for pane in self.panes[len(tasks):]:
            if pane.shown_task is not None:
                pane.show(None)
        self.shown = len(tasks)
        for index, pane in enumerate(self.panes):
            pane.set_class(index >= max(1, self.shown), "-unused")
        self.styles.grid_size_columns = 1 if self.shown <= 1 else 2
        self.styles.grid_size_rows = 1 if self.shown <= 2 else 2
