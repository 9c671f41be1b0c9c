from __future__ import annotations

import errno
import json
import multiprocessing
import os
from pathlib import Path

import pytest

from pyruns_tui.errors import WorkspaceError
from pyruns_tui.workspace.layout import Layout
from pyruns_tui.workspace.model import Status, Task
from pyruns_tui.workspace.names import name_problem
from pyruns_tui.workspace.store import PARALLEL_WRITES_FROM, NewTask, TaskStore
from tests.conftest import make_tasks


def test_created_tasks_have_info_and_config(store: TaskStore) -> None:
    names = make_tasks(store, 3, lr=0.1)
    assert names == ["t0", "t1", "t2"]
    for i, name in enumerate(names):
        info = json.loads(store.layout.task_info(name).read_text())
        assert info["status"] == "pending" and info["schema_version"] == 1 and info["name"] == name
        assert store.load_config(name) == {"i": i, "lr": 0.1}


def test_a_big_batch_is_written_whole(store: TaskStore) -> None:
    count = PARALLEL_WRITES_FROM + 51  # written by two threads
    names = make_tasks(store, count, lr=0.5)
    assert sorted(store.names()) == sorted(names) and len(set(names)) == count
    for i, name in enumerate(names):
        assert store.load_config(name) == {"i": i, "lr": 0.5}
        assert json.loads(store.layout.task_info(name).read_text())["name"] == name
    assert [e for e in os.listdir(store.layout.tasks_dir) if e.startswith(".")] == []  # no staging left


def test_taken_names_get_a_unique_suffix(store: TaskStore) -> None:
    make_tasks(store, 1, prefix="exp")
    again = make_tasks(store, 1, prefix="exp")
    assert again == ["exp0_2"]


def test_a_suffixed_long_name_stays_a_valid_name(store: TaskStore) -> None:
    long = "x" * 199 + "é"  # the longest name allowed, 200 characters
    first = store.create_tasks([NewTask(long, {})], task_kind="plain", script=None)[0].name
    second = store.create_tasks([NewTask(long, {})], task_kind="plain", script=None)[0].name
    third = store.create_tasks([NewTask(long, {})], task_kind="plain", script=None)[0].name
    assert first == long and second == "x" * 198 + "_2" and third == "x" * 198 + "_3"
    assert all(name_problem(name) is None for name in (first, second, third))
    assert store.get(second).name == second


def test_invalid_name_writes_nothing(store: TaskStore) -> None:
    with pytest.raises(WorkspaceError, match="cannot contain"):
        store.create_tasks([NewTask("ok", {}), NewTask("../evil", {})], task_kind="plain", script=None)
    assert os.listdir(store.layout.tasks_dir) == []


def test_failure_midway_leaves_no_half_written_task(store: TaskStore) -> None:
    bad = NewTask("b", {"x": object()})  # not representable as YAML
    with pytest.raises(Exception):
        store.create_tasks([NewTask("a", {"x": 1}), bad], task_kind="plain", script=None)
    assert os.listdir(store.layout.tasks_dir) == []


def test_scan_reparses_only_changed_files(store: TaskStore, monkeypatch: pytest.MonkeyPatch) -> None:
    make_tasks(store, 5)
    reader = TaskStore(store.layout)
    assert [t.name for t in reader.scan()] == ["t0", "t1", "t2", "t3", "t4"]
    store.update("t3", lambda t: setattr(t, "notes", "changed"))
    parsed: list[Path] = []
    import pyruns_tui.workspace.store as store_module

    real = store_module._read_json
    monkeypatch.setattr(store_module, "_read_json", lambda p: parsed.append(p) or real(p))
    tasks = reader.scan()
    assert [p.parent.name for p in parsed] == ["t3"]
    assert next(t for t in tasks if t.name == "t3").notes == "changed"


def test_disk_cache_survives_across_store_instances(store: TaskStore, monkeypatch: pytest.MonkeyPatch) -> None:
    make_tasks(store, 4)
    first = TaskStore(store.layout, disk_cache=True)
    first.scan()
    first.save_cache()
    import pyruns_tui.workspace.store as store_module

    monkeypatch.setattr(store_module, "_read_json", lambda p: pytest.fail(f"re-parsed {p}"))
    second = TaskStore(store.layout, disk_cache=True)
    assert len(second.scan()) == 4


