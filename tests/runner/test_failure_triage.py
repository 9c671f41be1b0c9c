"""Failure triage end to end: real failing tasks under the runner's real ptys get the right `error`."""

from __future__ import annotations

import json
import os
import shlex
import sys
from pathlib import Path

import pytest

from pyruns_tui.runner import control
from pyruns_tui.workspace.model import Status
from tests.runner.harness import Project

TQDM_HALF_BAR = """
from tqdm import tqdm
bar = tqdm(total=100)
for step in range(100):
    bar.update(1)
    if step == 40:
        raise FloatingPointError("loss is nan at step 40")
"""
CHAINED = """
def load():
    try:
        open("/nonexistent/train.csv")
    except FileNotFoundError as exc:
        raise RuntimeError("cannot load the data") from exc
print("epoch 1")
load()
"""


def _failed(project: Project, programs: dict[str, str]) -> dict[str, tuple[str | None, int | None]]:
    names = [project.add(name, code) for name, code in programs.items()]
    control.queue(project.store, names)
    tasks = project.wait(*names)
    assert all(t.status is Status.FAILED for t in tasks.values()), {n: t.status for n, t in tasks.items()}
    return {n: (t.runs[-1].error, t.runs[-1].error_line) for n, t in tasks.items()}


def test_failed_runs_record_the_error_of_real_failures(project: Project) -> None:
    found = _failed(project, {
        "plain": "print('step 1')\nprint('step 2')\n{}['learning_rate']",
        "chained": CHAINED,
        "tqdm": TQDM_HALF_BAR,
        "segfault": "import ctypes\nprint('calling C')\nctypes.string_at(0)",
        "sigkill": "import os, signal\nprint('step 1')\nos.kill(os.getpid(), signal.SIGKILL)",
        "exit1": "import sys\nprint('nothing to do')\nsys.exit(1)",
        "cuda_oom": "print('RuntimeError: CUDA error: out of memory', flush=True)\nraise SystemExit(1)",
        "nccl": "raise RuntimeError('NCCL error in: ProcessGroupNCCL.cpp:1234, unhandled system error')",
    })
    assert found["plain"] == ("KeyError: 'learning_rate'", 3)
    assert found["chained"] == ("RuntimeError: cannot load the data", 2)
    assert found["tqdm"][0] == "FloatingPointError: loss is nan at step 40" and found["tqdm"][1] == 1
    assert found["segfault"] == ("Segmentation fault", None)
    assert found["sigkill"] == ("Killed", None)
    assert found["exit1"] == ("exit code 1", None)
    assert found["cuda_oom"] == ("CUDA out of memory", None)
    assert found["nccl"][0] == "RuntimeError: NCCL error in: ProcessGroupNCCL.cpp:1234, unhandled system error"


def test_error_line_counts_lines_before_the_part_of_the_log_that_is_parsed(project: Project) -> None:
    code = "import sys\nfor i in range(20000): print('x' * 30, i)\nraise ValueError('late')"
    name = project.add("long", code)
    control.queue(project.store, [name])
    run = project.wait(name)[name].runs[0]
    assert (run.error, run.error_line) == ("ValueError: late", 20001)
    assert project.log(name).split(b"\n")[20000].startswith(b"Traceback")


def test_a_completed_run_has_no_error(project: Project) -> None:
    name = project.add("fine", "print('Traceback (most recent call last):')")
    control.queue(project.store, [name])
    run = project.wait(name)[name].runs[0]
    assert run.status is Status.COMPLETED and run.error is None and run.error_line is None


