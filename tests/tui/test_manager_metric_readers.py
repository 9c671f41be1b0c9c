"""The Manager keeps a metrics reader (an incremental one, polled while the task runs) only for
tasks that are queued or running: a finished task's metrics are whole, and the readers of
100,000 finished tasks held ~0.2 GB of the app's memory. A finished task that changes (a rerun)
is read anew; one that did not is taken from the metrics cache (a second open of 10,000 finished
tasks read every metrics file again: ~5 s)."""

from __future__ import annotations

import json

import pytest

from pyruns_tui.tui.models import task_index
from pyruns_tui.tui.models.task_index import TaskIndex
from pyruns_tui.workspace.layout import Layout
from pyruns_tui.workspace.model import Run, Status
from pyruns_tui.workspace.store import TaskStore
from tests.conftest import make_tasks
from tests.opened import opened_files

START = "2026-12-04T10:00:00.000+00:00"


def _ran(store: TaskStore, name: str, status: Status, losses: list[float], layout: Layout) -> None:
    def change(task):  # type: ignore[no-untyped-def]
        task.status = status
        task.runs = [Run(index=1, status=status, start=START, pid=4242)]

    store.update(name, change)
    layout.metrics_file(name).write_text("".join(json.dumps({"step": i, "loss": v}) + "\n" for i, v in enumerate(losses)))


def test_only_active_tasks_keep_a_metrics_reader(store: TaskStore, layout: Layout) -> None:
    done, running = make_tasks(store, 2)
    _ran(store, done, Status.COMPLETED, [0.9, 0.4], layout)
    _ran(store, running, Status.RUNNING, [2.0], layout)
    tasks = {task.name: task for task in store.scan()}
    index = TaskIndex()
    index.apply(index.load(store, tasks, tasks))
    assert index.entries[done].view.metrics == {"loss": 0.4}
    assert index.entries[running].view.metrics == {"loss": 2.0}
    assert set(index._readers) == {running}  # (the finished task's reader was let go)

    with layout.metrics_file(running).open("a") as stream:  # the running task's reader goes on
        stream.write(json.dumps({"step": 1, "loss": 1.5}) + "\n")
    [entry] = index.poll(store, [running])
    assert entry.view.metrics == {"loss": 1.5} and entry.view.extremes == {"loss": (1.5, 2.0)}

    with layout.metrics_file(done).open("a") as stream:  # a finished task changed: read whole again
        stream.write(json.dumps({"step": 2, "loss": 0.1}) + "\n")
    store.update(done, lambda task: setattr(task, "notes", "rerun"))
    tasks = {task.name: task for task in store.scan()}
    index.apply(index.load(store, tasks, [done]))
    assert index.entries[done].view.metrics == {"loss": 0.1}
    assert index.entries[done].view.extremes == {"loss": (0.1, 0.9)}


def test_finished_tasks_metrics_come_from_the_metrics_cache_while_unchanged(layout: Layout,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    # the Manager's store keeps the on-disk caches (as the app's does): a second open of the
    # workspace reads no metrics file of a finished task whose files did not change (in a load
    # of more than METRICS_CACHE_FROM tasks: 0 here, where 2 tasks stand for 100,000)
    monkeypatch.setattr(task_index, "METRICS_CACHE_FROM", 0)
    writer = TaskStore(layout)
    done, other = make_tasks(writer, 2)
    _ran(writer, done, Status.COMPLETED, [0.9, 0.4], layout)
    _ran(writer, other, Status.FAILED, [3.0, 2.0, 2.5], layout)

    def opened() -> tuple[dict[str, tuple[dict[str, float], dict[str, tuple[float, float]] | None]], int]:
        """Each task's (metrics, extremes) as a fresh Manager index loads them, and the metrics
        files it opened; its store then saves its caches, as the Manager's bulk load does."""
        store = TaskStore(layout, disk_cache=True)
        tasks = {task.name: task for task in store.scan()}
        with opened_files(monkeypatch) as names:
            entries = TaskIndex().load(store, tasks, tasks)
        store.save_cache()
        values = {e.name: (dict(e.view.metrics), dict(e.view.extremes) if e.view.extremes else None) for e in entries}
        return values, names.count("metrics.jsonl")

    expected = {done: ({"loss": 0.4}, {"loss": (0.4, 0.9)}), other: ({"loss": 2.5}, {"loss": (2.0, 3.0)})}
    assert opened() == (expected, 2)
    assert opened() == (expected, 0)
    with layout.metrics_file(other).open("a") as stream:  # a file that changed is read again
        stream.write(json.dumps({"step": 3, "loss": 1.0}) + "\n")
    assert opened() == ({**expected, other: ({"loss": 1.0}, {"loss": (1.0, 3.0)})}, 1)


def test_a_small_load_reads_its_few_files_not_the_whole_metrics_cache(layout: Layout,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # a first page of 218 tasks, or a change of a few: parsing the cache of 100,000 tasks (~0.5 s)
    # would cost more than reading their files, and delayed the Manager's first screen
    writer = TaskStore(layout)
    done, other = make_tasks(writer, 2)
    _ran(writer, done, Status.COMPLETED, [0.9, 0.4], layout)
    _ran(writer, other, Status.COMPLETED, [3.0, 2.0], layout)
    store = TaskStore(layout, disk_cache=True)
    tasks = {task.name: task for task in store.scan()}
    monkeypatch.setattr(task_index, "METRICS_CACHE_FROM", 0)
    TaskIndex().load(store, tasks, tasks)
    store.save_cache()
    assert layout.metrics_cache_file.exists()
    monkeypatch.setattr(task_index, "METRICS_CACHE_FROM", 2)
    store = TaskStore(layout, disk_cache=True)
    tasks = {task.name: task for task in store.scan()}
    with opened_files(monkeypatch) as names:
        entries = TaskIndex().load(store, tasks, tasks)
    assert {e.name: dict(e.view.metrics) for e in entries} == {done: {"loss": 0.4}, other: {"loss": 2.0}}
    assert [name for name in names if "metrics" in name] == ["metrics.jsonl", "metrics.jsonl"]
