"""TaskBrowser: the search bar, the task table and its status line, kept in step with the disk.
Here: the sync from disk (a worker reads what changed) and the tick of running tasks; what it shows
is BrowserView (browser_view.py), what the user changes BrowserControls (browser_controls.py)."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Sequence

from textual import work
from textual.message import Message
from textual.timer import Timer
from textual.worker import get_current_worker

from pyruns_tui.tui.models.columns import METRIC, PARAM, sort_key
from pyruns_tui.tui.models.load_plan import Prepared, group_ahead_slots, prepare
from pyruns_tui.tui.models.operand_groups import Column as GroupColumn
from pyruns_tui.tui.models.operand_groups import Slot, build
from pyruns_tui.tui.models.task_index import Delta, TaskEntry
from pyruns_tui.tui.state import WorkspaceState
from pyruns_tui.tui.widgets.manager.browser_controls import BrowserControls
from pyruns_tui.workspace.gc_pause import bulk_load
from pyruns_tui.workspace.model import Task

QUICK_PASS = 500  # more new tasks than this: show them before their configs are read
PAINT_WAIT_S = 2.0  # how long the configs wait for the quick pass to be painted
GROUP_AHEAD_FROM = 2_000  # from this many tasks the likely search keys are grouped in a thread ahead of use
GROUP_AHEAD_EVERY_S = 10.0  # not more often (many tasks changing at once drop the groupings again)


class TaskBrowser(BrowserControls):
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
        super().__init__(state, id=id)
        self.syncing = False
        self.grouping = False  # the likely search keys are being grouped in a thread
        self._grouped_at = -GROUP_AHEAD_EVERY_S
        self._want_sync = False
        self._poll_running = False
        self._ticker: Timer | None = None

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
