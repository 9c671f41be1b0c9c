"""pr.log() / pr.flush(): row format, buffering, crash safety, threads, forks, no raising."""

from __future__ import annotations

import json
import math
import multiprocessing as mp
import os
import signal
import subprocess
import sys
import threading
import time
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

import pyruns_tui as pr
from pyruns_tui.metrics.track import MetricsReader
from tests.api.conftest import metric_rows, run_script, task_env, write_script
from tests.waiting import wait_until


class FakeScalar:
    """Stands in for a numpy/torch scalar: a number reached through `.item()`."""

    def __init__(self, value: float) -> None:
        self.value = value

    def item(self) -> float:
        return self.value


class FakeTensor:
    """A many-element tensor: `.item()` fails."""

    def item(self) -> float:
        raise ValueError("only one element tensors can be converted to Python scalars")


def test_a_row_holds_time_step_stage_and_the_metrics_in_order(in_task: Path) -> None:
    before = time.time()
    pr.log({"loss": 0.25, "acc": 1, "ok": True}, step=10, stage="train")
    pr.flush()
    (row,) = metric_rows(in_task)
    assert list(row) == ["t", "step", "stage", "loss", "acc", "ok"]
    assert before <= row["t"] <= time.time()
    assert row["step"] == 10 and row["stage"] == "train"
    assert row["loss"] == 0.25 and row["acc"] == 1 and row["ok"] is True


def test_step_and_stage_are_optional(in_task: Path) -> None:
    pr.log({"loss": 1.5})
    pr.flush()
    (row,) = metric_rows(in_task)
    assert set(row) == {"t", "loss"}


def test_step_and_stage_may_come_inside_the_metrics(in_task: Path) -> None:
    pr.log({"step": 4, "stage": "val", "acc": 0.5})
    pr.log({"step": 4.0, "acc": 0.6}, step=None)
    pr.flush()
    first, second = metric_rows(in_task)
    assert (first["step"], first["stage"], first["acc"]) == (4, "val", 0.5)
    assert second["step"] == 4 and type(second["step"]) is int


