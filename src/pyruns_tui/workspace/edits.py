"""Edits of a workspace that need no runner, each one engine verb behind a CLI command and a TUI key:
pin/unpin tasks, notes, trash/restore, pinned parameter columns. All run under the workspace lock."""

from __future__ import annotations

from collections.abc import Sequence

from pyruns_tui.errors import PyrunsError, WorkspaceError
from pyruns_tui.workspace.bootstrap import read_script_info, write_script_info
from pyruns_tui.workspace.model import Task
from pyruns_tui.workspace.store import TaskStore


def set_pinned(store: TaskStore, names: Sequence[str], pinned: bool) -> list[Task]:
    """Pin (listed first) or unpin tasks."""
    with store.lock():
        return [store.update(name, lambda t: setattr(t, "pinned", pinned)) for name in names]


def set_notes(store: TaskStore, name: str, text: str, *, append: bool = False) -> Task:
    """Replace a task's notes, or append `text` as a new line (`note -a`); stored as
    `notes.normalized` makes them, at most MAX_NOTES characters (workspace/notes.py)."""
    from pyruns_tui.workspace.notes import normalized, within_limit

    def change(task: Task) -> None:
        notes = f"{task.notes}\n{text}".strip("\n") if append and task.notes else text
        task.notes = within_limit(name, normalized(notes))

    return store.update(name, change)


def trash(store: TaskStore, names: Sequence[str]) -> list[str]:
    """Move tasks to the trash, all or nothing (an active task refuses the whole request). A
    running runner is woken (none is started): a queued task that waits for one of them
    (`after`) goes back to pending now, not at the runner's next full look."""
    moved = store.trash(names)
    if moved:
        from pyruns_tui.runner.client import wake_runner

        wake_runner(store.layout)
    return moved


def restore(store: TaskStore, trash_names: Sequence[str]) -> list[str]:
    """Move tasks back from the trash; returns their names in tasks/."""
    return store.restore(trash_names)


def pin_params(store: TaskStore, keys: Sequence[str], pinned: bool) -> list[str]:
    """Pin parameter columns (ls and the Manager show them) or unpin them; the new list.

    A key to pin must be a parameter of the workspace (its config_default.yaml or any task's
    config): a typo would be an empty column, so it is refused naming the closest known keys
    (WorkspaceError), before anything is written. Unpinning takes any key (a pin whose tasks are
    all gone must still come off)."""
    if pinned:
        _refuse_unknown(store, keys)  # (outside the lock: it may read every task's config)
    return _set_pins(store, keys, pinned)


def _set_pins(store: TaskStore, keys: Sequence[str], pinned: bool) -> list[str]:
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
        return _set_pins(store, [key], not pinned)  # (a field of the form is a parameter)


def known_params(store: TaskStore, wanted: Sequence[str] = ()) -> list[str]:
    """The flat parameter names of the workspace: those of config_default.yaml (the Generator's
    form; a shell workspace's `params`), then those of its tasks' configs, each once. With
    `wanted`, the tasks are read only until every wanted name was seen."""
    from pyruns_tui.params.config_default import defaults_from_text
    from pyruns_tui.workspace.query import flat_view

    names: dict[str, None] = {}
    try:
        defaults = defaults_from_text(store.layout.config_default.read_text(encoding="utf-8"))
        if read_script_info(store.layout).kind == "shell":
            defaults = defaults.get("params") or {}
        if isinstance(defaults, dict):
            names.update(dict.fromkeys(map(str, flat_view(defaults))))
    except (OSError, ValueError, PyrunsError):
        pass  # a missing or broken config_default.yaml: the tasks still tell
    missing = set(wanted) - set(names)
    if wanted and not missing:
        return list(names)
    for task in store.scan():
        keys = flat_view(store.config_or_empty(task.name))
        names.update(dict.fromkeys(map(str, keys)))
        missing.difference_update(keys)
        if wanted and not missing:
            break
    return list(names)


def _refuse_unknown(store: TaskStore, keys: Sequence[str]) -> None:
    known = known_params(store, keys)
    unknown = [key for key in dict.fromkeys(keys) if key not in known]
    if not unknown:
        return
    import difflib

    key = unknown[0]
    close = difflib.get_close_matches(key, known, n=3)
    if close:
        hint = "closest: " + ", ".join(close)
    elif known:
        hint = "parameters: " + ", ".join(known[:8]) + (", ..." if len(known) > 8 else "")
    else:
        hint = "no task has parameters yet"
    raise WorkspaceError(f"unknown parameter {key!r}: neither config_default.yaml nor any task of workspace "
                         f"{store.layout.name!r} has it ({hint}); nothing was pinned")
