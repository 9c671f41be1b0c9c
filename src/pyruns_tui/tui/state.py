"""WorkspaceState: the TUI's view of one workspace, refreshed from disk off the UI thread."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field

from pyruns_tui.workspace.bootstrap import ScriptInfo, read_script_info
from pyruns_tui.workspace.layout import Layout
from pyruns_tui.workspace.model import Status, Task
from pyruns_tui.workspace.settings import Settings, load_settings
from pyruns_tui.workspace.store import TaskStore


@dataclass
class Snapshot:
    """The tasks as last read from disk; `changed` names the tasks that differ from the previous one."""

    tasks: dict[str, Task] = field(default_factory=dict)
    versions: dict[str, object] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    changed: frozenset[str] = frozenset()
    removed: frozenset[str] = frozenset()

    def counts(self) -> Counter[Status]:
        return Counter(task.status for task in self.tasks.values())


class WorkspaceState:
    """Owns the store and settings of the open workspace; `refresh()` is safe from a worker thread."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.store = TaskStore(layout, disk_cache=True)  # a parse cache makes reopening big workspaces fast
        self.settings: Settings = load_settings(layout.settings_file)
        self.script_info: ScriptInfo = read_script_info(layout)
        self.snapshot = Snapshot()
        self._lock = threading.Lock()

    def reload_script_info(self) -> ScriptInfo:
        self.script_info = read_script_info(self.layout)
        return self.script_info

    def refresh(self) -> Snapshot:
        """Re-scan the disk (stat-cached) and return a snapshot saying which tasks changed."""
        with self._lock:
            tasks = self.store.scan()
            old = self.snapshot.versions
            new = {task.name: task for task in tasks}
            versions: dict[str, object] = {name: self.store.version(name) for name in new}
            changed = frozenset(name for name, key in versions.items() if old.get(name) != key)
            removed = frozenset(old.keys() - new.keys())
            self.snapshot = Snapshot(new, versions, [t.name for t in tasks], changed, removed)
            return self.snapshot