def test_unknown_keys_are_preserved(store: TaskStore) -> None:
    make_tasks(store, 1)
    path = store.layout.task_info("t0")
    data = json.loads(path.read_text())
    data["future_field"] = {"keep": True}
    data["runs"] = [{"index": 1, "status": "completed", "custom": 5}]
    data["status"] = "completed"
    path.write_text(json.dumps(data))
    store.update("t0", lambda t: setattr(t, "notes", "n"))
    after = json.loads(path.read_text())
    assert after["future_field"] == {"keep": True}
    assert after["runs"][0]["custom"] == 5
    assert after["notes"] == "n"


def test_unreadable_task_info_is_listed_as_failed(store: TaskStore) -> None:
    make_tasks(store, 2)
    store.layout.task_info("t1").write_text("{garbage")
    tasks = {t.name: t for t in TaskStore(store.layout).scan()}
    assert tasks["t1"].status is Status.FAILED and "unreadable" in (tasks["t1"].reason or "")
    assert tasks["t0"].status is Status.PENDING


@pytest.mark.parametrize(("field", "value"), [
    ("gpus", True), ("gpus", 1.0), ("pinned", 1), ("pinned", None), ("priority", False), ("created_at", 5),
    ("status", "done"), ("status", ["failed"]), ("runs", "abc"), ("after", [1]), ("queued_at", [])])
def test_a_field_of_the_wrong_type_makes_the_record_invalid(field: str, value: object) -> None:
    """Types are checked exactly: a bool is no int (nor an int a bool), a float no int."""
    with pytest.raises(WorkspaceError, match="task_info.json is invalid"):
        Task.from_dict({"name": "t0", "created_at": "", field: value})


def test_fields_of_the_right_type_and_unknown_fields_are_kept_in_order() -> None:
    task = Task.from_dict({"name": "t0", "zeta": 1, "created_at": "", "gpus": None, "queued_at": 5,
                           "status": "failed", "alpha": [2], "runs": [{"index": 1, "duration_s": 3, "gpu_util_mean": 1.5}]})
    assert task.status is Status.FAILED and task.runs[0].duration_s == 3 and task.queued_at.startswith("1970")
    assert list(task.extra.items()) == [("zeta", 1), ("alpha", [2])]
    one = Task.from_dict({"name": "t0", "created_at": "", "script_in_project": "a.py"})
    assert one.extra == {"script_in_project": "a.py"} and Task.from_dict(one.to_dict()) == one


def test_trash_and_restore_round_trip(store: TaskStore) -> None:
    make_tasks(store, 2, lr=0.5)
    assert store.trash(["t0"]) == ["t0"]
    assert [t.name for t in store.scan()] == ["t1"]
    assert [t.name for t in store.scan_trash()] == ["t0"]
    assert store.restore(["t0"]) == ["t0"]
    assert {t.name for t in store.scan()} == {"t0", "t1"}
    assert store.load_config("t0") == {"i": 0, "lr": 0.5}
    assert "trashed_at" not in json.loads(store.layout.task_info("t0").read_text())


def test_restore_into_a_taken_name_gets_a_suffix(store: TaskStore) -> None:
    make_tasks(store, 1)
    store.trash(["t0"])
    make_tasks(store, 1)  # t0 is free again
    assert store.restore(["t0"]) == ["t0_2"]
    assert store.get("t0_2").name == "t0_2"


def test_active_tasks_cannot_be_trashed(store: TaskStore) -> None:
    make_tasks(store, 1)
    store.update("t0", lambda t: t.set_status(Status.QUEUED))
    with pytest.raises(WorkspaceError, match="stop it"):
        store.trash(["t0"])


def test_restore_refuses_paths(store: TaskStore) -> None:
    with pytest.raises(WorkspaceError, match="no task named"):
        store.restore(["../t0"])


