"""Edits of a workspace that need no runner, each one engine verb behind a CLI command and a TUI key:
pin/unpin tasks, notes, trash/restore, pinned parameter columns. All run under the workspace lock."""

from __future__ import annotations

from collections.abc import Sequence

from pyruns_tui.workspace.bootstrap import read_script_info, write_script_info
from pyruns_tui.workspace.model import Task
from pyruns_tui.workspace.store import TaskStore


def set_pinned(store: TaskStore, names: Sequence[str], pinned: bool) -> list[Task]:
    """Pin (listed first) or unpin tasks."""
    with store.lock():
        return [store.update(name, lambda t: setattr(t, "pinned", pinned)) for name in names]


def set_notes(store: TaskStore, name: str, text: str, *, append: bool = False) -> Task:
    """Replace a task's notes, or append `text` as a new line (`note -a`); at most MAX_NOTES
    characters (workspace/notes.py)."""
    from pyruns_tui.workspace.notes import within_limit

    def change(task: Task) -> None:
        task.notes = within_limit(name, f"{task.notes}\n{text}".strip("\n") if append and task.notes else text)

    return store.update(name, change)


def trash(store: TaskStore, names: Sequence[str]) -> list[str]:
    """Move tasks to the trash, all or nothing (an active task refuses the whole request)."""
    return store.trash(names)


def restore(store: TaskStore, trash_names: Sequence[str]) -> list[str]:
    """Move tasks back from the trash; returns their names in tasks/."""
    return store.restore(trash_names)


def pin_params(store: TaskStore, keys: Sequence[str], pinned: bool) -> list[str]:
    """Pin parameter columns (ls and the Manager show them) or unpin them; the new list."""
    with store.lock():
        info = read_script_info(store.layout)
        for key in keys:
            if not pinned and key in info.pinned_params:
                info.pinned_params.remove(key)
            elif pinned and key not in info.pinned_params:
                info.pinned_params.append(key)
        write_script_info(store.layout, info)
        return list(info.pinned_params)


def toggle_param(store: TaskStore, key: str) -> list[str]:
    """Pin `key` as a column when it is not pinned, else unpin it (the Generator's ctrl+t)."""
    with store.lock():
        pinned = key in read_script_info(store.layout).pinned_params
        return pin_params(store, [key], not pinned)