def _memory_cgroup(tmp_name: str) -> Path | None:
    """A new memory cgroup (v2 or v1) this process may put tasks in, or None."""
    candidates = []
    with open("/proc/self/cgroup") as fh:
        for line in fh:
            _, controllers, path = line.rstrip("\n").split(":", 2)
            if controllers == "":
                candidates.append(Path("/sys/fs/cgroup") / path.lstrip("/"))
                candidates.append(Path("/sys/fs/cgroup/unified") / path.lstrip("/"))
            elif "memory" in controllers.split(","):
                candidates.append(Path("/sys/fs/cgroup/memory") / path.lstrip("/"))
    for parent in candidates:
        limit = "memory.max" if (parent / "cgroup.controllers").exists() else "memory.limit_in_bytes"
        group = parent / tmp_name
        try:
            group.mkdir()
        except OSError:
            continue
        try:
            (group / limit).write_text(str(64 << 20))
            return group
        except OSError:
            group.rmdir()
    return None


def test_a_task_killed_by_the_kernel_oom_killer(project: Project) -> None:
    group = _memory_cgroup(f"pyruns-test-{os.getpid()}")
    if group is None:
        pytest.skip("needs a memory cgroup this test may create (root, cgroup v1 or v2)")
    try:
        command = (f"echo $$ > {shlex.quote(str(group / 'cgroup.procs'))} && exec {shlex.quote(sys.executable)} "
                   "-c \"print('loading'); x = bytearray(512 << 20); print(len(x))\"")
        name = project.add("hog", command=command)
        control.queue(project.store, [name])
        run = project.wait(name)[name].runs[0]
        assert run.signal == 9 and run.error == "out of memory (killed by the kernel)"
    finally:
        group.rmdir()


def test_the_error_in_ls_show_export_search_and_log_error(project: Project, capsys) -> None:
    found = _failed(project, {"chained": CHAINED, "tqdm": TQDM_HALF_BAR,
                              "hog": "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)"})
    ok = project.add("ok", "print('done')")
    control.queue(project.store, [ok])
    project.wait(ok)
    capsys.readouterr()

    assert project.cli("ls", "--json") == 0
    listed = {t["name"]: t["error"] for t in json.loads(capsys.readouterr().out)}
    assert listed == {"chained": found["chained"][0], "tqdm": found["tqdm"][0], "hog": "Segmentation fault", "ok": None}

    assert project.cli("ls", "error:segfault", "--json") == 0
    assert [t["name"] for t in json.loads(capsys.readouterr().out)] == ["hog"]
    assert project.cli("ls", 'error:"cannot load"', "--json") == 0
    assert [t["name"] for t in json.loads(capsys.readouterr().out)] == ["chained"]

    assert project.cli("show", "chained") == 0
    out = capsys.readouterr().out
    assert "error:   RuntimeError: cannot load the data" in out and "(log line 2;" in out

    assert project.cli("export", "-f", "json") == 0
    rows = {r["name"]: r["error"] for r in json.loads(capsys.readouterr().out)}
    assert rows["tqdm"] == "FloatingPointError: loss is nan at step 40" and rows["ok"] is None

    assert project.cli("log", "chained", "--error") == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "Traceback (most recent call last):" and printed[-1] == "RuntimeError: cannot load the data"
    assert any("No such file or directory" in line for line in printed) and "epoch 1" not in printed
    assert project.cli("log", "tqdm", "--error") == 0
    assert capsys.readouterr().out.startswith("Traceback (most recent call last):\n")  # the bar left out
    assert project.cli("log", "hog", "--error") == 1
    assert "has no Python traceback in its log (its error: Segmentation fault)" in capsys.readouterr().err


def test_ls_by_error_groups_failures_by_cause(project: Project, capsys) -> None:
    _failed(project, {
        "a": "open('/nonexistent/a.csv')", "b": "open('/nonexistent/b.csv')",
        "c": "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)",
    })
    capsys.readouterr()
    assert project.cli("ls", "--by-error") == 0
    assert capsys.readouterr().out.splitlines() == ["    2 × FileNotFoundError: a, b", "    1 × Killed: c"]
    assert project.cli("ls", "--by-error", "--json", "name:c") == 0
    assert json.loads(capsys.readouterr().out) == [{"cause": "Killed", "count": 1, "tasks": ["c"]}]