def test_a_metric_named_t_is_dropped_with_one_warning(
    in_task: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pr.log({"t": 1, "loss": 2.0})
    pr.log({"t": 1, "loss": 3.0})
    pr.flush()
    assert [row["loss"] for row in metric_rows(in_task)] == [2.0, 3.0]
    assert all(row["t"] > 1000 for row in metric_rows(in_task))
    assert capsys.readouterr().err.count("reserved") == 1


def test_scalars_with_item_and_other_numbers_are_converted(in_task: Path) -> None:
    pr.log({"a": FakeScalar(0.5), "b": Decimal("1.25"), "c": Fraction(1, 4), "d": None})
    pr.log({"e": FakeScalar(float("nan"))}, step=FakeScalar(3))  # type: ignore[arg-type]
    pr.flush()
    first, second = metric_rows(in_task)
    assert (first["a"], first["b"], first["c"], first["d"]) == (0.5, 1.25, 0.25, None)
    assert second == {"t": second["t"], "step": 3, "e": "NaN"}


def test_non_finite_values_stay_strict_json_and_read_back_as_floats(in_task: Path) -> None:
    pr.log({"nan": float("nan"), "inf": math.inf, "ninf": -math.inf}, step=1)
    pr.flush()
    (row,) = metric_rows(in_task)  # parsed with NaN/Infinity constants forbidden
    assert (row["nan"], row["inf"], row["ninf"]) == ("NaN", "Infinity", "-Infinity")
    reader = MetricsReader.for_task(in_task)
    assert math.isnan(reader.series("nan")[0][1])
    assert reader.series("inf")[0][1] == math.inf
    assert reader.series("ninf")[0][1] == -math.inf


def test_unsupported_values_are_dropped_with_one_warning_and_never_raise(
    in_task: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pr.log({"name": "resnet", "tensor": FakeTensor(), "obj": object(), "loss": 0.1})
    pr.log({"name": "again", "loss": 0.2})
    pr.log({"x": [1, 2]})  # nothing left to write: no row
    pr.log(None)  # type: ignore[arg-type]  # not even a mapping
    pr.flush()
    rows = metric_rows(in_task)
    assert [set(row) for row in rows] == [{"t", "loss"}, {"t", "loss"}]
    err = capsys.readouterr().err
    assert err.count("pyruns_tui: warning") == 2  # one for values, one for the failed call
    assert "not a number" in err


def test_a_missing_task_folder_warns_once_and_the_script_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PYRUNS_TASK_DIR", str(tmp_path / "deleted-task"))
    for step in range(3):
        pr.log({"loss": 1.0}, step=step)
        pr.flush()
    err = capsys.readouterr().err
    assert err.count("pyruns_tui: warning") == 1
    assert "deleted-task" in err


def test_an_unwritable_metrics_file_warns_once(
    in_task: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (in_task / "metrics.jsonl").mkdir()  # writing to it fails even for root
    pr.log({"loss": 1.0})
    pr.flush()
    pr.log({"loss": 2.0})
    pr.flush()
    assert capsys.readouterr().err.count("cannot write") == 1


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_a_read_only_task_folder_warns_once(
    in_task: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    in_task.chmod(0o555)
    try:
        for _ in range(2):
            pr.log({"loss": 1.0})
            pr.flush()
            pr.summary({"best": 1.0})
    finally:
        in_task.chmod(0o755)
    err = capsys.readouterr().err
    assert err.count("cannot write") == 1 and err.count("summary") == 1


def test_outside_a_task_log_is_a_no_op_that_loads_nothing(tmp_path: Path) -> None:
    script = write_script(
        tmp_path,
        """\
        import sys, pyruns_tui as pr
        for step in range(1000):
            pr.log({"loss": 0.5}, step=step)
        pr.flush()
        pr.summary({"best": 1})
        lazy = ("json", "threading", "pyruns_tui.script.metrics_writer")
        print(sorted(m for m in lazy if m in sys.modules))
        """,
    )
    result = run_script(script, task_env(None))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["script.py"]


def test_rows_reach_the_file_without_flush_within_the_interval(in_task: Path) -> None:
    pr.log({"loss": 1.0}, step=1)
    wait_until(lambda: (in_task / "metrics.jsonl").exists())
    assert metric_rows(in_task)[0]["step"] == 1


def test_a_script_logging_10000_steps_leaves_10000_rows(task_dir: Path, tmp_path: Path) -> None:
    script = write_script(
        tmp_path,
        """\
        import pyruns_tui as pr
        for step in range(10_000):
            pr.log({"loss": 1.0 / (step + 1), "acc": step % 7}, step=step, stage="train")
        """,
    )
    result = run_script(script, task_env(task_dir))
    assert result.returncode == 0, result.stderr
    rows = metric_rows(task_dir)
    assert [row["step"] for row in rows] == list(range(10_000))


KILLED_SCRIPT = """\
import os, sys, time, pyruns_tui as pr
task = os.environ["PYRUNS_TASK_DIR"]
for step in range(500):
    pr.log({"loss": 1.0}, step=step)
pr.flush()
for step in range(500, 600):
    pr.log({"loss": 2.0}, step=step)
# the background flusher writes these 100 rows within about a second
path = os.path.join(task, "metrics.jsonl")
deadline = time.monotonic() + 20
while sum(1 for _ in open(path)) < 600:
    if time.monotonic() > deadline:
        print("the flusher never wrote", flush=True)
        sys.exit(1)
    time.sleep(0.01)
for step in range(600, 650):
    pr.log({"loss": 3.0}, step=step)  # still buffered when the kill comes
print("ready", flush=True)
time.sleep(600)
"""


def test_sigkill_loses_only_rows_not_yet_flushed(task_dir: Path, tmp_path: Path) -> None:
    script = write_script(tmp_path, KILLED_SCRIPT)
    proc = subprocess.Popen(
        [sys.executable, str(script)], env=task_env(task_dir), stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        proc.kill()
        proc.wait()
    steps = [row["step"] for row in metric_rows(task_dir)]
    assert steps[:600] == list(range(600))
    assert steps == list(range(len(steps))) and len(steps) <= 650


def test_eight_threads_write_whole_rows_and_lose_none(in_task: Path) -> None:
    def worker(thread: int) -> None:
        for i in range(1000):
            pr.log({"thread": thread, "i": i, "pad": 0.123456789})

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    pr.flush()
    rows = metric_rows(in_task)
    assert len(rows) == 8000
    assert {(row["thread"], row["i"]) for row in rows} == {
        (t, i) for t in range(8) for i in range(1000)
    }


FORK_SCRIPT = """\
import multiprocessing as mp, os, pyruns_tui as pr

def child(n):
    for i in range(2000):
        pr.log({"who": n, "i": i, "pad": 0.5})

if __name__ == "__main__":
    for i in range(50):
        pr.log({"who": -1, "i": i})  # buffered in the parent when the children fork
    ctx = mp.get_context("fork")
    procs = [ctx.Process(target=child, args=(n,)) for n in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
        assert p.exitcode == 0
    pid = os.fork()  # a bare fork: the child flushes and leaves with os._exit
    if pid == 0:
        pr.log({"who": 99, "i": 0})
        pr.flush()
        os._exit(0)
    os.waitpid(pid, 0)
"""


def test_forked_children_write_whole_rows_and_parent_rows_appear_once(
    task_dir: Path, tmp_path: Path
) -> None:
    script = write_script(tmp_path, FORK_SCRIPT)
    result = run_script(script, task_env(task_dir))
    assert result.returncode == 0, result.stderr
    rows = metric_rows(task_dir)
    pairs = [(row["who"], row["i"]) for row in rows]
    assert len(pairs) == len(set(pairs)), "a row was written twice"
    expected = {(-1, i) for i in range(50)} | {(n, i) for n in range(4) for i in range(2000)}
    assert set(pairs) == expected | {(99, 0)}


def test_flush_outside_a_task_and_before_any_log_is_harmless(in_task: Path) -> None:
    pr.flush()
    assert not (in_task / "metrics.jsonl").exists()


def test_rows_are_written_in_call_order(in_task: Path) -> None:
    for step in range(5000):  # more than one buffer's worth
        pr.log({"v": step}, step=step)
    pr.flush()
    assert [row["step"] for row in metric_rows(in_task)] == list(range(5000))


def test_log_accepts_json_unfriendly_keys(in_task: Path) -> None:
    pr.log({1: 0.5, "ünï": 1.0, 'q"uote': 2.0})  # type: ignore[dict-item]
    pr.flush()
    (row,) = metric_rows(in_task)
    assert row["1"] == 0.5 and row["ünï"] == 1.0 and row['q"uote'] == 2.0
    assert json.loads((in_task / "metrics.jsonl").read_text())  # one line, one object


def test_spawned_children_flush_at_their_exit(task_dir: Path, tmp_path: Path) -> None:
    script = write_script(
        tmp_path,
        """\
        import multiprocessing as mp, pyruns_tui as pr

        def child(n):
            for i in range(100):
                pr.log({"who": n, "i": i})

        if __name__ == "__main__":
            procs = [mp.get_context("spawn").Process(target=child, args=(n,)) for n in range(2)]
            for p in procs:
                p.start()
            for p in procs:
                p.join()
        """,
    )
    result = run_script(script, task_env(task_dir))
    assert result.returncode == 0, result.stderr
    pairs = sorted((row["who"], row["i"]) for row in metric_rows(task_dir))
    assert pairs == [(n, i) for n in range(2) for i in range(100)]


POOL_SCRIPT = """\
import multiprocessing as mp, sys, pyruns_tui as pr

def work(n):
    for i in range(200):
        pr.log({"task": n, "i": i})
    return n

if __name__ == "__main__":
    # leaving the block terminates the workers (SIGTERM) as soon as the results are in
    with mp.get_context(sys.argv[1]).Pool(3) as pool:
        assert pool.map(work, range(6), chunksize=1) == list(range(6))
"""


@pytest.mark.parametrize("method", mp.get_all_start_methods())
def test_rows_logged_in_pool_workers_survive_the_pool_terminating_them(
    task_dir: Path, tmp_path: Path, method: str
) -> None:
    script = write_script(tmp_path, POOL_SCRIPT)
    result = run_script(script, task_env(task_dir), method)
    assert result.returncode == 0, result.stderr
    pairs = sorted((row["task"], row["i"]) for row in metric_rows(task_dir))
    assert pairs == [(n, i) for n in range(6) for i in range(200)]


def test_a_multiprocessing_child_writes_each_row_at_once_and_the_main_process_buffers(
    task_dir: Path, tmp_path: Path
) -> None:
    script = write_script(
        tmp_path,
        """\
        import multiprocessing as mp, os, sys
        import pyruns_tui as pr
        from pyruns_tui.script import api
        from pyruns_tui.script.metrics_writer import MetricsWriter

        path = os.path.join(os.environ["PYRUNS_TASK_DIR"], "metrics.jsonl")
        # no flush by the timer within this test
        api._writer = MetricsWriter(path, on_error=api._warn_once, interval_s=3600)

        def written(name):
            return open(path).read().count(name) if os.path.exists(path) else 0

        def child(name):
            pr.log({name: 1})
            sys.exit(0 if written(name) == 1 else 3)  # on disk when log() returns

        if __name__ == "__main__":
            pr.log({"main": 1})
            for method in ("fork", "spawn"):
                proc = mp.get_context(method).Process(target=child, args=(method,))
                proc.start()
                proc.join(60)
                assert proc.exitcode == 0, (method, proc.exitcode)
            assert written("main") == 0  # still buffered in the main process
            pr.flush()
            assert written("main") == 1
        """,
    )
    result = run_script(script, task_env(task_dir))
    assert result.returncode == 0, result.stderr
    assert sorted(name for row in metric_rows(task_dir) for name in row if name != "t") == [
        "fork", "main", "spawn"
    ]


def test_rows_logged_by_an_atexit_handler_registered_before_the_first_log_are_written(
    task_dir: Path, tmp_path: Path
) -> None:
    script = write_script(
        tmp_path,
        """\
        import atexit, pyruns_tui as pr

        def final():
            pr.log({"final_acc": 0.93}, step=999)
            pr.log({"final_loss": 0.1}, step=1000)

        atexit.register(final)  # atexit is LIFO: this runs after the writer's exit flush
        for step in range(3):
            pr.log({"loss": 1.0}, step=step)
        """,
    )
    result = run_script(script, task_env(task_dir))
    assert result.returncode == 0, result.stderr
    assert [row["step"] for row in metric_rows(task_dir)] == [0, 1, 2, 999, 1000]


def test_a_first_log_in_an_atexit_handler_is_written(task_dir: Path, tmp_path: Path) -> None:
    script = write_script(
        tmp_path,
        """\
        import atexit, threading, pyruns_tui as pr  # threading: as torch and most frameworks import it

        atexit.register(lambda: pr.log({"final_acc": 0.93}, step=999))
        """,
    )
    result = run_script(script, task_env(task_dir))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert [row["step"] for row in metric_rows(task_dir)] == [999]


def test_threads_logging_their_first_rows_at_once_share_one_writer(in_task: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    # the first row of two threads at the same moment: each made a writer of its own, and flush()
    # wrote only the last one's rows (8 threads under load lost 1-160 of 8,000 rows). The first
    # writer's construction waits for a second thread to arrive (it would, racing) or a deadline
    from pyruns_tui.script import metrics_writer

    made: list[object] = []
    second_arrives = threading.Barrier(2, timeout=0.5)
    real_init = metrics_writer.MetricsWriter.__init__

    def init(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        made.append(self)
        try:
            second_arrives.wait()
        except threading.BrokenBarrierError:
            pass  # no second thread came in: it waited for this binding
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(metrics_writer.MetricsWriter, "__init__", init)
    threads = [threading.Thread(target=pr.log, args=({"thread": n},)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    pr.flush()
    assert len(made) == 1
    assert sorted(row["thread"] for row in metric_rows(in_task)) == [0, 1]
