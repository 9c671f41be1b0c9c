"""BrowserView: what the task browser shows — its columns (pinned and varying parameters, metrics,
the live and cluster ones) and their widths, the sort, the rows the search leaves, and the status line."""

from __future__ import annotations

import time
from collections.abc import Iterable

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.timer import Timer
from textual.widgets import Static

from pyruns_tui.humanize import plural
from pyruns_tui.logs.failure import causes_text, group_causes
from pyruns_tui.tui.models.columns import (
    Column,
    build_columns,
    column_widths,
    default_metrics,
    varying_columns,
)
from pyruns_tui.tui.models.history import HISTORY_FILE, SearchHistory
from pyruns_tui.tui.models.prefs import PREFS_FILE, ManagerPrefs
from pyruns_tui.tui.models.task_index import TaskEntry, TaskIndex
from pyruns_tui.tui.state import WorkspaceState
from pyruns_tui.tui.widgets.manager.search_bar import SearchBar
from pyruns_tui.tui.widgets.manager.task_table import TaskTable
from pyruns_tui.workspace.model import Status, Task
from pyruns_tui.workspace.query import Query


class BrowserView(Vertical):
    """The search bar, the task table and the status line of TaskBrowser (browser.py), drawn from
    its index: `rebuild_columns` when the columns change, `refilter` when the rows may."""

    def __init__(self, state: WorkspaceState, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.state = state
        workspace = state.layout.workspace_dir
        self.history = SearchHistory(workspace / HISTORY_FILE)
        self.prefs_path = workspace / PREFS_FILE
        self.prefs = ManagerPrefs.load(self.prefs_path)
        self.index = TaskIndex()
        self.search_query: Query = Query(())
        self.query_text = ""
        self.query_error = ""
        self.query_hint = ""  # a search term naming no parameter or metric of any task
        self.columns: list[Column] = []
        self._live = False  # the progress and eta columns are shown (some task runs)
        self._cluster = False  # the job id and node columns are shown
        self._median: tuple[object, float | None, list[Task]] = (None, None, [])
        self._read_all = False  # every task has been read once (a name no task logs is gone for good)
        self.pinned_params: list[str] = list(state.script_info.pinned_params)
        self._search_timer: Timer | None = None
        self._status_text: str | None = None
        self._ready_widths: dict[str, int] = {}  # column widths a load computed in its thread, while it is applied
        # the number of tasks while only a first page of them is shown (WorkspaceState.first_page):
        # of the snapshot the sync in flight reads, and of the one shown
        self._sync_total: int | None = None
        self._shown_total: int | None = None
        self._sort_before_errors, self._reverse_before_errors = "created", False

    def compose(self) -> ComposeResult:
        yield SearchBar(self.history, id="manager-search")
        yield TaskTable(id="manager-table")
        yield Static(id="manager-status", markup=False)

    @property
    def table(self) -> TaskTable:
        return self.query_one(TaskTable)

    @property
    def search_bar(self) -> SearchBar:
        return self.query_one(SearchBar)

    def metric_columns(self) -> list[str]:
        """The metrics shown as columns: the chosen ones, else the default ones: up to two names,
        the first in alphabetical order of those logged when a column is free, kept in the prefs
        so they stay (across sessions too: a metric that appears later never replaces one shown;
        one that no task logs any more, once every task was read, leaves its place); a loop's
        counter (`epoch`, `step`) is never one (columns.default_metrics)."""
        if self.prefs.metrics is not None:
            return list(self.prefs.metrics)
        picked = default_metrics(self.prefs.default_metrics, self.index.metric_names(), self._read_all)
        if picked != self.prefs.default_metrics:
            self.prefs.default_metrics = picked
            self.prefs.save(self.prefs_path)
        return list(picked)

    def varying_columns(self) -> list[str]:
        """The parameters shown as columns because their value differs between tasks (none while
        `V` turned them off; those the palette hid are left out; see columns.varying_columns)."""
        if not self.prefs.varying:
            return []
        return varying_columns(self.index.varying_params(), self.pinned_params, self.prefs.hidden_params)

    def _on_cluster(self) -> bool:
        """Whether the job id and node columns are shown: the workspace runs on Slurm, or ran there."""
        return self.state.settings.executor == "slurm" or self.index.ran_on_slurm()

    def rebuild_columns(self) -> None:
        self._cluster = self._on_cluster()
        self._live = bool(self.index.running())
        self.columns = build_columns(self.pinned_params, self.metric_columns(), self._cluster, self._live,
                                     errors=self.index.has_errors(), varying=self.varying_columns())
        self._update_widths(None)

    def _update_widths(self, entries: Iterable[TaskEntry] | None) -> None:
        table = self.table
        if entries is None and all(column.key in self._ready_widths for column in self.columns
                                   if column.dynamic_width and not column.is_metric):
            # the rest as wide as their label, but the metrics (not measured by the load): their values
            missing = [column for column in self.columns if column.key not in self._ready_widths]
            views = [e.view for e in self.index.entries.values()] if any(c.is_metric for c in missing) else []
            ready = {**self._ready_widths, **dict(zip((column.key for column in missing), column_widths(missing, views)))}
            widths = [ready[column.key] for column in self.columns]
        elif entries is None or table.columns != self.columns:
            widths = column_widths(self.columns, (e.view for e in self.index.entries.values()))
        else:
            grown = column_widths(self.columns, (e.view for e in entries))
            widths = [max(a, b) for a, b in zip(table.wanted, grown)]
        table.set_columns(self.columns, widths)
        table.set_sort(self.sort_column().key, self.prefs.reverse)

    def sort_column(self) -> Column:
        for column in self.columns:
            if column.key == self.prefs.sort:
                return column
        return next(c for c in self.columns if c.key == "created")

    def refilter(self) -> None:
        """Rebuild the shown rows from the index (sorted order is cached; matches per term too)."""
        ordered = self.index.ordered(self.sort_column(), self.prefs.reverse)
        table = self.table
        table.set_rows(self.index.filter(ordered, self.search_query))
        self.query_hint = self.index.unknown_key_line(self.search_query)  # a term naming nothing: say so
        table.empty_text = ("No tasks match the search (Esc clears it)" if self.search_query.terms
                            else "No tasks yet — create some in the Generator (1)")
        self.update_status()

    def update_status(self) -> None:
        table = self.table
        shown, total = len(table.rows), len(self.index)
        if self._shown_total is not None and self._shown_total > total:  # a first page: the rest is being read
            parts = [f"first {shown:,} of {plural(self._shown_total, 'task')} (reading the rest…)"]
        else:
            parts = [f"{shown:,}/{plural(total, 'task')}" if shown != total else plural(total, "task")]
        if table.selected:
            parts.append(f"{len(table.selected)} selected")
        if self.query_error or self.query_hint:  # early: the line is cut at the pane's edge
            parts.append(f"⚠ {self.query_error or self.query_hint}")
        parts.append(f"sort: {self.sort_column().label} {'▼' if self.prefs.reverse else '▲'}")
        if self.query_text:
            parts.append(f"search: {self.query_text}")
        if self.sort_column().key == "error":  # grouped by cause: how many of each, among the shown
            groups = group_causes((row.name, row.task.error) for row in table.rows)
            parts.append(causes_text(groups) if groups else "no failure shown")
        if table.rows and not table.rows[0].config_loaded:
            parts.append("reading configs…")
        finish = self.queue_finish()
        if finish:
            parts.append(finish)
        text = "  ·  ".join(parts)
        if text != self._status_text:  # an unchanged line is not repainted (nor re-sent to the terminal)
            self._status_text = text
            self.query_one("#manager-status", Static).update(text, layout=False)  # one line, always

    def queue_finish(self) -> str:
        """`queue done ≈ 14:32 (in 1h05m)` while tasks run or wait; empty otherwise."""

        from pyruns_tui.workspace.queue_eta import describe_finish, median_duration, queue_finish_s

        running = self.index.running()
        if not running:
            return ""
        snapshot = self.state.snapshot
        if self._median[0] is not snapshot:  # one pass over all tasks per refresh, not per keypress
            tasks = snapshot.tasks.values()
            self._median = (snapshot, median_duration(tasks), [t for t in tasks if t.status is Status.QUEUED])
        _, median, queued = self._median
        entries = self.index.entries
        progress = {n: p for n in running if n in entries and (p := entries[n].view.progress) is not None}
        active = [*(entries[n].task for n in running if n in entries), *queued]
        now = time.time()
        return describe_finish(queue_finish_s(active, progress, self.state.concurrency(), now, median), now)
