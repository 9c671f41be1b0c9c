"""TaskStore.first_tasks: the tasks a listing by creation time starts with, chosen by the scan
index without reading the other tasks, each read from its own file."""

from __future__ import annotations

import os

import pytest

from pyruns_tui.workspace.layout import Layout
from pyruns_tui.workspace.model import Status, Task
from pyruns_tui.workspace.scan_index import log_of
from pyruns_tui.workspace.store import TaskStore
from tests.conftest import make_tasks
from tests.workspace.test_scan_index import hand_edit

MINUTE = {f"t{i}": i for i in range(12)} | {"t8": 9}  # t8 and t9 were created in the same minute
PINNED = ("t3", "t10")


def workspace(store: TaskStore) -> None:
    make_tasks(store, 12)
    for name, minute in MINUTE.items():
        def change(task: Task, minute: int = minute) -> None:
            task.created_at = f"2026-01-01T10:{minute:02d}:00.000+00:00"
            task.pinned = task.name in PINNED

        store.update(name, change, fsync=False)


def reader(layout: Layout, source: str) -> TaskStore:
    """A fresh reader whose index holds every task in the log its writers appended to, or
    (`snapshot`) in the snapshot a reader before it saved."""
    if source == "snapshot":
        log_of(layout.cache_file).unlink()  # then the reader parses every file and saves a snapshot
        first = TaskStore(layout, disk_cache=True)
        first.scan()
        first.save_cache()
        assert layout.cache_file.is_file()
    return TaskStore(layout, disk_cache=True)


@pytest.mark.parametrize("source", ["log", "snapshot"])
@pytest.mark.parametrize(("newest_first", "expected"), [
    (True, {"t3", "t10", "t11", "t9", "t8"}),  # the two newest unpinned, and t8, tied with t9
    (False, {"t3", "t10", "t0", "t1"}),
])
def test_the_pinned_tasks_then_the_first_by_creation_time(layout: Layout, store: TaskStore, source: str,
                                                         newest_first: bool, expected: set[str]) -> None:
    workspace(store)
    page = reader(layout, source).first_tasks(4, newest_first=newest_first)
    assert page is not None
    tasks, total = page
    assert {task.name for task in tasks} == expected and total == 12


def test_each_task_is_read_from_its_file(layout: Layout, store: TaskStore) -> None:
    workspace(store)
    fresh = reader(layout, "snapshot")
    hand_edit(layout.task_info("t11"), '"status": "pending"', '"status": "failed"')  # behind the index's back
    page = fresh.first_tasks(2, newest_first=True)
    assert page is not None
    tasks = {task.name: task for task in page[0]}
    assert set(tasks) == {"t3", "t10"}  # the pinned come first and are enough
    page = fresh.first_tasks(3, newest_first=True)
    assert page is not None
    tasks = {task.name: task for task in page[0]}
    assert tasks["t11"].status is Status.FAILED  # what the file says, not the index
    assert fresh.scan()[-1].status is Status.FAILED


def test_no_first_tasks_without_the_index_or_below_the_size(layout: Layout, store: TaskStore) -> None:
    workspace(store)
    assert TaskStore(layout).first_tasks(4, newest_first=True) is None  # no index: nothing to choose by
    assert reader(layout, "log").first_tasks(4, newest_first=True, least=13) is None
    for path in layout.cache_file.parent.glob(".scan_cache*"):
        path.unlink()
    make_tasks(store, 1, prefix="late")  # the only task the new index knows
    unknown = reader(layout, "log")
    assert unknown.first_tasks(4, newest_first=True) is None  # 12 tasks it cannot place
    page = unknown.first_tasks(12, newest_first=True)  # few enough: each of them is read
    assert page is not None and {task.name for task in page[0]} == set(MINUTE)


@pytest.mark.parametrize("damage", ["garbage", "fifo", "wrong types"])
def test_a_damaged_index_never_gives_a_wrong_task(layout: Layout, store: TaskStore, damage: str) -> None:
    workspace(store)
    reader(layout, "snapshot")
    cache = layout.cache_file
    files = [cache, cache.with_suffix(".rest.jsonl"), log_of(cache)]
    for path in files:
        if damage == "garbage":
            path.write_bytes(b'\x00{"version": 3, "stamp": 1}\n["i","t0",1,2,3,"failed","{\\"pinned\\":1}"]\n' * 50)
        elif damage == "fifo":
            path.unlink(missing_ok=True)
            os.mkfifo(path)
        else:  # rows of the right shape whose values lie (a pinned task that is not, a time of no kind)
            path.write_text('["i","t0",1,2,3,"failed","{\\"pinned\\":true,\\"created_at\\":[1]}"]\n' if path == files[2] else "")
    page = TaskStore(layout, disk_cache=True).first_tasks(20, newest_first=True)
    if page is not None:
        truth = {task.name: task.status for task in TaskStore(layout).scan()}
        assert {task.name: task.status for task in page[0]}.items() <= truth.items()  # what the files say
        assert page[1] == 12
