"""The `pyr-tui` program's exit: `ls`, `run` and `wait` leave without the interpreter's teardown,
their output whole and their exit code kept."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pyruns_tui.cli import QUICK_EXIT
from tests.reliability.harness import cli_env, make_project

TASKS = 1500  # ~90 KB of `ls` output: more than a pipe holds, so a reader that leaves early breaks it


def ls(proj: Path, home: Path) -> subprocess.Popen[bytes]:
    env = cli_env(home)
    env.pop("PYTHONUNBUFFERED", None)  # stdout into a pipe block-buffered, as a user's is
    return subprocess.Popen([sys.executable, "-m", "pyruns_tui", "ls"], cwd=proj, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.mark.parametrize("tasks", [2, TASKS])  # a few lines sit in the stdout buffer, many are written through
def test_ls_through_a_pipe_prints_every_task_and_exits_0(tmp_path: Path, tasks: int) -> None:
    assert "ls" in QUICK_EXIT
    proj = make_project(tmp_path, tasks=tasks)
    proc = ls(proj, tmp_path / "home")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    lines = out.decode().splitlines()
    assert len(lines) == tasks + 1 and lines[0].startswith("STATUS")
    assert {line.split()[1] for line in lines[1:]} == {f"t_{i}-of-{tasks}" for i in range(1, tasks + 1)}


def test_ls_into_a_pipe_its_reader_left_exits_0_without_a_traceback(tmp_path: Path) -> None:
    proj = make_project(tmp_path, tasks=TASKS)
    proc = ls(proj, tmp_path / "home")
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline().startswith(b"STATUS")
    proc.stdout.close()  # as `| head -1` does
    err = proc.stderr.read()
    assert proc.wait(timeout=120) == 0 and err == b""


SOMETIMES_FAILS = """\
import argparse, sys
p = argparse.ArgumentParser()
p.add_argument("--seed", type=int, default=0)
args = p.parse_args()
print("seed", args.seed)
sys.exit(3 if args.seed == 1 else 0)
"""


@pytest.mark.parametrize("command", [["run", "--wait"], ["wait"]])
def test_run_wait_through_a_pipe_prints_its_summary_and_keeps_its_exit_code(tmp_path: Path, command: list[str]) -> None:
    assert {"run", "wait"} <= QUICK_EXIT
    proj = make_project(tmp_path, tasks=3, script=SOMETIMES_FAILS)
    env = cli_env(tmp_path / "home")
    env.pop("PYTHONUNBUFFERED", None)  # stdout into a pipe block-buffered: the quick exit must flush it
    names = [f"t_{i}-of-3" for i in range(1, 4)]
    try:
        if command == ["wait"]:
            subprocess.run([sys.executable, "-m", "pyruns_tui", "run", *names], cwd=proj, env=env, check=True,
                           capture_output=True, timeout=60)
        proc = subprocess.run([sys.executable, "-m", "pyruns_tui", *command, *names], cwd=proj, env=env,
                              capture_output=True, timeout=120)
    finally:
        subprocess.run([sys.executable, "-m", "pyruns_tui", "runner", "stop", "--tasks"], cwd=proj, env=env,
                       capture_output=True, timeout=60)
    assert proc.returncode == 1, proc.stderr  # the task with seed 1 failed
    last = "2 of 3 tasks completed"
    assert proc.stdout.decode().splitlines()[-1] == last, proc.stdout  # the last line written is there
