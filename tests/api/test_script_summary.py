"""pr.summary() / pr.add_monitor(): merged, atomic, concurrent-safe summary.json."""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path

import pytest

import pyruns_tui as pr
from pyruns_tui.metrics.track import read_summary
from tests.api.conftest import run_script, task_env, write_script


def summary_file(task_dir: Path) -> dict:
    return json.loads((task_dir / "summary.json").read_text())


def test_calls_merge_and_the_last_value_of_a_key_wins(in_task: Path) -> None:
    pr.summary({"best_acc": 0.5, "epoch": 1})
    pr.summary({"best_acc": 0.9, "note": "ok"})
    assert summary_file(in_task) == {"best_acc": 0.9, "epoch": 1, "note": "ok"}


def test_add_monitor_takes_a_dict_and_keywords(in_task: Path) -> None:
    pr.add_monitor({"a": 1}, b=2.5)
    pr.add_monitor(c=[1, 2])
    assert summary_file(in_task) == {"a": 1, "b": 2.5, "c": [1, 2]}


def test_the_write_is_atomic_and_leaves_no_temp_files(in_task: Path) -> None:
    for i in range(20):
        pr.summary({f"k{i}": i})
    assert sorted(p.name for p in in_task.iterdir()) == ["summary.json"]
    assert len(summary_file(in_task)) == 20


def test_non_finite_and_nested_values_round_trip_through_the_reader(in_task: Path) -> None:
    pr.summary({"nan": math.nan, "best": {"acc": math.inf, "steps": (1, 2)}, "none": None})
    text = (in_task / "summary.json").read_text()
    assert "NaN" in text and json.loads(text, parse_constant=lambda c: pytest.fail(c))
    restored = read_summary(in_task)
    assert math.isnan(restored["nan"])
    assert restored["best"] == {"acc": math.inf, "steps": [1, 2]}
    assert restored["none"] is None


def test_unsupported_values_are_dropped_with_one_warning(
    in_task: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pr.summary({"obj": object(), "ok": 1})
    pr.summary({"obj": object()})
    assert summary_file(in_task) == {"ok": 1}
    assert capsys.readouterr().err.count("pyruns_tui: warning") == 1


def test_a_corrupt_summary_is_replaced_not_fatal(in_task: Path) -> None:
    (in_task / "summary.json").write_text("{not json")
    pr.summary({"best": 1})
    assert summary_file(in_task) == {"best": 1}


def test_a_missing_task_folder_warns_once_and_never_raises(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PYRUNS_TASK_DIR", str(tmp_path / "gone"))
    pr.summary({"best": 1})
    pr.add_monitor(best=2)
    assert capsys.readouterr().err.count("pyruns_tui: warning") == 1


def test_outside_a_task_summary_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    pr.summary({"best": 1})
    pr.add_monitor(best=1)
    assert list(tmp_path.iterdir()) == []


def test_concurrent_processes_lose_no_keys(task_dir: Path, tmp_path: Path) -> None:
    script = write_script(
        tmp_path,
        """\
        import multiprocessing as mp, pyruns_tui as pr

        def child(n):
            for i in range(25):
                pr.summary({f"p{n}_{i}": i})

        if __name__ == "__main__":
            procs = [mp.get_context("fork").Process(target=child, args=(n,)) for n in range(4)]
            for p in procs:
                p.start()
            for p in procs:
                p.join()
        """,
    )
    result = run_script(script, task_env(task_dir))
    assert result.returncode == 0, result.stderr
    assert summary_file(task_dir) == {f"p{n}_{i}": i for n in range(4) for i in range(25)}


def test_add_monitor_with_a_non_mapping_warns_instead_of_raising(
    in_task: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pr.add_monitor(42)  # type: ignore[arg-type]
    assert "pyruns_tui: warning" in capsys.readouterr().err
    assert not (in_task / "summary.json").exists()


def run_or_fail(script: Path, task_dir: Path, timeout: float = 30) -> None:
    """Run `script` in the task; a hang (on the summary lock) fails the test, it never hangs it."""
    try:
        result = run_script(script, task_env(task_dir), timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the script hung for {timeout:g}s")
    assert result.returncode == 0, result.stdout + result.stderr


# The background thread's first summary write waits inside the locked section until the main
# thread forks (a fork hook of the test, run before the API's own): the fork then happens while
# that thread holds the lock, unless the API holds the fork back until it left.
FORK_WHILE_LOCKED = """\
import multiprocessing as mp, os, sys, threading
import pyruns_tui as pr

parent = os.getpid()
real_replace = os.replace
inside, forking, forked = threading.Event(), threading.Event(), threading.Event()

def replace(src, dst):  # summary.json is written by a rename, inside the lock
    if os.getpid() == parent and threading.current_thread().name == "bg" and not inside.is_set():
        inside.set()
        forking.wait(30)
        forked.wait(1)  # the fork happens now, or waits for this thread to leave the lock
    real_replace(src, dst)

os.replace = replace

def child():
    pr.summary({"child": 1})

if __name__ == "__main__":
    pr.summary({"first": 1})
    os.register_at_fork(before=forking.set)  # after the API's hooks: runs before them
    bg = threading.Thread(target=pr.summary, args=({"bg": 1},), name="bg")
    bg.start()
    inside.wait(30)
    proc = mp.get_context("fork").Process(target=child)
    proc.start()
    forked.set()
    bg.join(30)
    proc.join(20)
    if proc.is_alive():
        proc.kill()
        sys.exit("the forked child hung in pr.summary()")
    pr.summary({"after": 1})
    sys.exit(proc.exitcode)
"""


def test_a_fork_while_another_thread_writes_the_summary_leaves_the_child_unblocked(
    task_dir: Path, tmp_path: Path
) -> None:
    run_or_fail(write_script(tmp_path, FORK_WHILE_LOCKED), task_dir)
    assert summary_file(task_dir) == {"first": 1, "bg": 1, "child": 1, "after": 1}


def test_a_summary_from_a_signal_handler_during_a_summary_is_written_not_deadlocked(
    task_dir: Path, tmp_path: Path
) -> None:
    script = write_script(
        tmp_path,
        """\
        import os, pyruns_tui as pr

        real_replace = os.replace
        handled = []

        def replace(src, dst):  # inside pr.summary()'s lock: a signal handler runs here
            if not handled:
                handled.append(1)
                pr.summary({"from_handler": 2})
            real_replace(src, dst)

        os.replace = replace
        pr.summary({"main": 1})
        """,
    )
    run_or_fail(script, task_dir)
    assert summary_file(task_dir) == {"main": 1, "from_handler": 2}


def test_a_child_forked_inside_a_summary_does_not_keep_the_lock(
    task_dir: Path, tmp_path: Path
) -> None:
    script = write_script(
        tmp_path,
        """\
        import multiprocessing as mp, os, sys, pyruns_tui as pr

        parent = os.getpid()
        real_replace = os.replace
        procs = []

        def child():
            pr.summary({"child": 1})

        def replace(src, dst):  # inside pr.summary()'s lock: a signal handler starts a worker
            if os.getpid() == parent and not procs:
                procs.append(mp.get_context("fork").Process(target=child))
                procs[0].start()
            real_replace(src, dst)

        if __name__ == "__main__":
            os.replace = replace
            pr.summary({"main": 1})
            procs[0].join(20)
            if procs[0].is_alive():
                procs[0].kill()
                sys.exit("the forked child hung in pr.summary()")
            sys.exit(procs[0].exitcode)
        """,
    )
    run_or_fail(script, task_dir)
    assert summary_file(task_dir) == {"main": 1, "child": 1}
