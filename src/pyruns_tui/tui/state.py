"""WorkspaceState: the TUI's view of one workspace, refreshed from disk off the UI thread."""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from pyruns_tui.workspace.bootstrap import ScriptInfo, read_script_info
from pyruns_tui.workspace.layout import Layout
from pyruns_tui.workspace.model import Status, Task
from pyruns_tui.workspace.settings import Settings, load_settings
from pyruns_tui.workspace.store import TaskStore

FULL_SCAN_S = 30.0  # how stale a hand edit (or a write no index row tells of) may show at most
FIRST_PAGE_FROM = 10_000  # from this many tasks the first scan is preceded by a first page
FIRST_PAGE = 200  # tasks in it: more than a screen shows


@dataclass
class Snapshot:
    """The tasks as last read from disk; `changed` names the tasks that differ from the previous one."""

    tasks: dict[str, Task] = field(default_factory=dict)
    versions: dict[str, object] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    changed: frozenset[str] = frozenset()
    removed: frozenset[str] = frozenset()
    total: int | None = None  # set while `tasks` holds only the first page: how many tasks there are

    def counts(self) -> Counter[Status]:
        return Counter(task.status for task in self.tasks.values())


class WorkspaceState:
    """Owns the store and settings of the open workspace; `refresh()` is safe from a worker thread."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        # a parse cache makes reopening big workspaces fast; a scan finishes a batch an interrupted writer left
        self.store = TaskStore(layout, disk_cache=True, finish_batches=True)
        self.settings: Settings = load_settings(layout.settings_file)
        self.script_info: ScriptInfo = read_script_info(layout)
        self.snapshot = Snapshot()
        self._lock = threading.Lock()
        self._token: object = None  # the store's change token at the last full scan
        self._full_scan_at = 0.0  # monotonic time of the last full scan

    def concurrency(self) -> int:
        """How many tasks run at once with the executor in use (runner/limits.py): locally the
        `run -j N` in effect, else `max_concurrency`; on Slurm an array's %N."""
        from pyruns_tui.runner.limits import Limits

        return Limits.of(self.layout, self.settings).applies

    def reload_script_info(self) -> ScriptInfo:
        self.script_info = read_script_info(self.layout)
        return self.script_info

    def first_page(self, *, newest_first: bool) -> bool:
        """Before the first scan of a big workspace: make the snapshot the tasks a listing by
        creation time starts with (`TaskStore.first_tasks`, FIRST_PAGE of them) with `total`
        set, so that a screen can show them while `refresh` reads the rest (~3 s for 100,000
        tasks). False, with nothing changed, when there is no use or no way (a small workspace,
        no scan index, or a snapshot already read)."""
        with self._lock:
            if self.snapshot.tasks or self._token is not None:
                return False
            page = self.store.first_tasks(FIRST_PAGE, newest_first=newest_first, least=FIRST_PAGE_FROM)
            if page is None:
                return False
            tasks = {task.name: task for task in page[0]}
            self.snapshot = Snapshot(tasks, self._versions(tasks), list(tasks), frozenset(tasks), total=page[1])
            return True

    def refresh(self) -> Snapshot:
        """Re-scan the disk (stat-cached) and return a snapshot saying which tasks changed.

        While the store's change token is the same and the last full scan is younger than
        FULL_SCAN_S, nothing is re-read (100,000 tasks: two stats instead of 100,000 stats and
        ~1 s holding the interpreter lock, which stalled keystrokes every few seconds)."""
        with self._lock:
            token = self.store.change_token()  # taken first: a change during the scan is seen next time
            if token == self._token and time.monotonic() - self._full_scan_at < FULL_SCAN_S:
                self.snapshot = Snapshot(self.snapshot.tasks, self.snapshot.versions, self.snapshot.order)
                return self.snapshot
            self._token, self._full_scan_at = token, time.monotonic()
            tasks = self.store.scan()
            old = self.snapshot.versions
            new = {task.name: task for task in tasks}
            versions = self._versions(new)
            changed = frozenset(name for name, key in versions.items() if old.get(name) != key)
            removed = frozenset(old.keys() - new.keys())
            self.snapshot = Snapshot(new, versions, [t.name for t in tasks], changed, removed)
            return self.snapshot

    def _versions(self, tasks: dict[str, Task]) -> dict[str, object]:
        """What the store read of each task's file (its stat key): equal versions, equal tasks."""
        return {name: self.store.version(name) for name in tasks}
