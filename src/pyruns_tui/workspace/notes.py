"""Saving notes edited from a copy: what was added on disk meanwhile (`note -a`) is kept.

An editor (the TUI's notes dialog) starts from `base`, the notes as it read them. When it saves,
the notes on disk may have changed since: appended to (`pyr-tui note -a`, a script), or
rewritten. Nothing acknowledged is ever overwritten: an append made meanwhile is kept after the
edited text; a rewrite made meanwhile is kept before it.
"""

from __future__ import annotations

from enum import Enum

from pyruns_tui.errors import WorkspaceError
from pyruns_tui.workspace.model import Task
from pyruns_tui.workspace.store import TaskStore

# notes are a few lines: a log piped in by mistake (`note t - < train.log`) would be copied with
# every change of the record, read by every scan, and took the TUI's editor seconds and ~0.5 GB
MAX_NOTES = 100_000  # characters


def normalized(text: str) -> str:
    """A note as it is stored: whitespace at its end removed (trailing spaces, newlines of
    standard input, the editor's last empty lines); every line before kept as typed. Every face
    saves through it (`note TASK TEXT`, `note TASK -`, `note -a`, the Manager's `n`)."""
    return text.rstrip()


def too_long(name: str, notes: str) -> str | None:
    """Why `notes` cannot be the notes of task `name` (over MAX_NOTES), or None."""
    if len(notes) <= MAX_NOTES:
        return None
    return (f"the notes of {name} would be {len(notes):,} characters, over the {MAX_NOTES:,} allowed; "
            "keep long text in a file and note its path")


def within_limit(name: str, notes: str) -> str:
    """`notes`, or WorkspaceError when they are over MAX_NOTES (nothing is written then)."""
    why = too_long(name, notes)
    if why is not None:
        raise WorkspaceError(why)
    return notes


class NotesMerge(str, Enum):
    SAVED = "saved"  # nobody changed them meanwhile
    MERGED = "merged"  # an append made meanwhile is kept after the edit
    BOTH_KEPT = "both kept"  # rewritten meanwhile: the text on disk, then the edit


def merge_notes(base: str, edited: str, current: str) -> tuple[str, NotesMerge]:
    """The notes to write when `edited` was made from `base` and the disk now has `current`."""
    if current == base or edited == current:
        return edited, NotesMerge.SAVED
    if edited == base:
        return current, NotesMerge.MERGED  # the editor changed nothing: the disk's version stands
    if current.startswith(base):
        added = current[len(base):].lstrip("\n")
        return f"{edited}\n{added}".strip("\n") if edited else added, NotesMerge.MERGED
    return f"{current}\n{edited}".strip("\n"), NotesMerge.BOTH_KEPT


def save_edited_notes(store: TaskStore, name: str, edited: str, base: str) -> NotesMerge:
    """Write notes edited from `base` (under the workspace lock, merged with any change made
    on disk meanwhile); returns how they were merged."""
    outcome = [NotesMerge.SAVED]
    edited = normalized(edited)

    def change(task: Task) -> None:
        notes, outcome[0] = merge_notes(base, edited, task.notes)
        task.notes = within_limit(name, normalized(notes))

    store.update(name, change)
    return outcome[0]
