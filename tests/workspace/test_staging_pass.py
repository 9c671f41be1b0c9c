"""Staging folders in tasks/ are dealt with from the listing the caller already made (one place,
workspace/staging.py: `tidy`, `remove_stale`): a scan beside a live `gen`'s folder lists tasks/ once, not once more
to look for batches to finish; a batch write lists it once, for the names it takes and the
folders of writers killed before their record (removed) alike."""

from __future__ import annotations

import contextlib
import fcntl
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pyruns_tui.workspace.store import TaskStore
from tests.conftest import make_tasks


@contextlib.contextmanager
def _listings(monkeypatch: pytest.MonkeyPatch, folder: Path) -> Iterator[list[str]]:
    """The listings of `folder` meanwhile (os.scandir and os.listdir, by path or by fd)."""
    seen: list[str] = []
    inode = os.stat(folder).st_ino

    def counted(real: Callable[..., object], word: str) -> Callable[..., object]:
        def call(path: object = ".", *args: object) -> object:
            where = os.fstat(path).st_ino if isinstance(path, int) else os.stat(path).st_ino  # type: ignore[arg-type]
            if where == inode:
                seen.append(word)
            return real(path, *args)
        return call

    monkeypatch.setattr(os, "scandir", counted(os.scandir, "scandir"))
    monkeypatch.setattr(os, "listdir", counted(os.listdir, "listdir"))
    yield seen
    monkeypatch.undo()


def _live_writers_folder(tasks: Path) -> tuple[Path, int]:
    """A staging folder whose record a live writer holds locked (this process, through its own fd)."""
    folder = tasks / f".staging-{os.getpid()}-0badcafe"
    folder.mkdir()
    fd = os.open(folder / ".batch.json", os.O_WRONLY | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX)
    os.write(fd, b'{"names": ["t0"], "queue": false}')
    return folder, fd


def test_a_scan_beside_a_live_writers_folder_lists_tasks_once_and_leaves_it(store: TaskStore,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    make_tasks(store, 3)
    tasks = store.layout.tasks_dir
    folder, fd = _live_writers_folder(tasks)
    try:
        finishing = TaskStore(store.layout, finish_batches=True)
        with _listings(monkeypatch, tasks) as seen:
            assert sorted(t.name for t in finishing.scan()) == ["t0", "t1", "t2"]
        assert seen == ["scandir"]  # was two: the scan's, then finish_interrupted's own
        assert folder.is_dir() and finishing.notes == []
    finally:
        os.close(fd)


def _dead_pid() -> int:
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                           check=True)
    return int(child.stdout)


def test_a_batch_write_lists_tasks_once_and_removes_only_record_less_folders_of_gone_writers(
        store: TaskStore, monkeypatch: pytest.MonkeyPatch) -> None:
    tasks = store.layout.tasks_dir
    gone = tasks / f".staging-{_dead_pid()}-00000001"  # killed before its record: removed
    (gone / "t9").mkdir(parents=True)
    alive = tasks / f".staging-{os.getpid()}-00000002"  # a live process's (between mkdir and record)
    alive.mkdir()
    recorded, fd = _live_writers_folder(tasks)  # a record: finished by a scan, never removed here
    try:
        with _listings(monkeypatch, tasks) as seen:
            make_tasks(store, 2)
        assert seen == ["listdir"]  # was two: the stale folders' scandir, then the names taken
        assert not gone.exists() and alive.is_dir() and recorded.is_dir()
    finally:
        os.close(fd)