def test_status_machine_rejects_illegal_changes() -> None:
    task = Task(name="x")
    with pytest.raises(WorkspaceError, match="pending; it cannot become completed"):
        task.set_status(Status.COMPLETED)
    task.set_status(Status.QUEUED)
    task.set_status(Status.RUNNING)
    task.set_status(Status.FAILED, "runner lost")
    task.set_status(Status.QUEUED)
    assert task.reason is None


def _bump(args: tuple[Layout, int]) -> None:
    layout, count = args
    store = TaskStore(layout)
    for _ in range(count):
        store.update("t0", lambda t: setattr(t, "extra", {**t.extra, "n": t.extra.get("n", 0) + 1}))


def test_concurrent_writers_lose_no_update(store: TaskStore) -> None:
    make_tasks(store, 1)
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(4) as pool:
        pool.map(_bump, [(store.layout, 50)] * 4)
    assert json.loads(store.layout.task_info("t0").read_text())["n"] == 200


def test_the_parse_cache_is_saved_while_another_thread_fills_it(layout: Layout) -> None:
    """The TUI's sync thread saves the cache while its refresh thread reads tasks into it: no
    "dictionary changed size during iteration" (the sync thread used to swallow that error)."""
    import sys
    import threading

    names = make_tasks(TaskStore(layout), 500)
    store = TaskStore(layout, disk_cache=True)
    store.scan()
    done = threading.Event()
    passes = [0]

    def fill() -> None:
        while not done.is_set():
            for name in names:
                store.forget(name)
                store.get(name)
                store.load_config(name)
            passes[0] += 1

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible: the race shows at once
    filler = threading.Thread(target=fill)
    filler.start()
    try:
        while passes[0] < 8 and filler.is_alive():
            store.save_cache()
    finally:
        done.set()
        filler.join()
        sys.setswitchinterval(interval)
    assert passes[0] >= 8
    store.save_cache()
    assert TaskStore(layout, disk_cache=True).load_config(names[0]) == {"i": 0}


def test_a_tasks_folder_swapped_for_a_symlink_is_refused_at_the_next_write(store: TaskStore, tmp_path: Path) -> None:
    make_tasks(store, 1)
    outside = tmp_path / "outside"
    store.layout.tasks_dir.rename(outside)
    store.layout.tasks_dir.symlink_to(outside)
    before = sorted(p.name for p in outside.iterdir())
    for write in (lambda: make_tasks(store, 1, prefix="new"), lambda: store.trash(["t0"]),
                  lambda: store.update("t0", lambda t: setattr(t, "notes", "n"))):
        with pytest.raises(WorkspaceError, match=r"/tasks is a symlink, not a folder; remove it"):
            write()
    assert sorted(p.name for p in outside.iterdir()) == before
    assert json.loads((outside / "t0" / "task_info.json").read_text())["notes"] == ""
    with pytest.raises(WorkspaceError, match="tasks is a symlink, not a folder"):
        TaskStore(store.layout)  # every face opens the workspace through a store


def _strays(tasks: Path) -> dict[str, str]:
    """A file, a dangling symlink, a symlink to a folder and an empty folder in tasks/, named like tasks."""
    (tasks / "stray").write_text("junk\n")
    (tasks / "dangle").symlink_to("/nonexistent")
    (tasks.parent / "elsewhere").mkdir()
    (tasks / "linked").symlink_to(tasks.parent / "elsewhere")
    (tasks / "emptydir").mkdir()
    return {"stray": "file", "dangle": "/nonexistent", "linked": str(tasks.parent / "elsewhere"), "emptydir": "dir"}


def _unchanged(tasks: Path, strays: dict[str, str]) -> None:
    assert (tasks / "stray").read_text() == "junk\n"
    for name in ("dangle", "linked"):
        assert os.readlink(tasks / name) == strays[name]
    assert os.listdir(tasks / "emptydir") == [] and os.listdir(tasks.parent / "elsewhere") == []


def test_every_entry_of_tasks_counts_as_a_taken_name(store: TaskStore) -> None:
    """A file or a symlink named like a task made create_tasks fail (`tasks: Not a directory`)
    where a folder got the suffixed name."""
    strays = _strays(store.layout.tasks_dir)
    created = store.create_tasks([NewTask(name, {"i": 0}) for name in strays], task_kind="plain", script=None)
    assert [t.name for t in created] == [f"{name}_2" for name in strays]
    assert all(store.get(f"{name}_2").name == f"{name}_2" for name in strays)
    _unchanged(store.layout.tasks_dir, strays)


