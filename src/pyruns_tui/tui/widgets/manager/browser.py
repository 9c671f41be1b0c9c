"""TaskBrowser: the search bar, the task table and its status line, kept in step with the disk."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterable, Sequence

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input, Static
from textual.worker import get_current_worker

from pyruns_tui.errors import PyrunsError
from pyruns_tui.humanize import plural
from pyruns_tui.logs.failure import causes_text, group_causes
from pyruns_tui.tui.models.columns import (
    METRIC,
    PARAM,
    Column,
    build_columns,
    column_widths,
    default_metrics,
    sort_key,
    varying_columns,
)
from pyruns_tui.tui.models.history import HISTORY_FILE, SearchHistory
from pyruns_tui.tui.models.load_plan import Prepared, group_ahead_slots, prepare
from pyruns_tui.tui.models.operand_groups import Column as GroupColumn
from pyruns_tui.tui.models.operand_groups import Slot, build
from pyruns_tui.tui.models.prefs import PREFS_FILE, ManagerPrefs
from pyruns_tui.tui.models.task_index import Delta, TaskEntry, TaskIndex
from pyruns_tui.tui.state import WorkspaceState
from pyruns_tui.tui.widgets.manager.metric_chooser import MetricChooser
from pyruns_tui.tui.widgets.manager.search_bar import SearchBar
from pyruns_tui.tui.widgets.manager.task_table import TaskTable
from pyruns_tui.workspace.gc_pause import bulk_load
from pyruns_tui.workspace.model import Status, Task
from pyruns_tui.workspace.query import Query, parse_query

QUICK_PASS = 500  # more new tasks than this: show them before their configs are read
PAINT_WAIT_S = 2.0  # how long the configs wait for the quick pass to be painted
SEARCH_DEBOUNCE_S = 0.06
GROUP_AHEAD_FROM = 2_000  # from this many tasks the likely search keys are grouped in a thread ahead of use
GROUP_AHEAD_EVERY_S = 10.0  # not more often (many tasks changing at once drop the groupings again)


class TaskBrowser(Vertical):
    """Every task of the workspace, filtered by the search and sorted, updated row by row.

    `sync()` diffs the workspace snapshot against the index and reads only what changed (configs,
    metrics) in a worker thread; rows whose task changed are repainted in place, and the list is
    only rebuilt when a task appears, disappears, or may move (its sort key or match changed).
    While tasks run, a one-second tick repaints their duration cells and polls their metrics.

    Messages: `TaskBrowser.Changed(names)` after tasks were updated from disk.
    """

    DEFAULT_CSS = """
    TaskBrowser { width: 1fr; height: 1fr; }
    TaskBrowser > SearchBar { display: none; }
    TaskBrowser > SearchBar.-shown { display: block; }
    TaskBrowser > #manager-status { height: 1; background: $panel; color: $text-muted; padding: 0 1; }
    """

    class Changed(Message):
        """Tasks were updated from disk (`names`: changed or removed)."""

        def __init__(self, names: list[str]) -> None:
            super().__init__()
            self.names = names

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
        self.syncing = False
        self.grouping = False  # the likely search keys are being grouped in a thread
        self._grouped_at = -GROUP_AHEAD_EVERY_S
        self._want_sync = False
        self._poll_running = False
        self._ticker: Timer | None = None
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

    def on_mount(self) -> None:
        self._ticker = self.set_interval(1.0, self._tick, pause=True)
        self.rebuild_columns()
        self.refilter()

    def sync(self) -> None:
        """Bring the index up to date with `state.snapshot` (now, or when the running sync ends)."""
        self._want_sync = True
        self._start_sync()

    @property
    def settled(self) -> bool:
        """True when no sync is running or waiting (nor a grouping of search keys)."""
        return not self.syncing and not self._want_sync and not self.grouping

    def _start_sync(self) -> None:
        if self.syncing or not self._want_sync:
            return
        self._want_sync = False
        snapshot = self.state.snapshot
        delta = self.index.diff(snapshot.tasks, snapshot.versions)
        running = self.index.running() if self._poll_running else []
        self._poll_running = False
        if not delta and not running:
            return
        self.syncing = True
        self._sync_total = snapshot.total
        self._sync(snapshot.tasks, delta, running)

    # a description, or Textual builds one from repr() of the arguments: ~0.1 s for 10,000 tasks,
    # on the UI thread, at every sync (once a second while tasks run)
    @work(thread=True, group="manager-sync", exit_on_error=False, description="sync the task index")
    def _sync(self, tasks: dict[str, Task], delta: Delta, running: list[str]) -> None:
        """Read what changed (configs, metrics) off the UI thread, then swap it in."""
        bulk = sum(1 for name in delta.changed if name not in self.index.entries) > QUICK_PASS
        with bulk_load(freeze=True) if bulk else contextlib.nullcontext():
            self._read(tasks, delta, running, bulk)

    def _read(self, tasks: dict[str, Task], delta: Delta, running: list[str], bulk: bool) -> None:
        store = self.state.store
        removed: Sequence[str] = delta.removed
        try:
            self.index.forget_readers(removed)
            if bulk:  # many new tasks: show them first, without their configs
                quick = self.index.load(store, tasks, delta.changed, with_config=False)
                painted = threading.Event()
                self.app.call_from_thread(self._apply_quick, quick, removed, painted, self._prepare(quick, removed))
                removed = ()
                # read the configs once the table is on screen: this thread holding the GIL
                # made the first paint of 10,000 tasks wait ~1 s longer
                painted.wait(PAINT_WAIT_S)
            entries = self.index.load(store, tasks, delta.changed)
            changed = set(delta.changed)
            entries += self.index.poll(store, [name for name in running if name not in changed])
            prepared = self._prepare(entries, removed) if bulk else None
            if bulk:
                store.save_cache()
        except BaseException:
            self.app.call_from_thread(self._sync_failed)
            raise
        self.app.call_from_thread(self._apply, entries, removed, delta.stamps, True, prepared)

    def _prepare(self, entries: list[TaskEntry], removed: Sequence[str]) -> Prepared:
        """load_plan.prepare in the sync thread: the index changes only on the UI thread, in
        `_apply`, which this thread is waiting for; the sort is read as a hint (checked there)."""
        cluster = self._on_cluster()
        hidden = self.prefs.hidden_params if self.prefs.varying else None
        return prepare(self.index.entries, entries, removed, self.sort_column(), self.prefs.reverse, self.pinned_params,
                       cluster, hidden)

    def _apply_quick(self, entries: list[TaskEntry], removed: Sequence[str], painted: threading.Event,
                     prepared: Prepared) -> None:
        self._apply(entries, removed, {}, False, prepared)
        self.call_after_refresh(painted.set)

    def _sync_failed(self) -> None:
        self.syncing = False
        self.notify("could not read some tasks; will retry on the next change", severity="warning")

    def _apply(self, entries: list[TaskEntry], removed: Sequence[str], stamps: dict[str, object], final: bool,
               prepared: Prepared | None = None) -> None:
        old = {entry.name: self.index.entries.get(entry.name) for entry in entries}
        names = self.index.apply(entries, removed, stamps)
        self._shown_total = self._sync_total
        if prepared is not None:
            self.index.seed_order(prepared.column, prepared.reverse, prepared.order)
            self.index.seed_varying(prepared.varying)
        self._ready_widths = prepared.widths if prepared is not None else {}
        table = self.table
        table.selected.difference_update(removed)
        if final:
            self.syncing = False
            self._read_all = self._read_all or self._shown_total is None
        live = bool(self.index.running())
        shown = [column.key[len(METRIC):] for column in self.columns if column.is_metric]
        errors_shown = any(column.key == "error" for column in self.columns)
        if (self.prefs.metrics is None and self.metric_columns() != shown) or live != self._live \
                or self.index.has_errors() != errors_shown or self._on_cluster() != self._cluster \
                or self.varying_columns() != [column.key[len(PARAM):] for column in self.columns if column.varying]:
            self.rebuild_columns()
        else:
            self._update_widths(None if removed or len(entries) > QUICK_PASS else entries)
        # many changed tasks (a load): rebuild rather than ask each whether it moves
        if removed or len(entries) > QUICK_PASS or any(self._moves(old[entry.name], entry) for entry in entries):
            self.refilter()
        else:
            table.replace_entries(entries)
            # a running task's new metric, or the end of the last task that might log it, changes it too
            self.query_hint = self.index.unknown_key_line(self.search_query)
            self.update_status()
        if self._ticker is not None:
            self._ticker.resume() if self.index.running() else self._ticker.pause()
        if names:
            self.post_message(self.Changed(names))
        self._ready_widths = {}
        if final:
            self._start_sync()
            if not self.syncing:
                self._group_ahead()

    def _group_ahead(self) -> None:
        """Group the tasks by status and by each parameter and metric (pinned and shown first) in a
        thread, so that the first search on them does not walk every task on the UI thread."""
        index = self.index
        if len(index) < GROUP_AHEAD_FROM or self.grouping or time.monotonic() < self._grouped_at + GROUP_AHEAD_EVERY_S:
            return
        slots = group_ahead_slots(index, [*self.pinned_params, *self.varying_columns(), *self.metric_columns()])
        if slots:
            self.grouping, self._grouped_at = True, time.monotonic()
            self._group(slots, list(index.entries.values()), index.generation)

    @work(thread=True, group="manager-groups", exit_on_error=False, description="group tasks for search")
    def _group(self, slots: list[Slot], entries: list[TaskEntry], generation: int) -> None:
        columns: dict[Slot, GroupColumn] = {}
        try:
            columns = build(slots, [(entry.name, entry.view) for entry in entries])
        finally:
            if not get_current_worker().is_cancelled:
                self.app.call_from_thread(self._grouped, columns, entries, generation)

    def _grouped(self, columns: dict[Slot, GroupColumn], seen: list[TaskEntry], generation: int) -> None:
        self.grouping = False
        self.index.install_groups(columns, seen, generation)  # refused when many tasks changed meanwhile

    def _moves(self, old: TaskEntry | None, new: TaskEntry) -> bool:
        """Whether a changed task may change place or visibility (so the list must be rebuilt)."""
        if old is None or old.task.pinned != new.task.pinned:
            return True
        if self.search_query.terms and self.search_query.matches(old.view) != self.search_query.matches(new.view):
            return True
        column = self.sort_column()
        return bool(sort_key(column, old.view, 0.0) != sort_key(column, new.view, 0.0))

    def _tick(self) -> None:
        """Once a second while tasks run: repaint their duration cells (where the text changed) and
        read their new metrics."""
        running = self.index.running()
        if not running:
            if self._ticker is not None:
                self._ticker.pause()
            return
        if not self.screen.is_active:  # under a dialog: caught up when it closes (the screen's resume syncs)
            return
        self.table.refresh_ticking(running)
        self._poll_running = True
        self.sync()

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

    def toggle_varying(self) -> bool:
        """Show the varying parameters as columns, or stop (remembered); whether they are shown now."""
        self.prefs.varying = not self.prefs.varying
        self._rearrange()
        return self.prefs.varying

    def toggle_hidden_param(self, key: str) -> None:
        """Hide the varying parameter `key` (the next one takes its place), or show it again."""
        hidden = self.prefs.hidden_params
        self.prefs.hidden_params = [k for k in hidden if k != key] if key in hidden else [*hidden, key]
        self._rearrange()

    def _rearrange(self) -> None:
        self.prefs.save(self.prefs_path)
        self.rebuild_columns()
        self.refilter()

    def set_pinned_params(self, keys: Sequence[str]) -> None:
        if list(keys) != self.pinned_params:
            self.pinned_params = list(keys)
            self.rebuild_columns()
            self.refilter()

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
        parts.append(f"sort: {self.sort_column().label} {'▼' if self.prefs.reverse else '▲'}")
        if self.query_text:
            parts.append(f"search: {self.query_text}")
        if self.sort_column().key == "error":  # grouped by cause: how many of each, among the shown
            groups = group_causes((row.name, row.task.error) for row in table.rows)
            parts.append(causes_text(groups) if groups else "no failure shown")
        if self.query_error or self.query_hint:
            parts.append(f"⚠ {self.query_error or self.query_hint}")
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

    def set_sort(self, key: str, reverse: bool) -> None:
        """Sort by the column `key` and scroll it into view: at 80 columns most columns are off
        screen, and a sort by one of them would change nothing the user sees but the status line."""
        self.prefs.sort, self.prefs.reverse = key, reverse
        self.prefs.save(self.prefs_path)
        self.table.set_sort(key, reverse)
        self.refilter()
        self.table.scroll_to_column(key)

    def cycle_sort(self) -> None:
        keys = [column.key for column in self.columns]
        current = keys.index(self.sort_column().key)
        following = (current + 1) % len(keys)
        self.set_sort(keys[following], self.prefs.reverse)
        if following == 0:  # round to the start: the table as it opened
            self.table.scroll_to(x=0, animate=False, immediate=True)

    def toggle_error_groups(self) -> bool:
        """Sort by error so failures with one cause sit together, with their counts in the status
        line; again: back to the previous sort. False when no task has an error."""
        if self.sort_column().key == "error":
            self.set_sort(self._sort_before_errors, self._reverse_before_errors)
            return True
        if not self.index.has_errors():
            return False
        self._sort_before_errors, self._reverse_before_errors = self.prefs.sort, self.prefs.reverse
        self.set_sort("error", False)
        return True

    def flip_sort(self) -> None:
        self.set_sort(self.sort_column().key, not self.prefs.reverse)

    def set_metric_columns(self, metrics: list[str] | None) -> None:
        self.prefs.metrics = metrics
        self._rearrange()

    def choose_metrics(self) -> bool:
        """Open the chooser of metric columns (GPU accounting included); False when there is none."""
        names = list(dict.fromkeys([*self.index.metric_names(), *self.index.gpu_fields()]))
        if not names:
            return False
        shown = self.metric_columns()
        others = [name for name in names if name not in shown]

        def chosen(picked: list[str] | None) -> None:
            if picked is not None:  # the shown ones keep their order, new ones go after them
                self.set_metric_columns([m for m in shown if m in picked] + [m for m in picked if m not in shown])

        self.app.push_screen(MetricChooser([*shown, *others], shown), chosen)
        return True

    def toggle_metric(self, name: str) -> None:
        current = self.metric_columns()
        self.set_metric_columns([m for m in current if m != name] if name in current else [*current, name])

    @on(TaskTable.HeaderClicked)
    def _header_clicked(self, event: TaskTable.HeaderClicked) -> None:
        event.stop()
        if event.key == self.prefs.sort:
            self.flip_sort()
        else:
            self.set_sort(event.key, self.prefs.reverse)

    @on(TaskTable.SelectionChanged)
    def _selection_changed(self) -> None:
        self.update_status()

    def open_search(self) -> None:
        self.search_bar.add_class("-shown")
        self.search_bar.focus()

    def set_search(self, text: str) -> None:
        """Filter the table by `text` (the search language of workspace/query.py)."""
        try:
            query = parse_query(text)
        except PyrunsError as exc:
            self.query_error = str(exc)
            self.update_status()
            return
        self.query_text, self.search_query, self.query_error = text.strip(), query, ""
        self.refilter()

    def _stop_search_timer(self) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
            self._search_timer = None

    @on(Input.Changed, "#manager-search")
    def _search_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._stop_search_timer()
        value = event.value
        self._search_timer = self.set_timer(SEARCH_DEBOUNCE_S, lambda: self.set_search(value))

    @on(Input.Submitted, "#manager-search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._stop_search_timer()
        self.set_search(event.value)
        self.search_bar.remember()
        if not event.value.strip():
            self.search_bar.remove_class("-shown")
        self.table.focus()

    @on(SearchBar.Cleared)
    def _search_cleared(self) -> None:
        self.clear_search()

    def clear_search(self) -> None:
        self._stop_search_timer()
        bar = self.search_bar
        if bar.value:
            with bar.prevent(Input.Changed):
                bar.value = ""
        bar.remove_class("-shown")
        self.set_search("")
        self.table.focus()

    def targets(self) -> list[str]:
        """The selected tasks in table order (then any selected but hidden), else the highlighted one."""
        table = self.table
        selected = {name for name in table.selected if name in self.index.entries}
        if selected:
            shown = [name for name in table.visible_names() if name in selected]
            return shown + sorted(selected - set(shown))
        return [table.cursor_name] if table.cursor_name else []
