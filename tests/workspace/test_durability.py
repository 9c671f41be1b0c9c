"""Which writes wait for the disk (docs/workspace.md, "What is synced, and why"), observed at the
calls that do it: `os.fsync` is wrapped to record what each call synced and what was on disk then,
and the store's `syncfs` to record when it ran. A power loss itself cannot be caused here."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

import pytest

from pyruns_tui.workspace import fsio
from pyruns_tui.workspace import store as store_module
from pyruns_tui.workspace.store import TaskStore
from tests.conftest import make_tasks


class Syncs:
    """Every `os.fsync` (the path it synced, and `look()` at that moment) and `syncfs` of the store."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, look: Any = lambda: None) -> None:
        self.calls: list[tuple[str, str, Any]] = []
        real_fsync, real_syncfs = os.fsync, store_module.sync_filesystem

        def fsync(fd: int) -> None:
            self.calls.append(("fsync", os.readlink(f"/proc/self/fd/{fd}"), look()))
            real_fsync(fd)

        def syncfs(path: Path) -> None:
            self.calls.append(("syncfs", str(path), look()))
            real_syncfs(path)

        monkeypatch.setattr(os, "fsync", fsync)
        monkeypatch.setattr(store_module, "sync_filesystem", syncfs)


def test_a_synced_atomic_write_syncs_its_folder_after_the_rename(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "task_info.json"
    target.write_bytes(b"old")
    syncs = Syncs(monkeypatch, look=target.read_bytes)
    fsio.atomic_write(target, b"new")
    kinds = [(kind, Path(path).name if Path(path).parent == tmp_path else path) for kind, path, _ in syncs.calls]
    assert len(kinds) == 2 and kinds[0][1].startswith(".task_info.json.") and kinds[1] == ("fsync", str(tmp_path)), kinds
    assert syncs.calls[1][2] == b"new"  # the folder is synced once the rename is done


def test_an_unsynced_atomic_write_waits_for_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    syncs = Syncs(monkeypatch)
    fsio.atomic_write(tmp_path / "progress.json", b"{}", fsync=False)
    assert syncs.calls == []


@pytest.mark.parametrize(("code", "raised"), [(errno.EIO, True), (errno.ENOSPC, True), (errno.EINVAL, False),
                                              (errno.EOPNOTSUPP, False)])
def test_a_folder_sync_that_fails_is_reported_unless_the_filesystem_cannot_do_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int, raised: bool) -> None:
    def fsync(fd: int) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(os, "fsync", fsync)
    if raised:
        with pytest.raises(OSError) as info:
            fsio.fsync_dir(tmp_path)
        assert info.value.errno == code
    else:
        fsio.fsync_dir(tmp_path)


def test_changing_one_task_is_durable_on_return(store: TaskStore, monkeypatch: pytest.MonkeyPatch) -> None:
    name = make_tasks(store, 1)[0]
    info = store.layout.task_info(name)
    syncs = Syncs(monkeypatch, look=info.read_bytes)
    store.update(name, lambda t: setattr(t, "notes", "durable"))
    assert [(kind, path) for kind, path, _ in syncs.calls][-1] == ("fsync", str(info.parent))
    assert b"durable" in syncs.calls[-1][2]


def test_rm_and_restore_of_a_batch_sync_once_after_every_move(store: TaskStore, monkeypatch: pytest.MonkeyPatch) -> None:
    names = make_tasks(store, 30)
    layout = store.layout
    syncs = Syncs(monkeypatch, look=lambda: (sorted(store.names()), sorted(os.listdir(layout.trash_dir))))
    moved = store.trash(names)
    assert [kind for kind, _, _ in syncs.calls] == ["syncfs"]  # (it was 30 file and 2 folder fsyncs)
    assert syncs.calls[0][2] == ([], sorted(moved))  # after the last move
    syncs.calls.clear()
    store.restore(moved)
    assert [kind for kind, _, _ in syncs.calls] == ["syncfs"]
    assert syncs.calls[0][2] == (sorted(names), [])