def test_restore_into_a_name_any_entry_holds_gets_a_suffix(store: TaskStore) -> None:
    """A stray file under the task's name made restore fail, blaming `.trash/<name>`, and the
    trashed record had already lost its trashed_at."""
    names = ["stray", "dangle", "linked", "emptydir"]
    store.create_tasks([NewTask(name, {}) for name in names], task_kind="plain", script=None)
    assert store.trash(names) == names
    strays = _strays(store.layout.tasks_dir)
    assert store.restore(names) == [f"{name}_2" for name in names]
    for name in names:
        info = json.loads(store.layout.task_info(f"{name}_2").read_text())
        assert info["name"] == f"{name}_2" and "trashed_at" not in info
    assert os.listdir(store.layout.trash_dir) == []
    _unchanged(store.layout.tasks_dir, strays)


def test_a_restore_whose_move_fails_leaves_the_trashed_record_as_it_was(
        store: TaskStore, monkeypatch: pytest.MonkeyPatch) -> None:
    make_tasks(store, 1)
    store.trash(["t0"])
    record = store.layout.trashed_task_dir("t0") / "task_info.json"
    before = record.read_bytes()
    assert b"trashed_at" in before

    def refuse(src: object, dst: object, **_: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", os.fspath(src), None, os.fspath(dst))

    monkeypatch.setattr(os, "rename", refuse)
    with pytest.raises((WorkspaceError, OSError)) as failed:
        store.restore(["t0"])
    monkeypatch.undo()
    assert record.read_bytes() == before  # the record was rewritten before the move: trashed_at was lost
    assert isinstance(failed.value, WorkspaceError)
    assert str(failed.value) == (f"cannot restore 't0': {store.layout.task_dir('t0')}: "
                                 "permission denied; check the owner and mode of the path")
    assert [t.name for t in store.scan_trash()] == ["t0"] and store.names() == []


def test_a_restore_that_cannot_rewrite_the_record_is_done_and_the_next_save_cleans_it(tmp_path: Path) -> None:
    """A full disk (a real tmpfs, filled): the move needs no space, the record's rewrite does."""
    import contextlib
    import shutil
    import subprocess

    from pyruns_tui.workspace.bootstrap import ScriptInfo, write_script_info
    from pyruns_tui.workspace.layout import PYRUNS_DIR

    disk = tmp_path / "disk"
    disk.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(disk)], capture_output=True).returncode:
        pytest.skip("a small filesystem of its own needs root and mount")
    try:
        layout = Layout(root=disk / PYRUNS_DIR, name="train")
        layout.tasks_dir.mkdir(parents=True)
        write_script_info(layout, ScriptInfo(script=None, kind="plain"))
        store = TaskStore(layout)
        make_tasks(store, 1)
        store.trash(["t0"])
        filler = disk / "filler"
        with open(filler, "wb", buffering=0) as fh, contextlib.suppress(OSError):
            while True:
                fh.write(b"\0" * (1 << 16))
        assert store.restore(["t0"]) == ["t0"]
        assert "trashed_at" in json.loads(layout.task_info("t0").read_text())  # (not rewritten: no space)
        filler.unlink()
        store.update("t0", lambda t: setattr(t, "notes", "back"))
        info = json.loads(layout.task_info("t0").read_text())
        assert "trashed_at" not in info and info["name"] == "t0" and info["notes"] == "back"
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)


def test_an_unreadable_trashed_record_is_restored_as_it_is(store: TaskStore) -> None:
    make_tasks(store, 1)
    store.trash(["t0"])
    (store.layout.trashed_task_dir("t0") / "task_info.json").write_text("{garbage")
    assert store.restore(["t0"]) == ["t0"]
    assert store.layout.task_info("t0").read_text() == "{garbage"  # was replaced by {"name": "t0"}
    assert "unreadable" in (store.get("t0").reason or "")
