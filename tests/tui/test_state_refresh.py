"""The TUI's periodic refresh: a write through any store (another process's CLI, the runner) is
seen at the next refresh, an idle workspace is not re-read task by task, and a hand edit is seen
within FULL_SCAN_S."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import pyruns_tui.tui.state as state_module
from pyruns_tui.tui.state import WorkspaceState
from pyruns_tui.workspace.layout import Layout
from pyruns_tui.workspace.model import Status
from pyruns_tui.workspace.store import TaskStore
from tests.conftest import make_tasks


def scans(state: WorkspaceState) -> list[int]:
    """Counts the store scans `state` makes from now on (the real scan runs)."""
    count = [0]
    scan = state.store.scan

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        count[0] += 1
        return scan(*args, **kwargs)

    state.store.scan = counted  # type: ignore[method-assign]
    return count


def note_in_another_process(layout: Layout, name: str, text: str) -> None:
    code = ("import sys; from pathlib import Path; from pyruns_tui.workspace.layout import Layout;"
            "from pyruns_tui.workspace.store import TaskStore;"
            "s = TaskStore(Layout(Path(sys.argv[1]), sys.argv[2]));"
            "s.update(sys.argv[3], lambda t: setattr(t, 'notes', sys.argv[4]))")
    subprocess.run([sys.executable, "-c", code, str(layout.root), layout.name, name, text], check=True)


def test_an_idle_workspace_is_not_rescanned_and_every_write_is_seen(layout: Layout, store: TaskStore) -> None:
    make_tasks(store, 20)
    state = WorkspaceState(layout)
    assert len(state.refresh().tasks) == 20
    count = scans(state)
    for _ in range(3):
        snapshot = state.refresh()
        assert not snapshot.changed and not snapshot.removed and len(snapshot.tasks) == 20
    assert count[0] == 0  # nothing changed: nothing re-read

    note_in_another_process(layout, "t3", "from elsewhere")  # a writer in another process
    snapshot = state.refresh()
    assert snapshot.changed == {"t3"} and snapshot.tasks["t3"].notes == "from elsewhere"

    make_tasks(store, 1, prefix="new")
    store.trash(["t5"])
    snapshot = state.refresh()
    assert snapshot.changed == {"new0"} and snapshot.removed == {"t5"}
    assert count[0] == 2


def test_a_hand_edit_is_seen_at_the_next_full_scan(layout: Layout, store: TaskStore,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    make_tasks(store, 5)
    state = WorkspaceState(layout)
    state.refresh()
    info = layout.task_info("t2")
    info.write_text(info.read_text().replace('"status": "pending"', '"status": "failed"'))
    os.utime(info, ns=(info.stat().st_atime_ns, info.stat().st_mtime_ns + 1_000_000))
    assert state.refresh().tasks["t2"].status is Status.PENDING  # no writer of ours told of it
    monkeypatch.setattr(state_module, "FULL_SCAN_S", 0.0)
    snapshot = state.refresh()
    assert snapshot.changed == {"t2"} and snapshot.tasks["t2"].status is Status.FAILED


def test_the_first_refresh_reads_an_existing_workspace(layout: Layout, store: TaskStore) -> None:
    make_tasks(store, 3)
    assert sorted(WorkspaceState(layout).refresh().tasks) == ["t0", "t1", "t2"]
