"""System calls per task record written or read, counted (issue 21, item 1: the runner changes a
task's record twice a run, the command writes each queued task's once): a file opened is fstat'ed
once until something is written to it (the fstat that found it regular gives its size), a save
looks at its task folder once, and a part of a queue appends its index rows in one open."""

from __future__ import annotations

import _thread
import contextlib
import json
import os
from collections.abc import Callable, Iterator

import pytest

from pyruns_tui.errors import WorkspaceError
from pyruns_tui.runner.daemon import triage
from pyruns_tui.workspace import scan_index
from pyruns_tui.workspace.model import Status, Task
from pyruns_tui.workspace.store import TaskStore
from tests.conftest import make_tasks


def _queue(task: Task) -> None:
    task.set_status(Status.QUEUED)


def _note(task: Task) -> None:
    task.notes = "noted"


@contextlib.contextmanager
def _folder_looks(monkeypatch: pytest.MonkeyPatch, folder: str) -> Iterator[list[str]]:
    """The `lstat`s and `stat`s of `folder` meanwhile (the real calls, named in order)."""
    looked: list[str] = []

    def counted(real: Callable[..., os.stat_result], word: str) -> Callable[..., os.stat_result]:
        def call(path: object, *args: object, **kwargs: object) -> os.stat_result:
            if os.fspath(path) == folder:  # type: ignore[call-overload]
                looked.append(word)
            return real(path, *args, **kwargs)
        return call

    with monkeypatch.context() as m:
        m.setattr(os, "lstat", counted(os.lstat, "lstat"))
        m.setattr(os, "stat", counted(os.stat, "stat"))
        yield looked


def test_a_record_change_fstats_each_open_file_once_between_writes(
        store: TaskStore, monkeypatch: pytest.MonkeyPatch) -> None:
    (name,) = make_tasks(store, 1)
    store.forget(name)  # (read from the file, as the runner's locked re-read does)
    fstat, write, close = os.fstat, os.write, os.close
    since_write: dict[int, int] = {}
    twice: list[int] = []
    fstats: list[int] = []

    def counted_fstat(fd: int) -> os.stat_result:
        fstats.append(fd)
        since_write[fd] = since_write.get(fd, 0) + 1
        if since_write[fd] > 1:
            twice.append(fd)
        return fstat(fd)

    def counted_write(fd: int, data: bytes) -> int:
        since_write[fd] = 0
        return write(fd, data)

    def counted_close(fd: int) -> None:
        since_write.pop(fd, None)  # (the number is another file's next)
        close(fd)

    with monkeypatch.context() as m:
        m.setattr(os, "fstat", counted_fstat)
        m.setattr(os, "write", counted_write)
        m.setattr(os, "close", counted_close)
        store.update(name, _queue)
    assert fstats, "the change asked no fstat at all: the count is not watching the reads"
    assert twice == []
    assert store.read_uncached(name).status is Status.QUEUED


def test_a_save_looks_at_its_task_folder_once(store: TaskStore, monkeypatch: pytest.MonkeyPatch) -> None:
    (name,) = make_tasks(store, 1)
    task = store.get(name)
    with _folder_looks(monkeypatch, os.path.join(store.layout.tasks_dir, name)) as looked:
        store.save(task)
    assert looked == ["lstat"]


def test_a_saved_part_appends_its_index_rows_in_one_open(store: TaskStore, monkeypatch: pytest.MonkeyPatch) -> None:
    names = make_tasks(store, 10)
    tasks = [store.get(name) for name in names]
    for task in tasks:
        task.set_status(Status.QUEUED)
    log = scan_index.log_of(store.layout.cache_file)
    opened: list[str] = []
    real = os.open

    def counted(path: object, *args: object, **kwargs: object) -> int:
        if os.path.basename(os.fspath(path)) == log.name:  # type: ignore[call-overload]
            opened.append(os.fspath(path))  # type: ignore[call-overload]
        return real(path, *args, **kwargs)  # type: ignore[arg-type]

    size = log.stat().st_size if log.exists() else 0
    with monkeypatch.context() as m:
        m.setattr(os, "open", counted)
        store.save_all(tasks)
    assert len(opened) == 1
    rows = log.read_bytes()[size:].splitlines()
    assert sorted(json.loads(row)[1] for row in rows) == sorted(names)
    assert all(store.read_uncached(name).status is Status.QUEUED for name in names)


def test_the_oom_count_is_read_without_a_file_object(monkeypatch: pytest.MonkeyPatch) -> None:
    """(an open() costs two fstats and an ioctl before the read, at every run's start)"""
    def no_open(*args: object, **kwargs: object) -> object:
        raise AssertionError("oom_kills made a file object")

    monkeypatch.setattr("builtins.open", no_open)
    count = triage.oom_kills()
    if os.path.exists(triage.VMSTAT):
        assert isinstance(count, int) and count >= 0


def test_a_record_write_fstats_its_new_temp_file_once_and_a_read_reads_once(
        store: TaskStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """(the temp file is made by O_CREAT | O_EXCL: new and regular without an fstat to say so; a
    read that returns the bytes the fstat counted has reached the end)"""
    (name,) = make_tasks(store, 1)
    store.forget(name)
    fstat, read = os.fstat, os.read
    calls: list[str] = []

    def counted_fstat(fd: int) -> os.stat_result:
        calls.append("fstat")
        return fstat(fd)

    def counted_read(fd: int, n: int) -> bytes:
        calls.append("read")
        return read(fd, n)

    with monkeypatch.context() as m:
        m.setattr(os, "fstat", counted_fstat)
        m.setattr(os, "read", counted_read)
        store.update(name, _queue)  # a read of the record, then its write (and an index row's append)
    # the lock file's open, the record's open (sizing its one read), the write's stat key, the index log's open
    assert calls == ["fstat", "fstat", "read", "fstat", "fstat"], calls
    assert store.read_uncached(name).status is Status.QUEUED


def test_a_temp_file_left_by_a_dead_writer_is_written_over_and_one_planted_as_a_fifo_refused(
        store: TaskStore) -> None:
    (name,) = make_tasks(store, 1)
    info = str(store.layout.task_info(name))
    folder, base = os.path.split(info)
    tmp = os.path.join(folder, f".{base}.{os.getpid()}.{_thread.get_ident()}.tmp")
    with open(tmp, "w") as fh:  # a writer of this pid and thread that died before its rename
        fh.write("half")
    store.update(name, _queue)
    assert store.read_uncached(name).status is Status.QUEUED and not os.path.exists(tmp)
    os.mkfifo(tmp)
    with pytest.raises(WorkspaceError, match="FIFO"):
        store.update(name, _note)
    os.unlink(tmp)
    assert store.read_uncached(name).notes == ""


def test_an_update_looks_at_its_task_folder_once(store: TaskStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """(the read finds it a folder, not a link; the write opens it O_NOFOLLOW all the same)"""
    (name,) = make_tasks(store, 1)
    with _folder_looks(monkeypatch, os.path.join(store.layout.tasks_dir, name)) as looked:
        store.update(name, _note)
    assert looked == ["lstat"]
    assert store.read_uncached(name).notes == "noted"
